package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// Internal paths.
const (
	S3EventsPath   = "/_s3/events"
	ClamdStopPath  = "/_devstack/clamd/stop"
	ClamdStartPath = "/_devstack/clamd/start"
	// DynamoDBPausePath and DynamoDBResumePath cut the functions off
	// DynamoDB Local and back (their calls hang; the data stays, and the
	// tests' own clients are not cut off), so tests can see what every
	// path answers while the table is unreachable.
	DynamoDBPausePath  = "/_devstack/dynamodb/pause"
	DynamoDBResumePath = "/_devstack/dynamodb/resume"
	// maxAsyncPayload is Lambda's limit for asynchronous invocations.
	maxAsyncPayload = 1 << 20
	maxSyncPayload  = 6 << 20
	asyncTimeout    = 15 * time.Minute
)

// Internal returns the handler of the internal listener: the Lambda Invoke
// API (point AWS_ENDPOINT_URL_LAMBDA here), the S3 webhook receiver and the
// clamd controls. Serve it on loopback only.
func (g *Gateway) Internal() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", g.serveInvoke)
	mux.HandleFunc("POST "+S3EventsPath, g.serveS3Events)
	mux.HandleFunc("POST "+ClamdStopPath, g.serveControl("clamd", g.cfg.Clamd, false))
	mux.HandleFunc("POST "+ClamdStartPath, g.serveControl("clamd", g.cfg.Clamd, true))
	mux.HandleFunc("POST "+DynamoDBPausePath, g.serveControl("dynamodb", g.cfg.DynamoDB, false))
	mux.HandleFunc("POST "+DynamoDBResumePath, g.serveControl("dynamodb", g.cfg.DynamoDB, true))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errorJSON(w, http.StatusNotFound, "Not Found")
	})
	return g.accessLog("internal", mux)
}

// FunctionName resolves a Lambda FunctionName (a name, a name:qualifier, a
// partial or full ARN) to a logical id.
func FunctionName(name string) string {
	if strings.HasPrefix(name, "arn:") {
		// arn:aws:lambda:region:account:function:name[:qualifier]
		parts := strings.Split(name, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
		return ""
	}
	parts := strings.Split(name, ":")
	if len(parts) >= 3 && parts[1] == "function" { // account:function:name
		return parts[2]
	}
	return parts[0]
}

func (g *Gateway) lookup(name string) (string, Invoker, bool) {
	id := FunctionName(name)
	if inv, ok := g.cfg.Functions[id]; ok {
		return id, inv, true
	}
	for logical, inv := range g.cfg.Functions { // the folder name also works: "scanner"
		if samtemplate.Folder(logical) == strings.ToLower(id) {
			return logical, inv, true
		}
	}
	return id, nil, false
}

// lambdaError writes a Lambda service error the SDK understands.
func lambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"Type": "User", "message": msg, "__type": typ})
	w.Write(b)
}

