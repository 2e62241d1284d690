package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// TestWebModelCard: the repository page of a pushed card shows the
// Evaluation results table with one "Verified source" (the signed commit)
// and two "Unverified source" (the unsigned one), and the card rendered
// with its script, javascript: link and outside images inert.
func TestWebModelCard(t *testing.T) {
	s := newSigner(t)
	name, signed, unsigned := cardRepo(t, s)
	b := newBrowser(t, 1280, 900)
	b.open("/" + s.u.Name + "/" + name)
	b.mustSee("repo page", "Evaluation results", "Accuracy", "0.931", "F1", "0.918", "IMDB", "Model card", "Sentiment model")
	if n := strings.Count(b.text("table.evals"), "Verified source"); n != 1 {
		t.Errorf("verified sources: %d, want 1:\n%s", n, b.text("table.evals"))
	}
	if n := strings.Count(b.text("table.evals"), "Unverified source"); n != 2 {
		t.Errorf("unverified sources: %d, want 2", n)
	}
	rows := b.text("table.evals")
	if !strings.Contains(rows, "not signed") {
		t.Errorf("the unverified sources do not say why:\n%s", rows)
	}
	html := get(b, "card html", chromedp.OuterHTML(chromedp.CSS("article.card")))
	for _, bad := range []string{"<script", "javascript:", "<img", "onerror", "evil.example/y.png"} {
		if strings.Contains(html, bad) {
			t.Errorf("card holds %q:\n%s", bad, html)
		}
	}
	if !strings.Contains(html, `rel="noopener nofollow"`) && !strings.Contains(html, `rel="nofollow noopener"`) {
		t.Errorf("links without rel nofollow noopener:\n%s", html)
	}
	evals := get(b, "eval html", chromedp.OuterHTML(chromedp.CSS("table.evals")))
	if !strings.Contains(evals, signed[:10]) || !strings.Contains(evals, unsigned[:10]) {
		t.Errorf("eval table does not name commits %s and %s", signed[:10], unsigned[:10])
	}
	b.shot("model-card")
	b.run("open a source", chromedp.Click(chromedp.CSS("table.evals details summary"), chromedp.NodeVisible))
	b.shot("eval-results")
}

// TestWebFoldersWithScanCounts: a repository of 2,000 files in 50 folders
// (and EICAR in one of them), pushed with git, browsed folder by folder
// in Chromium: folders first with their file counts, a breadcrumb, and
// per folder how many files are infected, pending or in error, each
// folder's counts adding up to its files; the folder holding EICAR counts
// it infected once scanned, and its row names the finding. Every folder
// is its own tree (its id.txt differs), but the other 39 files of each
// folder have the same names and bytes in every folder, so they share
// scan keys: the scanner judges 90 objects, not 2,000 (a storm of 2,000
// scans makes DynamoDB Local itself the bottleneck on this machine).
func TestWebFoldersWithScanCounts(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	const folders, perFolder = 50, 40
	fs := map[string][]byte{"README.md": []byte("# many files\n"), "f06/eicar.bin": []byte(scantest.EICAR)} // LFS (invariant 11)
	for d := 0; d < folders; d++ {
		fs[fmt.Sprintf("f%02d/id.txt", d)] = []byte(fmt.Sprintf("folder %d\n", d))
		for f := 0; f < perFolder-1; f++ {
			fs[fmt.Sprintf("f%02d/part-%02d.txt", d, f)] = []byte(fmt.Sprintf("part %d\n", f))
		}
	}
	s.push(t, a, fs)
	root := "/" + a.user + "/" + a.repo
	// rowCounts reads each folder row: its files and its badges.
	type folderRow struct {
		Name                             string
		Files, Infected, Pending, Errors int
		AllOK                            bool
	}
	readRows := func(b *browser) []folderRow {
		return get(b, "folder rows", chromedp.Evaluate[[]folderRow](`[...document.querySelectorAll("table.files tr.dir")].map(tr => {
			const n = (re) => { const m = tr.textContent.match(re); return m ? parseInt(m[1], 10) : 0 };
			return {Name: tr.querySelector("a").textContent, Files: n(/(\d+) files/), Infected: n(/(\d+) infected/),
				Pending: n(/(\d+) pending/), Errors: n(/(\d+) error/), AllOK: tr.textContent.includes("all ok")};
		})`))
	}
	checkRows := func(rows []folderRow) {
		t.Helper()
		if len(rows) != folders {
			t.Fatalf("root shows %d folders, want %d", len(rows), folders)
		}
		for i, r := range rows {
			want := perFolder
			if i == 6 {
				want++
			}
			if r.Name != fmt.Sprintf("f%02d/", i) || r.Files != want || r.Infected+r.Pending+r.Errors > r.Files ||
				r.AllOK != (r.Infected+r.Pending+r.Errors == 0) || (i != 6 && r.Infected != 0) {
				t.Errorf("folder row %d: %+v (want %d files)", i, r, want)
			}
		}
	}
	b := newBrowser(t, 1280, 900)
	b.open(root)
	// The folders' files, EICAR, README.md and git-lfs's .gitattributes.
	b.mustSee("root", "f00/", "f49/", "README.md", fmt.Sprintf("%d files", folders*perFolder+3))
	checkRows(readRows(b))
	if first := b.text("table.files tbody tr"); !strings.Contains(first, "f00/") {
		t.Errorf("folders do not come first: %q", first)
	}
	// Every folder, a fresh browser for each half (a browser has 150 s).
	for d := 0; d < folders; d++ {
		if d == folders/2 {
			b = newBrowser(t, 1280, 900)
		}
		dir := fmt.Sprintf("f%02d", d)
		b.open(root + "/tree/main/" + dir)
		want := perFolder
		if d == 6 {
			want++
		}
		b.mustSee(dir, fmt.Sprintf("%d files in this folder", want), "part-00.txt", fmt.Sprintf("part-%02d.txt", perFolder-2), "id.txt")
		if c := b.text("nav.crumbs"); !strings.Contains(c, a.repo) || !strings.Contains(c, dir) {
			t.Errorf("%s: breadcrumb %q", dir, c)
		}
		if n := int(get(b, "file rows", chromedp.Evaluate[float64](`document.querySelectorAll("table.files tbody tr").length`))); n != want {
			t.Errorf("%s: %d rows, want %d", dir, n, want)
		}
	}
	// The folder holding EICAR counts it infected once scanned.
	b = newBrowser(t, 1280, 900)
	deadline := time.Now().Add(120 * time.Second)
	for {
		b.open(root)
		rows := readRows(b)
		checkRows(rows)
		if rows[6].Infected == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("f06 never counted EICAR infected: %+v", rows[6])
		}
		time.Sleep(3 * time.Second)
	}
	b.shot("repo-folders")
	b.open(root + "/tree/main/f06")
	row := b.text(`tr:has(a[href$="/eicar.bin"])`)
	if !strings.Contains(row, "infected") || !strings.Contains(strings.ToLower(row), "eicar") {
		t.Errorf("the infected file's finding is not in its row: %q", row)
	}
	b.shot("repo-folder-infected")
}
