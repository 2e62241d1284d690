// Package modelcard reads a model card: the YAML front matter of a
// repository's README.md (the Hub's card metadata: license, tags,
// datasets, base_model, model-index) and the markdown after it.
//
// The card is untrusted. Its front matter is found as huggingface_hub
// finds it (repocard.REGEX_YAML_BLOCK), is at most MaxFrontMatter bytes,
// and is decoded from the YAML node tree by this package, not by the YAML
// library's decoder: aliases are expanded within a budget of values and
// bytes (a billion-laughs card stops at the budget), tags other than the
// YAML core schema's are refused, duplicate keys are refused (as js-yaml
// and yaml.v3 refuse them). A card that breaks a rule yields a Card with
// Error set and no data: it is reported, never a failure of the push.
package modelcard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits of a card.
const (
	// MaxFrontMatter bounds the YAML between the --- lines.
	MaxFrontMatter = 64 << 10
	// MaxValues bounds the values the front matter expands to, aliases
	// included.
	MaxValues = 20000
	// MaxValueBytes bounds the bytes of the strings it expands to,
	// aliases included.
	MaxValueBytes = 256 << 10
	// MaxDepth bounds nesting.
	MaxDepth = 64
	// MaxDataJSON bounds the card data as JSON (it is stored per commit).
	MaxDataJSON = 96 << 10
	// MaxMetrics bounds the metrics read from model-index.
	MaxMetrics = 200
	// MaxHead is how much of README.md is read: the front matter and the
	// start of the body (a longer body is cut, and Truncated set).
	MaxHead = 160 << 10
)

// frontMatter is huggingface_hub's REGEX_YAML_BLOCK.
var frontMatter = regexp.MustCompile(`^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))`)

// opening is how a README with front matter starts.
var opening = regexp.MustCompile(`^\s*---[\r\n]`)

// Card is a parsed README.md.
type Card struct {
	// Data is the front matter as JSON values (the Hub's cardData); nil
	// when there is none or it was refused.
	Data map[string]any
	// Error says why the front matter was refused ("" when it was not).
	Error string
	// Body is the markdown after the front matter (all of README.md when
	// it has none), at most MaxHead bytes.
	Body string
	// Truncated: Body is cut at MaxHead bytes.
	Truncated bool
	// Metrics are the model-index metrics, in order.
	Metrics []Metric
}

// Task is a model-index result's task.
type Task struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// Dataset is a model-index result's dataset.
type Dataset struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Config string `json:"config,omitempty"`
	Split  string `json:"split,omitempty"`
}

// MetricValue is one metric of a result.
type MetricValue struct {
	Type  string `json:"type"`
	Name  string `json:"name,omitempty"`
	Value any    `json:"value"`
}

// Metric is one metric of model-index with the README.md lines (1-based,
// inclusive) that write it.
type Metric struct {
	Model     string      `json:"model,omitempty"`
	Task      Task        `json:"task"`
	Dataset   Dataset     `json:"dataset"`
	Metric    MetricValue `json:"metric"`
	FirstLine int         `json:"firstLine"`
	LastLine  int         `json:"lastLine"`
}

// FrontMatterLines reports how many lines of readme (a prefix of
// README.md, at least MaxFrontMatter+1 KiB long when the file is) the
// front matter spans, its --- lines included; 0 when there is none or it
// is too long. The git hook blames these lines.
func FrontMatterLines(head []byte, complete bool) int {
	m, _ := locate(head, complete)
	if m == nil {
		return 0
	}
	return bytes.Count(head[:m[8]], []byte("\n")) + 1
}

// locate finds the front matter in head (a prefix of README.md; complete
// when it is all of it): the regexp's submatch indexes, or nil with an
// error when it opens one it cannot close within the limit.
func locate(head []byte, complete bool) ([]int, error) {
	if !opening.Match(head) {
		return nil, nil
	}
	window := head
	limit := MaxFrontMatter + 1024
	cut := false
	if len(window) > limit {
		window, cut = window[:limit], true
	}
	m := frontMatter.FindSubmatchIndex(window)
	// At the end of a cut window "$" matches where the file goes on.
	if m != nil && cut && m[1] == len(window) && m[8] == m[9] {
		m = nil
	}
	if m == nil {
		if cut || !complete {
			return nil, fmt.Errorf("front matter is over %d bytes", MaxFrontMatter)
		}
		return nil, nil // no closing ---: the Hub reads no metadata
	}
	if m[5]-m[4] > MaxFrontMatter {
		return nil, fmt.Errorf("front matter is %d bytes, over %d", m[5]-m[4], MaxFrontMatter)
	}
	return m, nil
}

