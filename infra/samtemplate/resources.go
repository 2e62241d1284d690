package samtemplate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Resource types the local stack understands.
const (
	TypeFunction       = "AWS::Serverless::Function"
	TypeHTTPAPI        = "AWS::Serverless::HttpApi"
	TypeRestAPI        = "AWS::Serverless::Api"
	TypeV2Route        = "AWS::ApiGatewayV2::Route"
	TypeV2Integration  = "AWS::ApiGatewayV2::Integration"
	TypeDynamoDBTable  = "AWS::DynamoDB::Table"
	TypeS3Bucket       = "AWS::S3::Bucket"
	AuthNone           = "NONE"
	implicitHTTPAPI    = "ServerlessHttpApi"
	defaultStageNameV2 = "$default"
)

// Function is an AWS::Serverless::Function.
type Function struct {
	LogicalID   string
	CodeURI     string
	BuildMethod string
	// Environment holds the literal (non-intrinsic) variables from Globals
	// and the function, the function's winning.
	Environment map[string]string
	Events      []Event
}

// Event is one entry of a function's Events.
type Event struct {
	Name       string
	Type       string
	Properties map[string]any
}

// Folder returns the functions/ folder of a function's logical id: the id
// without its "Function" suffix, lower-cased (HealthFunction -> health).
func Folder(logicalID string) string {
	return strings.ToLower(strings.TrimSuffix(logicalID, "Function"))
}

// Functions returns every function, sorted by logical id.
func (t *Template) Functions() []Function {
	var out []Function
	globalEnv := literalEnv(Map(Map(t.Globals["Function"])["Environment"]))
	for _, r := range t.OfType(TypeFunction) {
		f := Function{
			LogicalID:   r.LogicalID,
			CodeURI:     String(r.Properties["CodeUri"]),
			BuildMethod: String(r.Metadata["BuildMethod"]),
			Environment: map[string]string{},
		}
		for k, v := range globalEnv {
			f.Environment[k] = v
		}
		for k, v := range literalEnv(Map(r.Properties["Environment"])) {
			f.Environment[k] = v
		}
		for name, raw := range Map(r.Properties["Events"]) {
			ev := Map(raw)
			f.Events = append(f.Events, Event{Name: name, Type: String(ev["Type"]), Properties: Map(ev["Properties"])})
		}
		sort.Slice(f.Events, func(i, j int) bool { return f.Events[i].Name < f.Events[j].Name })
		out = append(out, f)
	}
	return out
}

func literalEnv(env map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range Map(env["Variables"]) {
		switch v.(type) {
		case string, bool, int, float64:
			out[k] = String(v)
		}
	}
	return out
}

// Authorizer is a Lambda authorizer of an API.
type Authorizer struct {
	Name     string
	Function string // logical id of the authorizer function
	// PayloadType is "2.0" (HTTP API), or "TOKEN" / "REQUEST" (REST API).
	PayloadType     string
	SimpleResponses bool
	IdentityHeader  string // REST TOKEN: the header carrying the token
}

// API is an HTTP API (AWS::Serverless::HttpApi) or a REST API
// (AWS::Serverless::Api).
type API struct {
	LogicalID         string
	Type              string
	StageName         string
	DefaultAuthorizer string
	Authorizers       map[string]Authorizer
	Operations        []Operation // REST APIs with an inline OpenAPI DefinitionBody
	// GatewayResponses of a REST API by type (AUTHORIZER_FAILURE...).
	GatewayResponses map[string]GatewayResponse
}

// GatewayResponse is a REST API's customised answer of one kind
// (AWS::Serverless::Api GatewayResponses).
type GatewayResponse struct {
	StatusCode int
	Headers    map[string]string // literal values with quotes removed, or mappings (context.authorizer.<key>)
	Body       string            // the application/json template
}

// Operation is one path+method of a REST API's OpenAPI definition.
type Operation struct {
	Method, Path string
	Authorizer   string // "" means none
	Integration  Integration
}

