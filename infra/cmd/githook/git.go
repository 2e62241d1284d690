package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/gitref"
)

// readUpdates parses the hook's standard input: "<old> <new> <ref>" lines.
func readUpdates(r io.Reader) ([]githook.RefUpdate, error) {
	var out []githook.RefUpdate
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			return nil, fmt.Errorf("unexpected hook input line %q", sc.Text())
		}
		out = append(out, githook.RefUpdate{Old: f[0], New: f[1], Ref: f[2]})
	}
	return out, sc.Err()
}

func gitOut(stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// config reads the trustlayer.* settings.
func config() map[string]string {
	out, _ := gitOut(nil, "config", "--get-regexp", `^trustlayer\.`)
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok {
			m[strings.ToLower(k)] = v
		}
	}
	return m
}

// repoFromDir names the repository from its folder under root:
// <ns>/<name>.git, datasets/<ns>/<name>.git or spaces/<ns>/<name>.git.
func repoFromDir(root, dir string) (githook.Repo, error) {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return githook.Repo{}, fmt.Errorf("repository %s is not under %s", dir, root)
	}
	return repoFromPath(filepath.ToSlash(strings.TrimSuffix(rel, ".git")))
}

// repoFromPath names the repository from its path: <ns>/<name>,
// datasets/<ns>/<name> or spaces/<ns>/<name>.
func repoFromPath(rel string) (githook.Repo, error) {
	parts := strings.Split(rel, "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return githook.Repo{}, fmt.Errorf("cannot name the repository of %q", rel)
		}
	}
	switch {
	case len(parts) == 2:
		return githook.Repo{Type: "model", Namespace: parts[0], Name: parts[1]}, nil
	case len(parts) == 3 && (parts[0] == "datasets" || parts[0] == "spaces"):
		return githook.Repo{Type: strings.TrimSuffix(parts[0], "s"), Namespace: parts[1], Name: parts[2]}, nil
	}
	return githook.Repo{}, fmt.Errorf("cannot name the repository of folder %s", rel)
}

func currentRepo(cfg map[string]string) (githook.Repo, error) {
	return repoAt(cfg, os.Getenv("TRUSTLAYER_REPO"))
}

// repoAt names the repository: by path, the path the push came in at (a
// git server that keeps repositories by id, invariant 12 in
// docs/invariants.md, says it as $TRUSTLAYER_REPO), else by its folder.
func repoAt(cfg map[string]string, path string) (githook.Repo, error) {
	if path != "" {
		return repoFromPath(path)
	}
	root := cfg["trustlayer.projectroot"]
	if root == "" {
		root = os.Getenv("GIT_PROJECT_ROOT")
	}
	if root == "" {
		return githook.Repo{}, fmt.Errorf("the git server sets neither trustlayer.projectRoot nor GIT_PROJECT_ROOT")
	}
	gitDir, err := gitOut(nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return githook.Repo{}, err
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return githook.Repo{}, err
	}
	if r, err := filepath.EvalSymlinks(absRoot); err == nil {
		absRoot = r
	}
	dir := strings.TrimSpace(string(gitDir))
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	return repoFromDir(absRoot, dir)
}

// blobRef is a new blob of the push and one path it has, or a new tree
// (tree true; path is its folder, "" for the root): its raw entries hold
// the names of the files in it.
type blobRef struct {
	id, path string
	tree     bool
}

// lists are the two rev-lists newObjects needs, started as soon as the
// hook has read its input (each is a process, and they need nothing
// else), so they run while the configuration is read and cat-file starts.
type lists struct {
	objOut    []byte
	objErr    error
	rangeIDs  []string
	rangeErr  error
	objDone   chan struct{}
	rangeDone chan struct{}
	// walk: the range is first found in memory (walkRange), as every
	// update moves an existing ref; rangeCommits runs only if that fails.
	walk bool
}

