//go:build !githook_prereceive

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/scan"
)

// postReceive hands the push to the indexer: it writes a manifest of the
// ref updates and of every tree of the pushed commits (each blob with its
// SHA-256 or LFS pointer, hashed once per repository: see blobInfos) to
// the uploads bucket, invokes the uploads function asynchronously on it,
// and returns; the indexing runs off the pusher's wait, and the sweeper
// redelivers a manifest the indexer has not consumed. Then the regular
// blobs the bucket lacks are copied there (content-addressed), where the
// scanner picks them up. The push has already happened: a failure is a
// warning. The installed post-receive hook runs all this detached
// (postReceiveDetached); run as the hook itself, the pusher waits for the
// manifest, and the copies are detached.
func postReceive(ctx context.Context, stdin io.Reader, stderr io.Writer) error {
	updates, err := readUpdates(stdin)
	if err != nil {
		return err
	}
	return indexPush(ctx, newPush(updates), stderr, false)
}

// push is a push as post-receive has it: the ref updates and who pushed
// where, as git and the git server gave them to the hook.
type push struct {
	Updates  []githook.RefUpdate `json:"updates"`
	Pusher   string              `json:"pusher"`
	RepoPath string              `json:"repoPath,omitempty"` // $TRUSTLAYER_REPO
	PushedAt time.Time           `json:"pushedAt"`
}

func newPush(updates []githook.RefUpdate) push {
	return push{Updates: updates, Pusher: os.Getenv("REMOTE_USER"), RepoPath: os.Getenv("TRUSTLAYER_REPO"), PushedAt: time.Now().UTC()}
}

// indexPush writes p's manifest, invokes the indexer and copies the blobs
// (in this process when inline, else in a detached one). An error once
// the manifest is stored is an afterManifest.
func indexPush(ctx context.Context, p push, stderr io.Writer, inline bool) (err error) {
	stored := false
	defer func() {
		if err != nil && stored {
			err = afterManifest{err}
		}
	}()
	cfg := config()
	repo, err := repoAt(cfg, p.RepoPath)
	if err != nil {
		return err
	}
	updates := p.Updates
	ph := newPhases(cfg, stderr)
	m := githook.Manifest{Version: githook.ManifestVersion, Pusher: p.Pusher, Repo: repo,
		PushedAt: p.PushedAt.Format(time.RFC3339Nano)}
	gitDirOut, err := gitOut(nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return err
	}
	gitDir := strings.TrimSpace(string(gitDirOut))
	seqs, err := updateSeqs(gitDir)
	if err != nil {
		// Unnumbered updates are indexed as they come.
		fmt.Fprintf(stderr, "trustlayer: ref update numbers not read: %v\n", err)
	}
	var news []string
	for _, u := range updates {
		if !githook.ZeroID(u.New) {
			news = append(news, u.New)
		}
	}
	peeled, err := peelCommits(news)
	if err != nil {
		return err
	}
	var commits []string
	seen := map[string]bool{}
	for _, u := range updates {
		tip := githook.RefTip{RefUpdate: u, Seq: seqs[u], Commit: peeled[u.New]}
		m.Refs = append(m.Refs, tip)
		if tip.Commit != "" && !seen[tip.Commit] {
			seen[tip.Commit] = true
			commits = append(commits, tip.Commit)
		}
	}
	var blobs []string
	m.Commits, m.Trees, blobs, err = listTrees(commits)
	if err != nil {
		return err
	}
	infos, err := blobInfos(gitDir, blobs)
	if err != nil {
		return err
	}
	for i := range m.Trees {
		for j := range m.Trees[i].Entries {
			e := &m.Trees[i].Entries[j]
			if e.Mode == modeTree {
				continue
			}
			in := infos[e.ID]
			if in.lfs != nil {
				e.LFS = in.lfs
			} else {
				e.SHA256 = in.sha
			}
		}
	}
	// Each commit's README.md (a regular file at the root): the model
	// card, read with its front matter's blame.
	rootOf := map[string]*githook.Tree{}
	for i := range m.Trees {
		rootOf[m.Trees[i].ID] = &m.Trees[i]
	}
	for i := range m.Commits {
		c := &m.Commits[i]
		for _, e := range rootOf[c.Tree].Entries {
			if e.Name == "README.md" && e.LFS == nil && e.Mode != "120000" && e.Mode != modeTree {
				rd, err := readmeOf(c.Commit, e.ID, e.Size)
				if err != nil {
					fmt.Fprintf(stderr, "trustlayer: model card of %s not read: %v\n", c.Commit, err)
					rd = nil
				}
				c.Readme = rd
			}
		}
		// The model signature (issue 21): verified by the indexer.
		c.ModelSig = modelSig(rootOf[c.Tree].Entries)
	}
	ph.done(fmt.Sprintf("post-receive: list %d trees, %d blobs", len(m.Trees), len(blobs)))
	bucket := cfg["trustlayer.bucket"]
	if bucket == "" {
		return fmt.Errorf("the git server is not configured: set trustlayer.bucket")
	}
	clients, err := newAWS(ctx, cfg)
	if err != nil {
		return err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	key := manifestKey(repo)
	store := githookaws.Manifests{Client: clients.s3, Bucket: bucket}
	if err := store.PutManifest(ctx, key, body); err != nil {
		return err
	}
	stored = true
	ph.done(fmt.Sprintf("post-receive: manifest (%d bytes)", len(body)))
	fn := cfg["trustlayer.filesfunction"]
	if fn == "" {
		return fmt.Errorf("the git server is not configured: set trustlayer.filesFunction")
	}
	hk, err := hookKey(cfg)
	if err == nil {
		err = (githookaws.Indexer{Client: clients.lambda, Function: fn, Key: hk}).Index(ctx, key, m.Pusher)
	}
	if err != nil {
		// The manifest is stored: the sweeper delivers it later.
		writeLines(stderr, []string{"warning: the file index of this push is delayed: " + err.Error()})
	}
	ph.done("post-receive: index queued")
	jobs := copyJobs(gitDir, repo, m.Trees)
	if len(jobs) == 0 {
		return nil
	}
	if inline || cfg["trustlayer.syncuploads"] == "true" {
		start := time.Now()
		err := uploadAll(ctx, clients, bucket, gitDir, jobs)
		logf(stderr, "copied %d blobs in %s (errors: %v)", len(jobs), time.Since(start).Round(time.Millisecond), err)
		return err
	}
	// The copies run after git has answered the pusher: a detached
	// process, so that the push does not wait for them.
	return detach(jobs)
}

// afterManifest is an error that came once the push's manifest was
// stored: from there the sweeper guarantees its delivery (a blob copy
// that failed is asked for again by the next push whose tree holds it).
type afterManifest struct{ error }

func (e afterManifest) Unwrap() error { return e.error }

// modeTree is how git ls-tree prints a folder's mode.
const modeTree = "040000"

// manifestKey names a push's manifest: under the repository, by time,
// with random bytes so two pushes never share one.
func manifestKey(r githook.Repo) string {
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s%s/%s/%s/%s-%s.json", githook.ManifestPrefix, r.Type, r.Namespace, r.Name,
		time.Now().UTC().Format("20060102T150405.000000000"), hex.EncodeToString(b[:]))
}

