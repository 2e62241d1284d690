package infra_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// TestScriptsParse runs `bash -n` on every shell script under infra/,
// localstack/ and .ci/.
func TestScriptsParse(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not on PATH")
	}
	scripts := []string{"../.ci/run"}
	for _, root := range []string{".", "../localstack"} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sh") {
				scripts = append(scripts, p)
			}
			return nil
		})
	}
	for _, s := range scripts {
		if out, err := exec.Command(bash, "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, out)
		}
	}
}

// TestYAMLParses parses every YAML file under infra/ and localstack/, and
// template.yaml with its intrinsic tags.
func TestYAMLParses(t *testing.T) {
	for _, root := range []string{".", "../localstack"} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Error(err)
				return nil
			}
			if strings.Contains(string(b), "AWSTemplateFormatVersion") || strings.Contains(string(b), "AWS::") {
				if _, err := samtemplate.Parse(b); err != nil {
					t.Errorf("%s: %v", p, err)
				}
				return nil
			}
			var v any
			if err := yaml.Unmarshal(b, &v); err != nil {
				t.Errorf("%s: %v", p, err)
			}
			return nil
		})
	}
	if _, err := samtemplate.Load("../template.yaml"); err != nil {
		t.Error(err)
	}
}
