package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHuggingFaceJSReadsCardData: after a git push of a README.md with
// model-index front matter, @huggingface/hub's modelInfo with
// additionalFields ["cardData"] (with a token at HEAD, and anonymous at
// main) returns the card's metadata in the Hub's shape: the client reads
// it unchanged, model-index results with task, dataset and metrics.
func TestHuggingFaceJSReadsCardData(t *testing.T) {
	node, dir := hfjs(t)
	s := needStack(t)
	a := s.newAccount(t)
	s.push(t, a, map[string][]byte{"README.md": []byte(cardHead + cardMore + "---\n# Sentiment model\n")})
	script, _ := filepath.Abs("testdata/hfjs_card.mjs")
	cmd := exec.Command(node, script, s.gateway, a.token, a.user+"/"+a.repo)
	cmd.Env = append(os.Environ(), "HFJS_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("huggingface.js: %v\n%s", err, out)
	}
	type metric struct {
		Type, Name string
		Value      float64
	}
	type cardData struct {
		License    string   `json:"license"`
		BaseModel  string   `json:"base_model"`
		Datasets   []string `json:"datasets"`
		ModelIndex []struct {
			Name    string `json:"name"`
			Results []struct {
				Task    struct{ Type, Name string }        `json:"task"`
				Dataset struct{ Type, Name, Split string } `json:"dataset"`
				Metrics []metric                           `json:"metrics"`
			} `json:"results"`
		} `json:"model-index"`
	}
	var got struct {
		Name                   string
		CardData, AnonCardData *cardData
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("script output: %s", out)
	}
	if got.Name != a.user+"/"+a.repo {
		t.Errorf("modelInfo name %q", got.Name)
	}
	for who, cd := range map[string]*cardData{"with a token": got.CardData, "anonymous": got.AnonCardData} {
		if cd == nil {
			t.Fatalf("%s: no cardData: %s", who, out)
		}
		if cd.License != "apache-2.0" || cd.BaseModel != "bert-base-uncased" || strings.Join(cd.Datasets, ",") != "imdb" || len(cd.ModelIndex) != 1 {
			t.Errorf("%s: cardData %+v", who, *cd)
			continue
		}
		mi := cd.ModelIndex[0]
		if mi.Name != "sentiment" || len(mi.Results) != 1 {
			t.Errorf("%s: model-index %+v", who, mi)
			continue
		}
		r := mi.Results[0]
		want := []metric{{"accuracy", "Accuracy", 0.931}, {"f1", "F1", 0.918}, {"loss", "", 0.21}}
		if r.Task.Type != "text-classification" || r.Dataset.Name != "IMDB" || r.Dataset.Split != "test" || len(r.Metrics) != len(want) {
			t.Errorf("%s: result %+v", who, r)
			continue
		}
		for i, m := range want {
			if r.Metrics[i] != m {
				t.Errorf("%s: metric %d is %+v, want %+v", who, i, r.Metrics[i], m)
			}
		}
	}
}
