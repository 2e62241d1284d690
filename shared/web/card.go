package web

import (
	"bytes"
	"context"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/modelcard"
	"github.com/hubsec/trustlayer/shared/repo"
)

// RepoCard is what the repository page shows of README.md: the rendered
// card and the evaluation results with their sources.
type RepoCard struct {
	Found     bool
	Error     string // why the card's metadata was refused
	HTML      template.HTML
	Truncated bool
	Evals     []files.EvalResult
}

// CardOf implements Files: the card stored at push for commit, rendered
// once per commit (see rendered). Its evaluation results' SignedModel is
// left false: the page sets it from the model signature it reads anyway.
func (t IndexTree) CardOf(ctx context.Context, r repo.Repo, commit string) (RepoCard, error) {
	card, found, err := t.Service.CardOf(ctx, r, commit)
	if err != nil || !found {
		return RepoCard{}, err
	}
	return RepoCard{Found: true, Error: card.Error, HTML: rendered.get(r.ID+"/"+commit, card.Body), Truncated: card.Truncated, Evals: card.Evals}, nil
}

// rendered keeps the HTML of the cards rendered last, by repository id and
// commit (a commit's card never changes), up to renderedMax bytes: a
// visit of a page already seen renders nothing.
var rendered = &htmlCache{m: map[string]template.HTML{}}

const renderedMax = 16 << 20

type htmlCache struct {
	mu    sync.Mutex
	m     map[string]template.HTML
	bytes int
}

func (c *htmlCache) get(key, body string) template.HTML {
	c.mu.Lock()
	h, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = RenderCard(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(h) > renderedMax {
		c.m, c.bytes = map[string]template.HTML{}, 0 // start again: simple, bounded
	}
	if _, dup := c.m[key]; !dup && len(h) <= renderedMax {
		c.m[key] = h
		c.bytes += len(h)
	}
	return h
}

// md renders CommonMark with GitHub's tables and strikethrough; raw HTML
// is left out (goldmark's default: html.WithUnsafe is not set), and
// every image becomes a link to it: the page loads no picture from a
// card (CSP img-src 'self' would block an outside one anyway).
var md = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkRewriter{}, 100))),
)

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
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^noopener$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return p
}()

// RenderCard renders a card's markdown to safe HTML.
func RenderCard(body string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(body), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(body))
	}
	out := policy.SanitizeBytes(stripImages(buf.Bytes()))
	return template.HTML(out) // sanitised by the allow-list above
}

var imgTag = regexp.MustCompile(`(?i)<img\b[^>]*>`)

// stripImages drops any img left (the transformer already turned the
// markdown ones into links; raw HTML is omitted by the renderer).
func stripImages(b []byte) []byte { return imgTag.ReplaceAll(b, nil) }

// evalRow is one row of the Evaluation results table.
type evalRow struct {
	files.EvalResult
	Value string
}

func evalRows(es []files.EvalResult, signedModel bool) []evalRow {
	out := make([]evalRow, len(es))
	for i, e := range es {
		e.SignedModel = signedModel
		out[i] = evalRow{EvalResult: e, Value: modelcard.String(e.Metric.Value)}
	}
	return out
}

// explainReason says why a source is not verified, for people.
func explainReason(reason string) string {
	switch reason {
	case files.ReasonNotRecorded:
		return "no signature record for this commit"
	case "unsigned":
		return "the commit is not signed"
	}
	return strings.ReplaceAll(reason, "_", " ")
}

// splitPath is the breadcrumb of a folder path.
type crumb struct{ Name, Path string }

func breadcrumb(dir string) []crumb {
	var out []crumb
	if dir == "" {
		return nil
	}
	acc := ""
	for _, seg := range strings.Split(dir, "/") {
		if acc != "" {
			acc += "/"
		}
		acc += seg
		out = append(out, crumb{Name: seg, Path: acc})
	}
	return out
}

// escapePath escapes each segment of a file path for a URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