// Parse reads README.md: head is its first bytes (up to MaxHead or more),
// complete says whether head is the whole file.
func Parse(head []byte, complete bool) Card {
	var c Card
	m, err := locate(head, complete)
	body := head
	if err != nil {
		c.Error = err.Error()
	} else if m != nil {
		body = head[m[1]:]
		offset := bytes.Count(head[:m[4]], []byte("\n"))
		c.Data, c.Metrics, err = decode(head[m[4]:m[5]], offset)
		if err != nil {
			c.Error = err.Error()
			c.Data, c.Metrics = nil, nil
		}
	}
	if len(body) > MaxHead {
		body, c.Truncated = body[:MaxHead], true
	}
	c.Body = strings.ToValidUTF8(string(body), "\uFFFD")
	return c
}

// decode reads the front matter's YAML; offset is the number of README.md
// lines before it.
func decode(src []byte, offset int) (data map[string]any, metrics []Metric, err error) {
	defer func() {
		if p := recover(); p != nil { // the YAML parser's panics on hostile input
			data, metrics, err = nil, nil, fmt.Errorf("front matter is not valid YAML")
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, nil, fmt.Errorf("front matter is not valid YAML: %s", yamlMessage(err))
	}
	if doc.Kind == 0 { // empty
		return map[string]any{}, nil, nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) != 1 {
			return nil, nil, fmt.Errorf("front matter is not one YAML document")
		}
		root = root.Content[0]
	}
	d := &decoder{}
	v, err := d.value(root, 0)
	if err != nil {
		return nil, nil, err
	}
	if v == nil {
		return map[string]any{}, nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("front matter is not a YAML mapping")
	}
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("front matter cannot be JSON: %v", err)
	}
	if len(js) > MaxDataJSON {
		return nil, nil, fmt.Errorf("card data is %d bytes as JSON, over %d", len(js), MaxDataJSON)
	}
	metrics = d.metrics(root, offset)
	return obj, metrics, nil
}

func yamlMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// decoder turns YAML nodes into JSON values within the budgets.
type decoder struct {
	values int
	bytes  int
}

func (d *decoder) spend(n *yaml.Node, b int) error {
	d.values++
	d.bytes += b
	if d.values > MaxValues {
		return fmt.Errorf("front matter expands to over %d values (aliases?)", MaxValues)
	}
	if d.bytes > MaxValueBytes {
		return fmt.Errorf("front matter expands to over %d bytes (aliases?)", MaxValueBytes)
	}
	return nil
}

// coreTags are the tags of the YAML 1.2 core schema (and 1.1's timestamp,
// binary and merge key, which yaml.v3 resolves).
var coreTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true, "!!timestamp": true, "!!binary": true, "!!merge": true,
}

