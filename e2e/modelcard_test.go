// End-to-end tests of the model card: README.md's front matter read at
// push (cardData in the model info), and the evaluation results with the
// commit that wrote each metric and that commit's signature verification.

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cardHead = `---
license: apache-2.0
tags:
- text-classification
datasets:
- imdb
base_model: bert-base-uncased
model-index:
- name: sentiment
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
      name: Accuracy
      value: 0.931
`

const cardMore = `    - type: f1
      name: F1
      value: 0.918
    - type: loss
      value: 0.21
`

const cardBody = `---
# Sentiment model

Fine-tuned on [IMDB](https://example.com/imdb). <script>alert(1)</script>
[click](javascript:alert(1)) and ![tracker](//evil.example/x.png)
<img src=//evil.example/y.png onerror=alert(1)>

## Training

Three epochs over the *train* split, learning rate 2e-5, batch size 32.

| split | accuracy | f1 |
|---|---|---|
| test | 0.931 | 0.918 |

` + "```python" + `
from transformers import pipeline
classify = pipeline("text-classification", model="user/sentiment")
` + "```" + `

- Intended use: English movie reviews.
- Not for: medical or legal text.
`

func writeFile(t testing.TB, dir, path, content string) {
	t.Helper()
	full := filepath.Join(dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type evalResult struct {
	Task    struct{ Type, Name string }
	Dataset struct{ Type, Name, Split string }
	Metric  struct {
		Type, Name string
		Value      any
	}
	Source struct {
		Commit       string
		AuthorName   string
		Date         string
		Verification struct {
			Status, Reason string
			Signer         *struct{ Type, KeyID, Fingerprint, Name string }
		}
	}
	SignedModel bool
}

// cardRepo pushes a card whose accuracy is written by a signed commit and
// whose F1 and loss by a later unsigned one; it returns the repository
// name and the two commits.
func cardRepo(t *testing.T, s signer) (name, signed, unsigned string) {
	t.Helper()
	name = s.createRepo(t, map[string]any{})
	r := s.g.NewRepo("w", "sha1")
	writeFile(t, r.Dir, "README.md", cardHead+cardBody)
	signed = s.commit(r, true, "card: accuracy")
	// Two pushes: the index keeps the tips a push leaves.
	if out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	waitIndexed(t, s.h.base, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token, "main", signed)
	writeFile(t, r.Dir, "README.md", cardHead+cardMore+cardBody)
	unsigned = s.commit(r, false, "card: f1 and loss")
	if out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	waitIndexed(t, s.h.base, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token, "main", unsigned)
	return name, signed, unsigned
}

// TestModelCardEvalResultsProvenance: a real git push of a card with three
// metrics written by two commits, one signed with an uploaded key and one
// unsigned: the model info carries cardData in the Hub's shape, and the
// eval results name the right commit and verification for each metric.
func TestModelCardEvalResultsProvenance(t *testing.T) {
	s := newSigner(t)
	name, signed, unsigned := cardRepo(t, s)
	api := "/api/models/" + s.u.Name + "/" + name

	info := s.h.must(200, s.h.do("GET", api, "Bearer "+s.token, nil), "model info").json(t)
	cd, ok := info["cardData"].(map[string]any)
	if !ok {
		t.Fatalf("cardData: %v", info["cardData"])
	}
	if cd["license"] != "apache-2.0" || cd["base_model"] != "bert-base-uncased" || !strings.Contains(jsonOf(cd["datasets"]), "imdb") {
		t.Errorf("cardData: %v", cd)
	}
	// huggingface_hub's model_index_to_eval_results reads these keys.
	mi := cd["model-index"].([]any)[0].(map[string]any)
	res := mi["results"].([]any)[0].(map[string]any)
	metrics := res["metrics"].([]any)
	if mi["name"] != "sentiment" || len(metrics) != 3 || res["task"].(map[string]any)["type"] != "text-classification" ||
		res["dataset"].(map[string]any)["name"] != "IMDB" || metrics[0].(map[string]any)["value"] != 0.931 {
		t.Errorf("model-index: %s", jsonOf(mi))
	}
	// The first commit's card, by revision.
	old := s.h.must(200, s.h.do("GET", api+"/revision/"+signed, "Bearer "+s.token, nil), "model info at first commit").json(t)
	if n := len(old["cardData"].(map[string]any)["model-index"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["metrics"].([]any)); n != 1 {
		t.Errorf("cardData at %s has %d metrics, want 1", signed, n)
	}

	var evals []evalResult
	resp := s.h.must(200, s.h.do("GET", api+"/eval-results/main", "Bearer "+s.token, nil), "eval results")
	if err := json.Unmarshal(resp.Body, &evals); err != nil {
		t.Fatal(err)
	}
	if len(evals) != 3 {
		t.Fatalf("eval results: %s", resp.Body)
	}
	want := []struct {
		typ, commit, status string
	}{{"accuracy", signed, "verified"}, {"f1", unsigned, "unsigned"}, {"loss", unsigned, "unsigned"}}
	for i, w := range want {
		e := evals[i]
		if e.Metric.Type != w.typ || e.Source.Commit != w.commit || e.Source.Verification.Status != w.status {
			t.Errorf("[%d] %s: commit %s %s, want %s %s", i, e.Metric.Type, e.Source.Commit, e.Source.Verification.Status, w.commit, w.status)
		}
		if e.Source.AuthorName != s.u.Name || e.Source.Date == "" || e.Task.Type != "text-classification" || e.Dataset.Name != "IMDB" || e.SignedModel {
			t.Errorf("[%d]: %+v", i, e)
		}
	}
	if sg := evals[0].Source.Verification.Signer; sg == nil || sg.Type != "gpg" || !strings.HasSuffix(strings.ToUpper(s.fpr), strings.ToUpper(sg.KeyID)) {
		t.Errorf("signer of the verified source: %+v (key %s)", sg, s.fpr)
	}
	if evals[1].Source.Verification.Signer != nil || evals[1].Source.Verification.Reason != "unsigned" {
		t.Errorf("unsigned source: %+v", evals[1].Source.Verification)
	}
	// At the first commit only the signed accuracy exists.
	resp = s.h.must(200, s.h.do("GET", api+"/eval-results/"+signed, "Bearer "+s.token, nil), "eval results at the first commit")
	if err := json.Unmarshal(resp.Body, &evals); err != nil || len(evals) != 1 || evals[0].Source.Commit != signed {
		t.Errorf("eval results at %s: %s", signed, resp.Body)
	}
	// Someone who may not read the repository learns nothing.
	s.h.must(401, s.h.do("GET", "/api/models/"+s.u.Name+"/"+name+"-none/eval-results/main", "", nil), "eval results of a missing repo")
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHostileCardsNeverFailThePush: billion-laughs aliases, 10 MiB of
// front matter, a custom tag: each push succeeds, the model info has no
// cardData, and the eval results are empty.
func TestHostileCardsNeverFailThePush(t *testing.T) {
	s := newSigner(t)
	laughs := "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for _, l := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs += l + ": &" + l + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ",") + "]\n"
		prev = l
	}
	laughs += "model-index: [{name: x, results: [{task: {type: t}, dataset: {type: d, name: D}, metrics: [{type: acc, value: *i}]}]}]\n---\n# bomb\n"
	cards := map[string]string{
		"billion laughs": laughs,
		// 10 MiB in all: the largest regular file a push may add (invariant 11).
		"10 MiB":     "---\nlicense: mit\nx: \"" + strings.Repeat("a", 10<<20-64) + "\"\n---\n# big\n",
		"custom tag": "---\nlicense: !python/object/apply:os.system ['id']\n---\n# tag\n",
	}
	for what, card := range cards {
		name := s.createRepo(t, map[string]any{})
		r := s.g.NewRepo("w", "sha1")
		writeFile(t, r.Dir, "README.md", card)
		head := s.commit(r, true, what)
		if out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main"); err != nil {
			t.Errorf("%s: push failed: %v\n%s", what, err, out)
			continue
		}
		waitIndexed(t, s.h.base, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token, "main", head)
		api := "/api/models/" + s.u.Name + "/" + name
		info := s.h.must(200, s.h.do("GET", api, "Bearer "+s.token, nil), what+": model info").json(t)
		if info["cardData"] != nil || info["sha"] == nil {
			t.Errorf("%s: cardData %v, sha %v", what, info["cardData"], info["sha"])
		}
		evals := s.h.must(200, s.h.do("GET", api+"/eval-results/main", "Bearer "+s.token, nil), what+": eval results")
		if strings.TrimSpace(string(evals.Body)) != "[]" {
			t.Errorf("%s: eval results %s", what, evals.Body)
		}
	}
}