// listTrees reads every tree of commits with one `git ls-tree -r -t`
// each: each commit's root tree, every tree once (by id) with its
// entries, and the blob ids (submodules are not files, and skipped).
func listTrees(commits []string) ([]githook.ManifestCommit, []githook.Tree, []string, error) {
	var out []githook.ManifestCommit
	var trees []githook.Tree
	index := map[string]int{} // tree id -> position in trees
	var blobs []string
	seenBlob := map[string]bool{}
	for _, c := range commits {
		rootOut, err := gitOut(nil, "rev-parse", "--verify", c+"^{tree}")
		if err != nil {
			return nil, nil, nil, err
		}
		root := strings.TrimSpace(string(rootOut))
		out = append(out, githook.ManifestCommit{Commit: c, Tree: root})
		if _, ok := index[root]; ok {
			continue
		}
		index[root] = len(trees)
		trees = append(trees, githook.Tree{ID: root, Entries: []githook.TreeEntry{}})
		raw, err := gitOut(nil, "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", c)
		if err != nil {
			return nil, nil, nil, err
		}
		dirTree := map[string]int{"": index[root]} // folder path -> tree, when new
		skip := map[string]bool{}                  // folders of a tree already listed
		for _, rec := range bytes.Split(raw, []byte{0}) {
			if len(rec) == 0 {
				continue
			}
			meta, pathB, ok := bytes.Cut(rec, []byte("\t"))
			f := strings.Fields(string(meta))
			if !ok || len(f) != 4 {
				return nil, nil, nil, fmt.Errorf("git ls-tree: unexpected line %q", rec)
			}
			path := string(pathB)
			dir, name := "", path
			if i := strings.LastIndexByte(path, '/'); i >= 0 {
				dir, name = path[:i], path[i+1:]
			}
			if skip[dir] {
				if f[1] == "tree" {
					skip[path] = true
				}
				continue
			}
			parent, ok := dirTree[dir]
			if !ok {
				return nil, nil, nil, fmt.Errorf("git ls-tree: %q comes before its folder", path)
			}
			switch f[1] {
			case "tree":
				trees[parent].Entries = append(trees[parent].Entries, githook.TreeEntry{Name: name, Mode: modeTree, ID: f[2]})
				if at, ok := index[f[2]]; ok {
					_ = at
					skip[path] = true // listed already (another folder or commit)
					continue
				}
				index[f[2]] = len(trees)
				dirTree[path] = len(trees)
				trees = append(trees, githook.Tree{ID: f[2], Entries: []githook.TreeEntry{}})
			case "blob":
				size, _ := strconv.ParseInt(f[3], 10, 64)
				trees[parent].Entries = append(trees[parent].Entries, githook.TreeEntry{Name: name, Mode: f[0], ID: f[2], Size: size})
				if !seenBlob[f[2]] {
					seenBlob[f[2]] = true
					blobs = append(blobs, f[2])
				}
			}
		}
	}
	return out, trees, blobs, nil
}

