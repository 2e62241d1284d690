package access

import (
	"os"
	"strings"
	"testing"
)

const readme = "../../README.md"

// matrixTable returns the Markdown table lines of the Matrix section of the
// generated permissions document.
func matrixTable(doc string) string {
	_, section, _ := strings.Cut(doc, "\n## Matrix\n")
	section, _, _ = strings.Cut(section, "\n## ")
	var lines []string
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "|") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// fineSummary returns the Markdown table of what each fine-grained
// permission grants, from the generated permissions document.
func fineSummary() string {
	var b strings.Builder
	renderFineSummary(&b)
	return strings.TrimSpace(b.String())
}

// TestReadmeMatrix keeps the tables in README.md (between the
// permissions-matrix and fine-grained-matrix markers) equal to the ones
// generated from Decide. With -update it rewrites those parts of the
// README.
func TestReadmeMatrix(t *testing.T) {
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, part := range []struct{ marker, want string }{
		{"permissions-matrix", matrixTable(renderPermissions())},
		{"fine-grained-matrix", fineSummary()},
	} {
		begin, end := "<!-- "+part.marker+":begin -->\n", "<!-- "+part.marker+":end -->"
		i, j := strings.Index(s, begin), strings.Index(s, end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
		}
		if *update {
			s = s[:i+len(begin)] + part.want + "\n" + s[j:]
			j = strings.Index(s, end)
		}
		if got := strings.TrimSpace(s[i+len(begin) : j]); got != part.want {
			t.Errorf("README.md's %s table is out of date; run go test ./shared/access -run 'TestPermissionsDoc|TestReadmeMatrix' -update", part.marker)
		}
	}
	if *update {
		if err := os.WriteFile(readme, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
