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

	"github.com/hubsec/trustlayer/shared/githook"
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

// newObjects lists the commits each ref update brings to its ref (see
// rangeCommits; git keeps the pushed objects in quarantine, refs not yet
// moved), every tag object a ref update points at (peeling nested tags),
// and the blobs no existing ref reaches, with a path each.
func newObjects(cf *catFiler, updates []githook.RefUpdate) ([]githook.Object, []blobRef, error) {
	var tips []string
	for _, u := range updates {
		if !githook.ZeroID(u.New) {
			tips = append(tips, u.New)
		}
	}
	if len(tips) == 0 {
		return nil, nil, nil
	}
	// The two rev-lists run while the tags are read: each is a process.
	var objList, rangeList struct {
		out  []byte
		ids  []string
		err  error
		done chan struct{}
	}
	objList.done, rangeList.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(objList.done)
		// Every new object, with a path for trees and blobs.
		objList.out, objList.err = gitOut(strings.NewReader(strings.Join(tips, "\n")+"\n"),
			"rev-list", "--objects", "--stdin", "--not", "--all")
	}()
	go func() {
		defer close(rangeList.done)
		rangeList.ids, rangeList.err = rangeCommits(updates)
	}()
	defer func() { <-objList.done; <-rangeList.done }()
	var ids []string
	seen := map[string]bool{}
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
			if target, ok := tagTarget(o.Raw); ok {
				queue = append(queue, target)
			}
		}
	}
	<-objList.done
	out, err := objList.out, objList.err
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
	// Every commit each ref update brings to its ref, even one the
	// repository already holds: the policy judges what reaches a ref.
	<-rangeList.done
	inRange, err := rangeList.ids, rangeList.err
	if err != nil {
		return nil, nil, err
	}
	for _, id := range inRange {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var blobs []blobRef
	err = cf.batch("info", all, func(id, typ string, _ int64, _ io.Reader) error {
		switch {
		case typ == "blob":
			blobs = append(blobs, blobRef{id: id, path: paths[id]})
		case typ == "tree":
			blobs = append(blobs, blobRef{id: id, path: paths[id], tree: true})
		case typ == "commit" && !seen[id]:
			seen[id] = true
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	objs, err := cf.objects(ids)
	return objs, blobs, err
}

// rangeCommits lists the commits each ref update brings to its ref:
// `<new> --not <old>` for a ref that moves, and for a new ref `<new> --not
// <the default branch's tip>` (all of <new> when the repository has no
// default branch yet). Commits already on the default branch are the
// repository's accepted history; anything else, even long in the
// repository on another ref, is judged again when it reaches a ref.
func rangeCommits(updates []githook.RefUpdate) ([]string, error) {
	base := ""
	var out []string
	seen := map[string]bool{}
	baseRead := false
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
		args := []string{"rev-list", u.New}
		if not != "" {
			args = append(args, "--not", not)
		}
		list, err := gitOut(nil, args...)
		if err != nil {
			return nil, err
		}
		for _, id := range strings.Fields(string(list)) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

func tagTarget(raw []byte) (string, bool) {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	id, ok := bytes.CutPrefix(line, []byte("object "))
	return string(id), ok
}
