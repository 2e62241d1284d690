// Package webcard renders a model card's markdown to safe HTML:
// CommonMark with GitHub's tables and strikethrough through goldmark, then
// bluemonday's allow-list. It is its own package so that only the cards
// function links goldmark and bluemonday, whose package init (tables,
// entity maps, regular expressions) every web cold start paid; the web
// function asks the cards function (webcardlambda) once per commit.
package webcard

import (
	"bytes"
	"context"
	"html/template"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Local renders in process (web.CardRenderer).
type Local struct{}

// RenderCard implements web.CardRenderer.
func (Local) RenderCard(_ context.Context, markdown string) (template.HTML, error) {
	return RenderCard(markdown), nil
}

// md renders CommonMark with GitHub's tables and strikethrough; raw HTML
// is left out (goldmark's default: html.WithUnsafe is not set), and
// every image becomes a link to it: the page loads no picture from a
// card (CSP img-src 'self' would block an outside one anyway).
var md = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkRewriter{}, 100))),
	)
})

// linkRewriter marks links rel="noopener" (the sanitiser adds nofollow)
// and turns images into links showing their alt text.
type linkRewriter struct{}

func (linkRewriter) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	var images []*ast.Image
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch v := n.(type) {
		case *ast.Link:
			v.SetAttributeString("rel", []byte("noopener"))
		case *ast.Image:
			images = append(images, v)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		l := ast.NewLink()
		l.Destination = img.Destination
		l.SetAttributeString("rel", []byte("noopener"))
		alt := string(img.Text(reader.Source()))
		if alt == "" {
			alt = "image"
		}
		l.AppendChild(l, ast.NewString([]byte("[image: "+alt+"]")))
		img.Parent().ReplaceChild(img.Parent(), img, l)
	}
}

// policy is the allow-list: bluemonday's user-content policy (no script,
// style, event handler or form; URLs only http, https, mailto and
// relative), every link rel="nofollow noopener", no images.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^noopener$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return p
})

// RenderCard renders a card's markdown to safe HTML.
func RenderCard(body string) template.HTML {
	var buf bytes.Buffer
	if err := md().Convert([]byte(body), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(body))
	}
	out := policy().SanitizeBytes(stripImages(buf.Bytes()))
	return template.HTML(out) // sanitised by the allow-list above
}

var imgTag = regexp.MustCompile(`(?i)<img\b[^>]*>`)

// stripImages drops any img left (the transformer already turned the
// markdown ones into links; raw HTML is omitted by the renderer).
func stripImages(b []byte) []byte { return imgTag.ReplaceAll(b, nil) }