// blobInfo is what the index needs of a blob: the SHA-256 of its bytes,
// or its LFS pointer.
type blobInfo struct {
	sha string
	lfs *githook.LFSPointer
}

// blobCache is the file in the repository's git folder that keeps what
// blobInfos computed, one "<blob id> sha256 <hex>" or "<blob id> lfs
// <oid> <size>" line per blob: a cache, derived from git alone, so that a
// push hashes only the blobs no earlier push hashed. Deleting it costs
// one rehash.
const blobCache = "trustlayer-blobs"

// blobInfos returns the info of every blob in ids, reading from git (one
// `git cat-file --batch`) only those the cache lacks, and adding them.
func blobInfos(gitDir string, ids []string) (map[string]blobInfo, error) {
	infos := make(map[string]blobInfo, len(ids))
	if f, err := os.Open(filepath.Join(gitDir, blobCache)); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			switch {
			case len(fs) == 3 && fs[1] == "sha256" && len(fs[2]) == 64:
				infos[fs[0]] = blobInfo{sha: fs[2]}
			case len(fs) == 4 && fs[1] == "lfs":
				if n, err := strconv.ParseInt(fs[3], 10, 64); err == nil && len(fs[2]) == 64 {
					infos[fs[0]] = blobInfo{lfs: &githook.LFSPointer{OID: fs[2], Size: n}}
				}
			}
		}
		f.Close()
	}
	var missing []string
	for _, id := range ids {
		if _, ok := infos[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return infos, nil
	}
	var lines bytes.Buffer
	err := catFileEach(missing, func(id string, size int64, r io.Reader) error {
		h := sha256.New()
		var head bytes.Buffer
		w := io.Writer(h)
		if size <= lfsPointerMax {
			w = io.MultiWriter(h, &head)
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		in := blobInfo{sha: hex.EncodeToString(h.Sum(nil)), lfs: parsePointer(head.Bytes())}
		if in.lfs != nil {
			in.sha = ""
			fmt.Fprintf(&lines, "%s lfs %s %d\n", id, in.lfs.OID, in.lfs.Size)
		} else {
			fmt.Fprintf(&lines, "%s sha256 %s\n", id, in.sha)
		}
		infos[id] = in
		return nil
	})
	if err != nil {
		return nil, err
	}
	appendFile(filepath.Join(gitDir, blobCache), lines.Bytes())
	return infos, nil
}

// appendFile appends b in one write (concurrent pushes append whole
// lines); a cache that cannot be written only costs a rehash later.
func appendFile(path string, b []byte) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	f.Write(b)
	f.Close()
}

// copiedCache lists the uploads-bucket keys already copied from this
// repository, one per line, so that presence needs no request per file.
const copiedCache = "trustlayer-copied"

// copyJobs lists the regular blobs of trees whose key is not in the
// copied cache, once per key.
func copyJobs(gitDir string, r githook.Repo, trees []githook.Tree) []uploadJob {
	done := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(gitDir, copiedCache)); err == nil {
		for _, k := range strings.Split(string(b), "\n") {
			done[k] = true
		}
	}
	var jobs []uploadJob
	for _, t := range trees {
		for _, e := range t.Entries {
			if e.Mode == modeTree || e.LFS != nil || e.SHA256 == "" {
				continue
			}
			key := scan.BlobKey(access.RepoType(r.Type), r.Namespace, r.Name, e.SHA256, e.Name)
			if !done[key] {
				done[key] = true
				jobs = append(jobs, uploadJob{BlobID: e.ID, Key: key, Size: e.Size})
			}
		}
	}
	return jobs
}

