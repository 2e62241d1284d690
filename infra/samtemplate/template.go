// Package samtemplate reads the parts of an AWS SAM template.yaml that the
// local stack honours: functions and their events, the HTTP API and its
// authorizers, HTTP_PROXY routes and the REST Inference API. It parses with
// yaml.v3 and turns the short-form intrinsics (!Ref, !GetAtt, !Sub, ...)
// into their long form ({"Ref": x}, {"Fn::GetAtt": [a, b]}, {"Fn::Sub": s}),
// so the rest of the code sees plain maps, slices and strings.
package samtemplate

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed template.
type Template struct {
	Parameters map[string]any
	Conditions map[string]any
	Globals    map[string]any
	Resources  map[string]Resource
}

// Resource is one entry of Resources.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse parses a template.
func Parse(data []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	v, err := convert(&root)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: top level is not a mapping")
	}
	t := &Template{
		Parameters: Map(doc["Parameters"]),
		Conditions: Map(doc["Conditions"]),
		Globals:    Map(doc["Globals"]),
		Resources:  map[string]Resource{},
	}
	for id, raw := range Map(doc["Resources"]) {
		m := Map(raw)
		typ, _ := m["Type"].(string)
		if typ == "" {
			return nil, fmt.Errorf("resource %s has no Type", id)
		}
		t.Resources[id] = Resource{LogicalID: id, Type: typ, Properties: Map(m["Properties"]), Metadata: Map(m["Metadata"])}
	}
	return t, nil
}

// shortForms maps a YAML tag to the long-form intrinsic key.
var shortForms = map[string]string{
	"!Ref": "Ref", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!If": "Fn::If",
	"!Not": "Fn::Not", "!Equals": "Fn::Equals", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!And": "Fn::And", "!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap",
	"!ImportValue": "Fn::ImportValue", "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr",
	"!GetAZs": "Fn::GetAZs", "!Condition": "Condition",
}

func convert(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0])
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := convert(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	}
	key, ok := shortForms[n.Tag]
	if !ok {
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		return v, nil
	}
	if key == "Fn::GetAtt" {
		if s, ok := v.(string); ok { // !GetAtt Res.Attr
			a, b, _ := strings.Cut(s, ".")
			v = []any{a, b}
		}
	}
	return map[string]any{key: v}, nil
}

// Map returns v as a mapping, or an empty one.
func Map(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

// String returns v as a string ("" when it is not a scalar string).
func String(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case bool, int, float64:
		return fmt.Sprint(s)
	}
	return ""
}

// RefTarget returns the logical id that v refers to through Ref or
// Fn::GetAtt, or a plain string.
func RefTarget(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	m := Map(v)
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		return String(ga[0])
	}
	return ""
}

// ParameterDefault returns a parameter's Default.
func (t *Template) ParameterDefault(name string) string {
	return String(Map(t.Parameters[name])["Default"])
}

// Sub resolves a Fn::Sub string (or a plain string, or a Fn::If of them,
// by its condition): ${Param} from vars,
// then parameter defaults; other references (resources, AWS::*) and
// placeholders such as {proxy} are left as they are.
func (t *Template) Sub(v any, vars map[string]string) string {
	if branches, ok := Map(v)["Fn::If"].([]any); ok && len(branches) == 3 {
		if t.Condition(String(branches[0]), vars) {
			return t.Sub(branches[1], vars)
		}
		return t.Sub(branches[2], vars)
	}
	if ref, ok := Map(v)["Ref"].(string); ok {
		if _, isParam := t.Parameters[ref]; isParam {
			v = "${" + ref + "}"
		}
	}
	s := String(v)
	if m := Map(v); len(m) > 0 {
		switch sub := m["Fn::Sub"].(type) {
		case string:
			s = sub
		case []any:
			if len(sub) > 0 {
				s = String(sub[0])
			}
		}
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		if val, ok := vars[name]; ok {
			b.WriteString(val)
		} else if _, ok := t.Parameters[name]; ok {
			b.WriteString(t.ParameterDefault(name))
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// OfType returns the resources of type typ, sorted by logical id.
func (t *Template) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range t.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}
