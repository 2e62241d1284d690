package gateway

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

type segKind int

// Segment kinds, most specific first: API Gateway prefers a literal
// segment over a {param}, and a {param} over a greedy {proxy+}.
const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // the literal, or the parameter name
}

// route is a compiled samtemplate.Route.
type route struct {
	samtemplate.Route
	segs       []segment
	isDefault  bool // $default
	anyMethod  bool
	normalized string // METHOD + pattern with parameter names erased, for collisions
}

func compileRoute(r samtemplate.Route) (*route, error) {
	c := &route{Route: r, anyMethod: r.Method == "ANY"}
	if r.Path == "$default" {
		c.isDefault = true
		c.normalized = "$default"
		return c, nil
	}
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("route %s (%s): path must start with /", r.Key(), r.Source)
	}
	switch r.Method {
	case "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
	default:
		return nil, fmt.Errorf("route %s (%s): unknown method %q", r.Key(), r.Source, r.Method)
	}
	var norm []string
	parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	seen := map[string]bool{}
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("route %s (%s): greedy %s must be the last segment", r.Key(), r.Source, p)
			}
			c.segs = append(c.segs, segment{segGreedy, p[1 : len(p)-2]})
			norm = append(norm, "{+}")
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			if name == "" || strings.ContainsAny(name, "{}/") {
				return nil, fmt.Errorf("route %s (%s): bad parameter %s", r.Key(), r.Source, p)
			}
			if seen[name] {
				return nil, fmt.Errorf("route %s (%s): parameter %s appears twice", r.Key(), r.Source, p)
			}
			seen[name] = true
			c.segs = append(c.segs, segment{segParam, name})
			norm = append(norm, "{}")
		default:
			if strings.ContainsAny(p, "{}") {
				return nil, fmt.Errorf("route %s (%s): segment %q mixes text and a parameter", r.Key(), r.Source, p)
			}
			c.segs = append(c.segs, segment{segLiteral, p})
			norm = append(norm, p)
		}
	}
	c.normalized = r.Method + " /" + strings.Join(norm, "/")
	return c, nil
}

// match reports whether the route matches method and the path's segments,
// with the path parameters.
func (c *route) match(method string, segs []string) (map[string]string, bool) {
	if !c.anyMethod && c.Method != method {
		return nil, false
	}
	if c.isDefault {
		return nil, true
	}
	params := map[string]string{}
	for i, s := range c.segs {
		if i >= len(segs) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if segs[i] != s.text {
				return nil, false
			}
		case segParam:
			if segs[i] == "" {
				return nil, false
			}
			params[s.text] = segs[i]
		case segGreedy:
			rest := strings.Join(segs[i:], "/")
			if rest == "" {
				return nil, false
			}
			params[s.text] = rest
			return params, true
		}
	}
	if len(segs) != len(c.segs) {
		return nil, false
	}
	return params, true
}

// moreSpecific reports whether a should win over b when both match.
func moreSpecific(a, b *route) bool {
	if a.isDefault != b.isDefault {
		return !a.isDefault
	}
	n := min(len(a.segs), len(b.segs))
	for i := 0; i < n; i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return !a.anyMethod && b.anyMethod
}

// router picks a route the way API Gateway HTTP APIs do.
type router struct {
	routes []*route
}

// newRouter compiles routes and rejects invalid or colliding ones.
func newRouter(routes []samtemplate.Route) (*router, error) {
	rt := &router{}
	seen := map[string]string{}
	for _, r := range routes {
		c, err := compileRoute(r)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[c.normalized]; dup {
			return nil, fmt.Errorf("route %s (%s) collides with %s", r.Key(), r.Source, prev)
		}
		seen[c.normalized] = r.Key() + " (" + r.Source + ")"
		rt.routes = append(rt.routes, c)
	}
	return rt, nil
}

// CheckRoutes compiles routes as the gateway would and returns the first
// invalid or colliding one.
func CheckRoutes(routes []samtemplate.Route) error {
	_, err := newRouter(routes)
	return err
}

// splitPath splits an escaped URL path into decoded segments, so that an
// encoded slash (%2F) stays inside its segment.
func splitPath(escaped string) ([]string, error) {
	parts := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	for i, p := range parts {
		d, err := url.PathUnescape(p)
		if err != nil {
			return nil, err
		}
		parts[i] = d
	}
	return parts, nil
}

// find returns the best route for method and escaped path.
func (rt *router) find(method, escapedPath string) (*route, map[string]string) {
	segs, err := splitPath(escapedPath)
	if err != nil {
		return nil, nil
	}
	var best *route
	var bestParams map[string]string
	for _, c := range rt.routes {
		params, ok := c.match(method, segs)
		if !ok {
			continue
		}
		if best == nil || moreSpecific(c, best) {
			best, bestParams = c, params
		}
	}
	return best, bestParams
}
