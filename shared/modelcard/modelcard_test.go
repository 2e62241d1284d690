package modelcard

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const card = `---
license: apache-2.0
tags:
- text-classification
datasets: [imdb]
base_model: bert-base-uncased
model-index:
- name: my-model
  results:
  - task:
      type: text-classification
      name: Text Classification
    dataset:
      type: imdb
      name: IMDB
      split: test
    metrics:
    - type: accuracy
      value: 0.93
      name: Accuracy
    - type: f1
      value: 0.91
    - type: loss
      name: Loss
      value: 1.5e-1
---
# My model

Hello.
`

func TestParseHubCard(t *testing.T) {
	c := Parse([]byte(card), true)
	if c.Error != "" {
		t.Fatal(c.Error)
	}
	if c.Data["license"] != "apache-2.0" || c.Data["base_model"] != "bert-base-uncased" {
		t.Fatalf("data %v", c.Data)
	}
	if c.Body != "# My model\n\nHello.\n" {
		t.Fatalf("body %q", c.Body)
	}
	js, _ := json.Marshal(c.Data)
	if !strings.Contains(string(js), `"model-index":[{"name":"my-model","results":[{"dataset":{"name":"IMDB","split":"test","type":"imdb"}`) {
		t.Fatalf("json %s", js)
	}
	if len(c.Metrics) != 3 {
		t.Fatalf("metrics %+v", c.Metrics)
	}
	want := []struct {
		typ         string
		value       any
		first, last int
	}{{"accuracy", 0.93, 18, 20}, {"f1", 0.91, 21, 22}, {"loss", 0.15, 23, 25}}
	for i, w := range want {
		m := c.Metrics[i]
		if m.Metric.Type != w.typ || m.Metric.Value != w.value || m.FirstLine != w.first || m.LastLine != w.last {
			t.Errorf("metric %d = %+v, want %+v", i, m, w)
		}
		if m.Task.Type != "text-classification" || m.Dataset.Name != "IMDB" || m.Model != "my-model" {
			t.Errorf("metric %d = %+v", i, m)
		}
	}
	lines := strings.Split(card, "\n")
	if !strings.Contains(lines[c.Metrics[1].FirstLine-1], "type: f1") || !strings.Contains(lines[c.Metrics[1].LastLine-1], "0.91") {
		t.Errorf("f1 lines %d-%d do not hold it", c.Metrics[1].FirstLine, c.Metrics[1].LastLine)
	}
	if n := FrontMatterLines([]byte(card), true); n != 26 {
		t.Errorf("FrontMatterLines = %d, want 26", n)
	}
}

func TestNoFrontMatter(t *testing.T) {
	for _, s := range []string{"# Title\n", "", "---\nno closing line\n", "--- x\n"} {
		c := Parse([]byte(s), true)
		if c.Error != "" || c.Data != nil || c.Body != s {
			t.Errorf("%q: %+v", s, c)
		}
	}
}

func TestLeadingBlankLinesAndCRLF(t *testing.T) {
	c := Parse([]byte("\n\n---\r\nlicense: mit\r\nmodel-index:\r\n- results:\r\n  - task: {type: t}\r\n    dataset: {type: d, name: D}\r\n    metrics:\r\n    - {type: acc, value: 1}\r\n---\r\nbody"), true)
	if c.Error != "" || c.Data["license"] != "mit" || c.Body != "body" {
		t.Fatalf("%+v", c)
	}
	if len(c.Metrics) != 1 || c.Metrics[0].FirstLine != 10 || c.Metrics[0].Metric.Value != int64(1) {
		t.Fatalf("%+v", c.Metrics)
	}
}

// billionLaughs is the YAML version of the XML bomb: each level doubles
// ten times, 10^9 strings when expanded.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, l := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(l + ": &" + l + " [")
		for i := 0; i < 9; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = l
	}
	b.WriteString("---\n# body\n")
	return b.String()
}