func (d *decoder) value(n *yaml.Node, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("front matter nests deeper than %d", MaxDepth)
	}
	if n.Kind != yaml.AliasNode && !coreTags[n.ShortTag()] {
		return nil, fmt.Errorf("line %d: tag %q is not allowed", n.Line, n.Tag)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: unknown alias", n.Line)
		}
		return d.value(n.Alias, depth+1)
	case yaml.ScalarNode:
		if err := d.spend(n, len(n.Value)); err != nil {
			return nil, err
		}
		return scalar(n)
	case yaml.SequenceNode:
		if err := d.spend(n, 0); err != nil {
			return nil, err
		}
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if err := d.spend(n, 0); err != nil {
			return nil, err
		}
		out := map[string]any{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				merges = append(merges, v)
				continue
			}
			if k.Kind != yaml.ScalarNode || !coreTags[k.ShortTag()] {
				return nil, fmt.Errorf("line %d: a key must be a plain value", k.Line)
			}
			if err := d.spend(k, len(k.Value)); err != nil {
				return nil, err
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, trim(k.Value))
			}
			val, err := d.value(v, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		for _, m := range merges {
			if err := d.merge(out, m, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// merge applies a merge key ("<<: *base" or "<<: [*a, *b]"): keys already
// set win.
func (d *decoder) merge(out map[string]any, n *yaml.Node, depth int) error {
	v, err := d.value(n, depth)
	if err != nil {
		return err
	}
	var srcs []any
	switch t := v.(type) {
	case map[string]any:
		srcs = []any{t}
	case []any:
		srcs = t
	default:
		return fmt.Errorf("line %d: a merge key takes a mapping", n.Line)
	}
	for _, s := range srcs {
		m, ok := s.(map[string]any)
		if !ok {
			return fmt.Errorf("line %d: a merge key takes mappings", n.Line)
		}
		for k, v := range m {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	}
	return nil
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// scalar resolves a scalar as the core schema does, into a JSON value.
func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: bad boolean", n.Line)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return u, nil
		}
		return n.Value, nil // too large for 64 bits: kept as written
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("line %d: bad number", n.Line)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, nil // as JSON.stringify writes them
		}
		return f, nil
	}
	// !!str, !!timestamp (kept as written), !!binary (base64 text)
	return n.Value, nil
}

// metrics reads model-index's metrics with their lines.
func (d *decoder) metrics(root *yaml.Node, offset int) []Metric {
	var out []Metric
	mi := field(root, "model-index")
	for _, model := range items(mi) {
		name := text(field(model, "name"))
		for _, res := range items(field(model, "results")) {
			task := field(res, "task")
			ds := field(res, "dataset")
			t := Task{Type: text(field(task, "type")), Name: text(field(task, "name"))}
			dset := Dataset{Type: text(field(ds, "type")), Name: text(field(ds, "name")),
				Config: text(field(ds, "config")), Split: text(field(ds, "split"))}
			for _, m := range items(field(res, "metrics")) {
				if len(out) == MaxMetrics {
					return out
				}
				mv := MetricValue{Type: text(field(m, "type")), Name: text(field(m, "name"))}
				if v := field(m, "value"); v != nil {
					// Within the budget: the whole card decoded already.
					val, err := (&decoder{}).value(v, 0)
					if err == nil {
						mv.Value = val
					}
				}
				first, last := lines(m)
				out = append(out, Metric{Model: name, Task: t, Dataset: dset, Metric: mv,
					FirstLine: first + offset, LastLine: last + offset})
			}
		}
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

// field is the value of key in mapping n, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// items is the elements of sequence n.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// text is a scalar's value as a string ("" when it is not one).
func text(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// lines is the span of lines n's own text takes (aliases not followed).
func lines(n *yaml.Node) (first, last int) {
	first, last = n.Line, n.Line
	var walk func(*yaml.Node)
	walk = func(c *yaml.Node) {
		if c.Line > 0 && c.Line < first {
			first = c.Line
		}
		end := c.Line
		if c.Kind == yaml.ScalarNode {
			end += strings.Count(c.Value, "\n")
			if c.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				end++ // the indicator line
			}
		}
		if end > last {
			last = end
		}
		if c.Kind == yaml.AliasNode {
			return
		}
		for _, k := range c.Content {
			walk(k)
		}
	}
	walk(n)
	return first, last
}

// String shows a metric value as the page prints it.
func String(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(t, 10)
	case uint64:
		return strconv.FormatUint(t, 10)
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// BlameCommit is what git blame says of a commit.
type BlameCommit struct {
	AuthorName    string `json:"authorName"`
	AuthorTime    int64  `json:"authorTime"`    // unix seconds
	CommitterTime int64  `json:"committerTime"` // unix seconds
}

// LastChange is the commit that last changed lines first..last (1-based,
// inclusive) of README.md: of the commits blame names for them, the one
// committed last (by committer time, then by the later line). lines[i] is
// the commit of line i+1. "" when blame covers none of them.
func LastChange(lines []string, info map[string]BlameCommit, first, last int) string {
	best := ""
	var bestTime int64
	for l := first; l <= last; l++ {
		if l < 1 || l > len(lines) {
			continue
		}
		c := lines[l-1]
		if c == "" {
			continue
		}
		t := info[c].CommitterTime
		if best == "" || t >= bestTime {
			best, bestTime = c, t
		}
	}
	return best
}
