package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelfile/realcorpus"
)

// realStackPicks are the corpus files pushed through the whole stack: one
// or two of each kind (the full corpus runs against the engines in
// shared/modelfile), benign and malicious.
var realStackPicks = []string{
	"mlp-state-zip.pt", "transformer-module-legacy.pt", "checkpoint-adam.pt", "training_args.bin", "mlp-script.pt",
	"forest-raw.joblib", "pipeline-xz.joblib", "frame.pkl.gz", "arrays-compressed.npz", "objects.npy", "dill-p4.pkl", "many-tensors.pt",
	"evil-injected.pt", "evil-legacy.pt", "evil-constants.pt", "evil-raw.joblib", "evil-lzma.joblib", "evil-frame.pkl.bz2",
	"evil.pkl.gz", "evil.npz", "evil-cloudpickle.pkl", "evil-frame-divergence.pkl", "evil-interpreters.pkl", "evil-getattr-os.pkl",
}

// TestRealLibraryFilesThroughTheStack pushes files made by the real
// libraries with git and git-lfs (git-lfs -> S3 -> the scanner through
// versitygw's event -> the tree API) and reads each verdict where the Hub
// clients read it: benign files ok and safe, attacks infected with the
// finding named in the reason and the import listed as dangerous.
func TestRealLibraryFilesThroughTheStack(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	corpus := realcorpus.Generate(t, t.TempDir())
	byName := map[string]realcorpus.File{}
	for _, f := range corpus {
		byName[filepath.Base(f.File)] = f
	}
	files := map[string][]byte{".gitattributes": []byte("lfs/** filter=lfs diff=lfs merge=lfs -text\n")}
	want := map[string]realcorpus.File{}
	for _, name := range realStackPicks {
		f, ok := byName[name]
		if !ok {
			t.Fatalf("corpus has no %s", name)
		}
		data, err := os.ReadFile(f.File)
		if err != nil {
			t.Fatal(err)
		}
		files["lfs/"+name] = data
		want["lfs/"+name] = f
	}
	s.push(t, a, files)

	got := map[string]treeEntry{}
	for deadline := time.Now().Add(4 * time.Minute); time.Now().Before(deadline) && len(got) < len(want); time.Sleep(time.Second) {
		var entries []treeEntry
		st := s.call(t, "GET", fmt.Sprintf("%s/api/models/%s/%s/tree/main?recursive=true&expand=true", s.gateway, a.user, a.repo), "Bearer "+a.token, nil, &entries)
		if st != http.StatusOK {
			t.Fatalf("tree: %d", st)
		}
		for _, e := range entries {
			if _, ok := want[e.Path]; ok && e.Security.Status.Final() || ok && e.Security.Status == "error" {
				got[e.Path] = e
			}
		}
	}
	for path, f := range want {
		e, ok := got[path]
		if !ok {
			t.Errorf("%s: no verdict in time", path)
			continue
		}
		fs := e.SecurityFileStatus
		switch f.Expect {
		case "ok":
			if e.Security.Status != "ok" || fs == nil || fs.Status == "unsafe" || fs.Status == "error" {
				t.Errorf("benign %s: %s %q", path, e.Security.Status, e.Security.Reason)
			}
		case "infected":
			if e.Security.Status != "infected" || !strings.Contains(e.Security.Reason, f.Finding) || fs == nil || fs.Status != "unsafe" {
				t.Errorf("attack %s: %s %q, want infected naming %q", path, e.Security.Status, e.Security.Reason, f.Finding)
				continue
			}
			if fs.PickleImportScan == nil || fs.PickleImportScan.Status != "unsafe" {
				t.Errorf("attack %s: pickleImportScan %+v, want unsafe", path, fs.PickleImportScan)
			}
		}
	}
}