// Integration is where a route goes when it is not a Lambda function.
type Integration struct {
	LogicalID string
	Type      string // HTTP_PROXY (upper-cased)
	Method    string
	URI       any // a string or a Fn::Sub, resolved with Template.Sub
	// RequestParameters maps a target ("overwrite:header.X-Trust-User",
	// "integration.request.header.X-Trust-User") to a source
	// ("$context.authorizer.user", "context.authorizer.user").
	RequestParameters map[string]string
}

// APIs returns the HTTP and REST APIs by logical id.
func (t *Template) APIs() map[string]API {
	out := map[string]API{}
	for _, typ := range []string{TypeHTTPAPI, TypeRestAPI} {
		for _, r := range t.OfType(typ) {
			api := API{LogicalID: r.LogicalID, Type: typ, Authorizers: map[string]Authorizer{}}
			api.StageName = t.Sub(resolveRef(t, r.Properties["StageName"]), nil)
			auth := Map(r.Properties["Auth"])
			api.DefaultAuthorizer = String(auth["DefaultAuthorizer"])
			for name, raw := range Map(auth["Authorizers"]) {
				a := Map(raw)
				az := Authorizer{Name: name, Function: RefTarget(a["FunctionArn"])}
				if typ == TypeHTTPAPI {
					az.PayloadType = String(a["AuthorizerPayloadFormatVersion"])
					if az.PayloadType == "" {
						az.PayloadType = "2.0"
					}
					az.SimpleResponses, _ = a["EnableSimpleResponses"].(bool)
				} else {
					az.PayloadType = strings.ToUpper(String(a["FunctionPayloadType"]))
					if az.PayloadType == "" {
						az.PayloadType = "TOKEN"
					}
					az.IdentityHeader = String(Map(a["Identity"])["Header"])
					if az.IdentityHeader == "" && az.PayloadType == "TOKEN" {
						az.IdentityHeader = "Authorization"
					}
				}
				api.Authorizers[name] = az
			}
			if typ == TypeRestAPI {
				api.Operations = t.operations(api, Map(r.Properties["DefinitionBody"]))
				api.GatewayResponses = gatewayResponses(Map(r.Properties["GatewayResponses"]))
			}
			out[r.LogicalID] = api
		}
	}
	return out
}

func resolveRef(t *Template, v any) any {
	if r, ok := Map(v)["Ref"].(string); ok {
		if _, isParam := t.Parameters[r]; isParam {
			return t.ParameterDefault(r)
		}
	}
	return v
}

