// Package webcardlambda renders model cards in the cards function
// (functions/cards): Renderer is the web function's side (web.CardRenderer
// over Lambda Invoke), Handler the cards function's. The web function
// keeps each commit's rendered card in memory, so it asks once per commit
// and instance.
package webcardlambda

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
)

// Request is the cards function's event.
type Request struct {
	Markdown string `json:"markdown"`
}

// Response is its answer: the sanitised HTML.
type Response struct {
	HTML *string `json:"html"`
}

// Invoker is Lambda Invoke (awsrest.Lambda).
type Invoker interface {
	Invoke(ctx context.Context, function string, async bool, payload []byte) (awsrest.InvokeResult, error)
}

// Renderer is web.CardRenderer through the cards function.
type Renderer struct {
	Lambda   Invoker
	Function string
}

// RenderCard invokes the cards function synchronously; any failure is
// apperr.Unavailable (the page answers 503 and the next visit asks again).
func (r Renderer) RenderCard(ctx context.Context, markdown string) (template.HTML, error) {
	in, err := json.Marshal(Request{Markdown: markdown})
	if err != nil {
		return "", err
	}
	res, err := r.Lambda.Invoke(ctx, r.Function, false, in)
	if err != nil {
		return "", apperr.Wrap(apperr.Unavailable, err, "card rendering is unavailable")
	}
	if res.FunctionError != "" {
		return "", apperr.Wrap(apperr.Unavailable, fmt.Errorf("%s: %.200s", res.FunctionError, res.Payload), "card rendering failed")
	}
	var out Response
	if err := json.Unmarshal(res.Payload, &out); err != nil || out.HTML == nil {
		return "", apperr.Wrap(apperr.Unavailable, fmt.Errorf("unreadable answer: %.200s", res.Payload), "card rendering failed")
	}
	return template.HTML(*out.HTML), nil // sanitised by the cards function (webcard)
}

// Handler is the cards function: render is webcard.RenderCard.
func Handler(render func(string) template.HTML) func(context.Context, json.RawMessage) (any, error) {
	return func(_ context.Context, raw json.RawMessage) (any, error) {
		var in Request
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("the event is not a card to render")
		}
		html := string(render(in.Markdown))
		return Response{HTML: &html}, nil
	}
}
