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

// TestReadmeMatrix keeps the matrix in README.md (between the
// permissions-matrix markers) equal to the one generated from Decide. With
// -update it rewrites that part of the README.
func TestReadmeMatrix(t *testing.T) {
	const begin, end = "<!-- permissions-matrix:begin -->\n", "<!-- permissions-matrix:end -->"
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := matrixTable(renderPermissions())
	if *update {
		s = s[:i+len(begin)] + want + "\n" + s[j:]
		if err := os.WriteFile(readme, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.TrimSpace(s[i+len(begin) : j]); got != want {
		t.Errorf("README.md's permission matrix is out of date; run go test ./internal/access -run 'TestPermissionsDoc|TestReadmeMatrix' -update")
	}
}