func startLists(updates []githook.RefUpdate) *lists {
	l := &lists{objDone: make(chan struct{}), rangeDone: make(chan struct{})}
	var tips []string
	for _, u := range updates {
		if !githook.ZeroID(u.New) {
			tips = append(tips, u.New)
		}
	}
	if len(tips) == 0 {
		close(l.objDone)
		close(l.rangeDone)
		return l
	}
	go func() {
		defer close(l.objDone)
		// Every new object, with a path for trees and blobs.
		l.objOut, l.objErr = gitOut(strings.NewReader(strings.Join(tips, "\n")+"\n"),
			"rev-list", "--objects", "--stdin", "--not", "--all")
	}()
	l.walk = true
	for _, u := range updates {
		if !githook.ZeroID(u.New) && githook.ZeroID(u.Old) {
			l.walk = false
		}
	}
	if l.walk {
		close(l.rangeDone)
		return l
	}
	go func() {
		defer close(l.rangeDone)
		l.rangeIDs, l.rangeErr = rangeCommits(updates)
	}()
	return l
}

// wait waits for both lists (a caller that returns early must still).
func (l *lists) wait() { <-l.objDone; <-l.rangeDone }

// newObjects lists the commits each ref update brings to its ref (see
// rangeCommits; git keeps the pushed objects in quarantine, refs not yet
// moved), every tag object a ref update points at (peeling nested tags),
// and the blobs no existing ref reaches, with a path each. l is
// startLists(updates).
func newObjects(cf *catFiler, updates []githook.RefUpdate, l *lists) ([]githook.Object, []blobRef, error) {
	defer l.wait()
	var tips []string
	for _, u := range updates {
		if !githook.ZeroID(u.New) {
			tips = append(tips, u.New)
		}
	}
	if len(tips) == 0 {
		return nil, nil, nil
	}
	var ids []string
	seen := map[string]bool{}
	read := map[string]githook.Object{}
	peeled := map[string]string{} // a tag's target
	// Tags: follow each tip while it is a tag.
	queue := append([]string(nil), tips...)
	for len(queue) > 0 {
		objs, err := cf.objects(queue)
		if err != nil {
			return nil, nil, err
		}
		queue = nil
		for _, o := range objs {
			if o.Type != "tag" || seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			ids = append(ids, o.ID)
			read[o.ID] = o
			if target, ok := tagTarget(o.Raw); ok {
				peeled[o.ID] = target
				queue = append(queue, target)
			}
		}
	}
	<-l.objDone
	out, err := l.objOut, l.objErr
	if err != nil {
		return nil, nil, err
	}
	var all []string
	paths := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		id, path, _ := strings.Cut(line, " ")
		if id != "" {
			all = append(all, id)
			paths[id] = path
		}
	}
	var blobs []blobRef
	var fresh []string // the commits no ref reaches
	err = cf.batch("info", all, func(id, typ string, _ int64, _ io.Reader) error {
		switch typ {
		case "blob":
			blobs = append(blobs, blobRef{id: id, path: paths[id]})
		case "tree":
			blobs = append(blobs, blobRef{id: id, path: paths[id], tree: true})
		case "commit":
			fresh = append(fresh, id)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	commits, err := cf.objects(fresh)
	if err != nil {
		return nil, nil, err
	}
	for _, o := range commits {
		read[o.ID] = o
	}
	// Every commit each ref update brings to its ref, even one the
	// repository already holds: the policy judges what reaches a ref.
	<-l.rangeDone
	inRange, err := l.rangeIDs, l.rangeErr
	if l.walk {
		var ok bool
		if inRange, ok = walkRange(updates, peeled, read); !ok {
			inRange, err = rangeCommits(updates)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	var missing []string
	for _, id := range append(inRange, fresh...) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
			if _, ok := read[id]; !ok {
				missing = append(missing, id)
			}
		}
	}
	more, err := cf.objects(missing)
	if err != nil {
		return nil, nil, err
	}
	for _, o := range more {
		read[o.ID] = o
	}
	objs := make([]githook.Object, 0, len(ids))
	for _, id := range ids {
		objs = append(objs, read[id])
	}
	return objs, blobs, nil
}

// walkRange finds in memory what rangeCommits would list when every
// update moves an existing ref forward through new commits only: from
// each update's new commit (its tags peeled) it follows parents through
// the commits no ref reaches (fresh: read holds them) and stops at the
// update's old commit. Those commits are in <new> --not <old>: no ref, so
// not <old>, reaches them. Any other commit on the way (an old commit
// brought back, a force push's common ancestor, a parent not read) may or
// may not be reachable from <old>: ok is false and rangeCommits decides.
// It saves the process a push would otherwise start and wait for.
func walkRange(updates []githook.RefUpdate, peeled map[string]string, read map[string]githook.Object) (ids []string, ok bool) {
	seen := map[string]bool{}
	for _, u := range updates {
		if githook.ZeroID(u.New) {
			continue
		}
		if githook.ZeroID(u.Old) {
			return nil, false
		}
		tip := u.New
		for i := 0; peeled[tip] != "" && i < 64; i++ {
			tip = peeled[tip]
		}
		frontier := []string{tip}
		for len(frontier) > 0 {
			c := frontier[len(frontier)-1]
			frontier = frontier[:len(frontier)-1]
			if c == u.Old || seen[c] {
				continue
			}
			o, fresh := read[c]
			if !fresh || o.Type != "commit" {
				return nil, false
			}
			parents, ok := commitParents(o.Raw)
			if !ok {
				return nil, false
			}
			seen[c] = true
			ids = append(ids, c)
			frontier = append(frontier, parents...)
		}
	}
	return ids, true
}

// commitParents reads a commit's parents as git's parse_commit_buffer
// does: the "parent" lines right after the "tree" line. ok is false for
// anything else git would not parse as a commit (rangeCommits decides).
func commitParents(raw []byte) (parents []string, ok bool) {
	line, rest, _ := bytes.Cut(raw, []byte("\n"))
	if id, ok := bytes.CutPrefix(line, []byte("tree ")); !ok || !gitref.ValidID(string(id)) {
		return nil, false
	}
	for {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		id, ok := bytes.CutPrefix(line, []byte("parent "))
		if !ok {
			return parents, true
		}
		if !gitref.ValidID(string(id)) {
			return nil, false
		}
		parents = append(parents, string(id))
	}
}

// rangeCommits lists the commits each ref update brings to its ref:
// `<new> --not <old>` for a ref that moves, and for a new ref `<new> --not
// <the default branch's tip>` (all of <new> when the repository has no
// default branch yet). Commits already on the default branch are the
// repository's accepted history; anything else, even long in the
// repository on another ref, is judged again when it reaches a ref.
//
// Each distinct range is listed once (a push of many tags on one commit
// is one range, not one git process a tag), and up to rangeParallel of
// them at once; the commits come in the order of the updates.
func rangeCommits(updates []githook.RefUpdate) ([]string, error) {
	base := ""
	baseRead := false
	type span struct{ tip, not string }
	var spans []span
	index := map[span]int{}
	for _, u := range updates {
		if githook.ZeroID(u.New) {
			continue
		}
		not := u.Old
		if githook.ZeroID(u.Old) {
			if !baseRead {
				baseRead = true
				if b, err := gitOut(nil, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err == nil {
					base = strings.TrimSpace(string(b))
				}
			}
			not = base
		}
		sp := span{u.New, not}
		if _, ok := index[sp]; !ok {
			index[sp] = len(spans)
			spans = append(spans, sp)
		}
	}
	lists := make([][]byte, len(spans))
	errs := make([]error, len(spans))
	sem := make(chan struct{}, rangeParallel)
	var wg sync.WaitGroup
	for i, sp := range spans {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			args := []string{"rev-list", sp.tip}
			if sp.not != "" {
				args = append(args, "--not", sp.not)
			}
			lists[i], errs[i] = gitOut(nil, args...)
		}()
	}
	wg.Wait()
	var out []string
	seen := map[string]bool{}
	for i := range spans {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, id := range strings.Fields(string(lists[i])) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// rangeParallel bounds the rev-list processes rangeCommits runs at once.
const rangeParallel = 4

func tagTarget(raw []byte) (string, bool) {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	id, ok := bytes.CutPrefix(line, []byte("object "))
	return string(id), ok
}