func (g *Gateway) serveInvoke(w http.ResponseWriter, r *http.Request) {
	name, _ := url.PathUnescape(r.PathValue("name"))
	e := entry(r)
	e.route = "Invoke " + name
	id, inv, ok := g.lookup(name)
	if !ok {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	async := r.Header.Get("X-Amz-Invocation-Type") == "Event"
	limit := int64(maxSyncPayload)
	if async {
		limit = maxAsyncPayload
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "could not read the payload")
		return
	}
	if int64(len(payload)) > limit {
		lambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("request payload larger than %d bytes", limit))
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "could not parse request body into json")
		return
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		g.invokeAsync(id, inv, payload)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out, err := inv.Invoke(r.Context(), payload)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if fe, ok := err.(*FunctionError); ok {
		body := fe.Payload
		if body == nil {
			body, _ = json.Marshal(fe)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	if err != nil {
		g.cfg.Log.Error("invoke failed", "function", id, "err", err)
		lambdaError(w, http.StatusBadGateway, "ServiceException", "the function could not be invoked")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// invokeAsync invokes in the background, as Lambda's Event invocations do.
func (g *Gateway) invokeAsync(id string, inv Invoker, payload []byte) {
	g.bg.Add(1)
	go func() {
		defer g.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), asyncTimeout)
		defer cancel()
		if _, err := inv.Invoke(ctx, payload); err != nil {
			g.cfg.Log.Error("asynchronous invocation failed", "function", id, "err", err)
		}
	}()
}

// s3Record is the part of an S3 event record used for filtering; records
// are forwarded unchanged.
type s3Record struct {
	EventName string `json:"eventName"`
	S3        struct {
		Object struct {
			Key string `json:"key"`
		} `json:"object"`
	} `json:"s3"`
}

// serveS3Events receives an S3-compatible store's webhook notifications
// (AWS "Records" JSON) and invokes, asynchronously, every function whose
// template Events include an S3 event matching the record.
func (g *Gateway) serveS3Events(w http.ResponseWriter, r *http.Request) {
	entry(r).route = "S3 webhook"
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAsyncPayload+1))
	if err != nil || len(body) > maxAsyncPayload {
		errorJSON(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	var doc struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		errorJSON(w, http.StatusBadRequest, "Bad Request")
		return
	}
	w.WriteHeader(http.StatusOK) // answer at once: the store waits only briefly
	if len(doc.Records) == 0 {
		g.cfg.Log.Info("S3 notification without records (test event)")
		return
	}
	if g.cfg.S3Notify != nil {
		g.cfg.S3Notify(doc.Records)
		if len(g.s3Functions) == 0 {
			return
		}
	}
	if len(g.s3Functions) == 0 {
		g.cfg.Log.Warn("S3 notification dropped: no function in template.yaml has an S3 event", "records", len(doc.Records))
		return
	}
	for id, evs := range g.s3Functions {
		var matched []json.RawMessage
		for _, raw := range doc.Records {
			var rec s3Record
			if json.Unmarshal(raw, &rec) == nil && s3EventMatches(evs, rec) {
				matched = append(matched, raw)
			}
		}
		if len(matched) == 0 {
			continue
		}
		inv, ok := g.cfg.Functions[id]
		if !ok {
			g.cfg.Log.Warn("S3 notification dropped: function not running", "function", id, "records", len(matched))
			continue
		}
		payload, _ := json.Marshal(map[string]any{"Records": matched})
		g.invokeAsync(id, inv, payload)
	}
}

// s3EventMatches applies an S3 event's Events and Filter.S3Key.Rules.
func s3EventMatches(evs []samtemplate.Event, rec s3Record) bool {
	name := "s3:" + strings.TrimPrefix(rec.EventName, "s3:")
	for _, ev := range evs {
		var patterns []string
		switch v := ev.Properties["Events"].(type) {
		case string:
			patterns = []string{v}
		case []any:
			for _, p := range v {
				patterns = append(patterns, samtemplate.String(p))
			}
		}
		if !anyMatch(patterns, name) {
			continue
		}
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			key = rec.S3.Object.Key
		}
		ok := true
		rules, _ := samtemplate.Map(samtemplate.Map(ev.Properties["Filter"])["S3Key"])["Rules"].([]any)
		for _, raw := range rules {
			rule := samtemplate.Map(raw)
			v := samtemplate.String(rule["Value"])
			switch strings.ToLower(samtemplate.String(rule["Name"])) {
			case "prefix":
				ok = ok && strings.HasPrefix(key, v)
			case "suffix":
				ok = ok && strings.HasSuffix(key, v)
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (g *Gateway) serveControl(name string, ctl ServiceControl, start bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ctl == nil {
			errorJSON(w, http.StatusNotImplemented, name+" is not managed by this stack")
			return
		}
		op, verb := ctl.Stop, "stopped"
		if start {
			op, verb = ctl.Start, "started"
		}
		if err := op(r.Context()); err != nil {
			g.cfg.Log.Error("service control failed", "service", name, "start", start, "err", err)
			errorJSON(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{%q:%q}\n", name, verb)
	}
}