func (t *Template) operations(api API, body map[string]any) []Operation {
	var ops []Operation
	for path, raw := range Map(body["paths"]) {
		for method, opRaw := range Map(raw) {
			op := Map(opRaw)
			in := Map(op["x-amazon-apigateway-integration"])
			o := Operation{
				Method: strings.ToUpper(method),
				Path:   path,
				Integration: Integration{
					Type:              strings.ToUpper(String(in["type"])),
					Method:            strings.ToUpper(String(in["httpMethod"])),
					URI:               in["uri"],
					RequestParameters: stringMap(in["requestParameters"]),
				},
			}
			if o.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
				o.Method = "ANY"
			}
			o.Authorizer = api.DefaultAuthorizer
			if sec, ok := op["security"].([]any); ok {
				o.Authorizer = ""
				for _, s := range sec {
					for name := range Map(s) {
						if _, ok := api.Authorizers[name]; ok {
							o.Authorizer = name
						}
					}
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Path+ops[i].Method < ops[j].Path+ops[j].Method })
	return ops
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	for k, val := range Map(v) {
		out[k] = String(val)
	}
	return out
}

// Route is one HTTP API route: a function's HttpApi event or an
// AWS::ApiGatewayV2::Route.
type Route struct {
	Source      string // where it was declared: "HealthFunction.Health" or "GitInfoRefsRoute"
	API         string // logical id of the HTTP API
	Method      string // upper case, or ANY
	Path        string // "/api/{name}", "/{proxy+}", or "$default"
	Function    string // logical id of the target function, or ""
	Integration *Integration
	Authorizer  string // authorizer name, "" when the route has none
}

// Key is the API Gateway route key: "GET /api/health".
func (r Route) Key() string {
	if r.Path == "$default" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// HTTPRoutes returns every route of every HTTP API, sorted by API and key.
func (t *Template) HTTPRoutes() ([]Route, error) {
	apis := t.APIs()
	defaultAuth := func(api string) string { return apis[api].DefaultAuthorizer }
	var routes []Route
	for _, f := range t.Functions() {
		for _, ev := range f.Events {
			if ev.Type != "HttpApi" {
				continue
			}
			p := ev.Properties
			r := Route{
				Source:   f.LogicalID + "." + ev.Name,
				API:      RefTarget(p["ApiId"]),
				Method:   strings.ToUpper(String(p["Method"])),
				Path:     String(p["Path"]),
				Function: f.LogicalID,
			}
			if r.API == "" {
				r.API = implicitHTTPAPI
			}
			if r.Method == "" || r.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
				r.Method = "ANY"
			}
			if r.Path == "" {
				r.Path = "$default"
			}
			r.Authorizer = defaultAuth(r.API)
			if a := String(Map(p["Auth"])["Authorizer"]); a != "" {
				r.Authorizer = a
			}
			if r.Authorizer == AuthNone {
				r.Authorizer = ""
			}
			routes = append(routes, r)
		}
	}
	integrations := t.integrations()
	for _, res := range t.OfType(TypeV2Route) {
		p := res.Properties
		key := String(p["RouteKey"])
		r := Route{Source: res.LogicalID, API: RefTarget(p["ApiId"])}
		if key == "$default" {
			r.Method, r.Path = "ANY", "$default"
		} else {
			m, path, ok := strings.Cut(key, " ")
			if !ok {
				return nil, fmt.Errorf("%s: route key %q is not \"METHOD /path\"", res.LogicalID, key)
			}
			r.Method, r.Path = strings.ToUpper(m), path
		}
		target := t.Sub(p["Target"], nil)
		id := strings.TrimPrefix(target, "integrations/")
		id = strings.TrimSuffix(strings.TrimPrefix(id, "${"), "}")
		in, ok := integrations[id]
		if !ok {
			return nil, fmt.Errorf("%s: target %q is not an integration in the template", res.LogicalID, target)
		}
		r.Integration = &in
		if strings.ToUpper(String(p["AuthorizationType"])) == "CUSTOM" {
			// SAM names an HttpApi authorizer resource <ApiId><AuthorizerName>.
			r.Authorizer = strings.TrimPrefix(RefTarget(p["AuthorizerId"]), r.API)
		}
		routes = append(routes, r)
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].API != routes[j].API {
			return routes[i].API < routes[j].API
		}
		return routes[i].Key() < routes[j].Key()
	})
	return routes, nil
}

func (t *Template) integrations() map[string]Integration {
	out := map[string]Integration{}
	for _, r := range t.OfType(TypeV2Integration) {
		p := r.Properties
		out[r.LogicalID] = Integration{
			LogicalID:         r.LogicalID,
			Type:              strings.ToUpper(String(p["IntegrationType"])),
			Method:            strings.ToUpper(String(p["IntegrationMethod"])),
			URI:               p["IntegrationUri"],
			RequestParameters: stringMap(p["RequestParameters"]),
		}
	}
	return out
}

// S3Functions returns the functions with an S3 event, and those events.
func (t *Template) S3Functions() map[string][]Event {
	out := map[string][]Event{}
	for _, f := range t.Functions() {
		for _, ev := range f.Events {
			if ev.Type == "S3" {
				out[f.LogicalID] = append(out[f.LogicalID], ev)
			}
		}
	}
	return out
}

func gatewayResponses(m map[string]any) map[string]GatewayResponse {
	out := map[string]GatewayResponse{}
	for typ, raw := range m {
		gr := Map(raw)
		code, _ := strconv.Atoi(fmt.Sprint(gr["StatusCode"]))
		r := GatewayResponse{StatusCode: code, Headers: map[string]string{}, Body: String(Map(gr["ResponseTemplates"])["application/json"])}
		for k, v := range stringMap(Map(gr["ResponseParameters"])["Headers"]) {
			// 'quoted' is a literal; anything else a mapping expression
			// (context.authorizer.<key>), kept for the gateway to resolve.
			if strings.HasPrefix(v, "'") {
				v = strings.Trim(v, "'")
			}
			r.Headers[k] = v
		}
		out[typ] = r
	}
	return out
}
