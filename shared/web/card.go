package web

import (
	"context"
	"html/template"
	"net/url"
	"strings"
	"sync"

	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/modelcard"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
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
	if t.Cards == nil {
		return RepoCard{}, apperr.E(apperr.Unavailable, "card rendering is not configured")
	}
	html, err := rendered.get(ctx, t.Cards, r.ID+"/"+commit, card.Body)
	if err != nil {
		return RepoCard{}, err
	}
	return RepoCard{Found: true, Error: card.Error, HTML: html, Truncated: card.Truncated, Evals: card.Evals}, nil
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

func (c *htmlCache) get(ctx context.Context, cards CardRenderer, key, body string) (template.HTML, error) {
	c.mu.Lock()
	h, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := cards.RenderCard(ctx, body)
	if err != nil {
		return "", err // not kept: the next visit asks again
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(h) > renderedMax {
		c.m, c.bytes = map[string]template.HTML{}, 0 // start again: simple, bounded
	}
	if _, dup := c.m[key]; !dup && len(h) <= renderedMax {
		c.m[key] = h
		c.bytes += len(h)
	}
	return h, nil
}

// CardRenderer renders a card's markdown to safe HTML: webcard.Local in
// process, or webcardlambda.Renderer through the cards function, which
// keeps goldmark and bluemonday (and their package init) out of the web
// function's cold start.
type CardRenderer interface {
	RenderCard(ctx context.Context, markdown string) (template.HTML, error)
}

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