func TestHostileCardsAreRefusedNotExpanded(t *testing.T) {
	huge := "---\nx: \"" + strings.Repeat("a", 10<<20) + "\"\n---\nbody\n"
	cases := map[string]struct{ src, want string }{
		"billion laughs":    {billionLaughs(), "expands to over"},
		"10 MiB":            {huge, "over 65536 bytes"},
		"custom tag":        {"---\nx: !python/object:os.system 'rm -rf /'\n---\n", `tag "!python/object:os.system" is not allowed`},
		"custom tag on map": {"---\nx: !!python/object/apply:os.system {}\n---\n", "is not allowed"},
		"duplicate key":     {"---\nlicense: mit\nlicense: gpl\n---\n", `key "license" appears twice`},
		"not a mapping":     {"---\n- a\n- b\n---\n", "not a YAML mapping"},
		"bad yaml":          {"---\na: [\n---\n", "not valid YAML"},
		"self reference":    {"---\na: &a [*a, *a]\n---\n", "front matter"},
		"deep":              {"---\na: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n---\n", "front matter"},
		"many keys":         {"---\n" + manyKeys(30000) + "---\n", "front matter"},
	}
	for name, tc := range cases {
		c := Parse([]byte(tc.src), true)
		if c.Data != nil || c.Metrics != nil || !strings.Contains(c.Error, tc.want) {
			t.Errorf("%s: data %v, error %q, want error containing %q", name, c.Data != nil, c.Error, tc.want)
		}
		if len(c.Body) > MaxHead {
			t.Errorf("%s: body %d bytes", name, len(c.Body))
		}
	}
	// A cut head (what the hook sends of a 10 MiB README) says the same.
	c := Parse([]byte(huge[:MaxHead]), false)
	if !strings.Contains(c.Error, "over 65536 bytes") {
		t.Errorf("cut head: %q", c.Error)
	}
	if FrontMatterLines([]byte(huge), true) != 0 || FrontMatterLines([]byte(billionLaughs()), true) != 11 {
		t.Errorf("FrontMatterLines of hostile cards")
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strconv.Itoa(i))
		b.WriteString(": 1\n")
	}
	return b.String()
}

// The YAML library's own decoder (which Parse does not use: it walks the
// node tree within its own budget) refuses the bomb too, so a later
// direct use of yaml.Unmarshal would not be a hole.
func TestLibraryDecoderRefusesBillionLaughs(t *testing.T) {
	src := strings.TrimSuffix(strings.TrimPrefix(billionLaughs(), "---\n"), "---\n# body\n")
	var v any
	err := yaml.Unmarshal([]byte(src), &v)
	if err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Fatalf("yaml.v3 decoded the bomb: %v", err)
	}
	// And the node tree, which Parse walks, keeps aliases unexpanded.
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
}

func TestMergeKeysAndAliasesWithinBudget(t *testing.T) {
	c := Parse([]byte("---\nbase: &b {license: mit, tags: [x]}\nthis:\n  <<: *b\n  tags: [y]\n---\n"), true)
	if c.Error != "" {
		t.Fatal(c.Error)
	}
	this := c.Data["this"].(map[string]any)
	if this["license"] != "mit" || this["tags"].([]any)[0] != "y" {
		t.Fatalf("%v", this)
	}
}

func TestLastChange(t *testing.T) {
	lines := []string{"a", "a", "b", "a", "c"}
	info := map[string]BlameCommit{"a": {CommitterTime: 10}, "b": {CommitterTime: 30}, "c": {CommitterTime: 20}}
	for _, tc := range []struct {
		first, last int
		want        string
	}{{1, 2, "a"}, {1, 4, "b"}, {4, 5, "c"}, {5, 9, "c"}, {7, 9, ""}} {
		if got := LastChange(lines, info, tc.first, tc.last); got != tc.want {
			t.Errorf("%d-%d: %q, want %q", tc.first, tc.last, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(card), true)
	f.Add([]byte(billionLaughs()), true)
	f.Add([]byte("---\na: &a [*a]\n---\n"), false)
	f.Add([]byte("---\n<<: [*x]\n---\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, complete bool) {
		c := Parse(b, complete)
		if c.Data != nil {
			if _, err := json.Marshal(c.Data); err != nil {
				t.Fatalf("data not JSON: %v", err)
			}
		}
		for _, m := range c.Metrics {
			if m.FirstLine > m.LastLine || m.FirstLine < 1 {
				t.Fatalf("metric lines %d-%d", m.FirstLine, m.LastLine)
			}
		}
	})
}