// uploadJob is one blob to copy.
type uploadJob struct {
	BlobID string `json:"blobId"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
}

// uploadParallel bounds the concurrent copies.
const uploadParallel = 8

// uploadAll copies every blob, a few at a time, and adds each key copied
// to the copied cache.
func uploadAll(ctx context.Context, c *awsClients, bucket, gitDir string, jobs []uploadJob) error {
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, uploadParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var done bytes.Buffer
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := upload(ctx, c, bucket, j); err != nil {
				errs[i] = fmt.Errorf("copy %s for scanning: %v", j.Key, err)
				return
			}
			mu.Lock()
			done.WriteString(j.Key + "\n")
			mu.Unlock()
		}()
	}
	wg.Wait()
	appendFile(filepath.Join(gitDir, copiedCache), done.Bytes())
	return errors.Join(errs...)
}

// detach starts "githook upload-blobs" on its own, the jobs on its
// standard input, its output appended to <git dir>/trustlayer-uploads.log.
// A copy that fails leaves the file unscanned in the file list; the next
// push whose tree holds it asks for it again.
func detach(jobs []uploadJob) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	body, err := json.Marshal(jobs)
	if err != nil {
		return err
	}
	gitDir, err := gitOut(nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(strings.TrimSpace(string(gitDir)), "trustlayer-uploads.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	// The jobs go through an unlinked temporary file: a pipe would be fed
	// by this process, which exits at once.
	jobsFile, err := os.CreateTemp("", "trustlayer-uploads-*.json")
	if err != nil {
		return err
	}
	os.Remove(jobsFile.Name())
	defer jobsFile.Close()
	if _, err := jobsFile.Write(body); err != nil {
		return err
	}
	if _, err := jobsFile.Seek(0, io.SeekStart); err != nil {
		return err
	}
	cmd := exec.Command(self, "upload-blobs")
	cmd.Stdin = jobsFile
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// uploadBlobs is the detached copy: jobs on standard input.
func uploadBlobs(ctx context.Context, stdin io.Reader, stderr io.Writer) error {
	var jobs []uploadJob
	if err := json.NewDecoder(stdin).Decode(&jobs); err != nil {
		return err
	}
	cfg := config()
	c, err := newAWS(ctx, cfg)
	if err != nil {
		return err
	}
	gitDir, err := gitOut(nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return err
	}
	start := time.Now()
	err = uploadAll(ctx, c, cfg["trustlayer.bucket"], strings.TrimSpace(string(gitDir)), jobs)
	logf(stderr, "copied %d blobs in %s (errors: %v)", len(jobs), time.Since(start).Round(time.Millisecond), err)
	return err
}

// upload copies one blob from git into the bucket under its key. The
// body must be seekable (SigV4 hashes it over plain HTTP): small blobs
// from memory, larger ones through a temporary file.
func upload(ctx context.Context, c *awsClients, bucket string, j uploadJob) error {
	cmd := exec.CommandContext(ctx, "git", "cat-file", "blob", j.BlobID)
	var body io.ReadSeeker
	if j.Size <= 16<<20 {
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("git cat-file: %v", err)
		}
		body = bytes.NewReader(out)
	} else {
		f, err := os.CreateTemp("", "trustlayer-blob-*")
		if err != nil {
			return err
		}
		os.Remove(f.Name())
		defer f.Close()
		cmd.Stdout = f
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("git cat-file: %v", err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		body = f
	}
	_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(j.Key), Body: body, ContentLength: aws.Int64(j.Size)})
	return err
}

// peelCommits returns the commit each of ids names (a tag peeled to its
// commit, as `git rev-parse <id>^{commit}`), for every id that names one,
// with one git process for all: a push of many tags is not a process a
// tag.
func peelCommits(ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var in strings.Builder
	for _, id := range ids {
		in.WriteString(id + "^{commit}\n")
	}
	res, err := gitOut(strings.NewReader(in.String()), "cat-file", "--batch-check=%(objectname) %(objecttype)")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(res), "\n"), "\n")
	if len(lines) != len(ids) {
		return nil, fmt.Errorf("git cat-file answered %d lines for %d refs", len(lines), len(ids))
	}
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 2 && f[1] == "commit" && gitref.ValidID(f[0]) {
			out[ids[i]] = f[0]
		}
	}
	return out, nil
}
