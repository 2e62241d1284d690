package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hubsec/trustlayer/shared/githook"
)

// lfsPointerMax is the largest blob read as a possible LFS pointer.
const lfsPointerMax = 1024

// postReceive reports the tree of every updated ref's new commit to the
// uploads function's file index, then copies the regular blobs the
// uploads bucket lacks there (content-addressed), where the scanner picks
// them up. The push has already happened: a failure is a warning.
func postReceive(ctx context.Context, stdin io.Reader, stderr io.Writer) error {
	updates, err := readUpdates(stdin)
	if err != nil {
		return err
	}
	cfg := config()
	repo, err := currentRepo(cfg)
	if err != nil {
		return err
	}
	ph := newPhases(cfg, stderr)
	req := githook.PostReceiveRequest{Pusher: os.Getenv("REMOTE_USER"), Repo: repo}
	seen := map[string]bool{}
	for _, u := range updates {
		tip := githook.RefTip{RefUpdate: u}
		if !githook.ZeroID(u.New) {
			if out, err := gitOut(nil, "rev-parse", "--verify", "--quiet", u.New+"^{commit}"); err == nil {
				tip.Commit = strings.TrimSpace(string(out))
			}
		}
		req.Refs = append(req.Refs, tip)
		if tip.Commit != "" && !seen[tip.Commit] {
			seen[tip.Commit] = true
			files, err := treeFiles(tip.Commit)
			if err != nil {
				return err
			}
			rd, err := readmeOf(tip.Commit, files)
			if err != nil {
				fmt.Fprintf(stderr, "trustlayer: model card of %s not read: %v\n", tip.Commit, err)
				rd = nil
			}
			req.Commits = append(req.Commits, githook.CommitFiles{Commit: tip.Commit, Files: files, Readme: rd})
		}
	}
	ph.done("post-receive: list and hash the trees")
	c, err := newCommits(ctx, cfg, "trustlayer.filesfunction")
	if err != nil {
		return err
	}
	var resp githook.PostReceiveResponse
	if err := c.call(ctx, githook.PostReceivePath, req, &resp); err != nil {
		return err
	}
	ph.done(fmt.Sprintf("post-receive: index (%d uploads asked)", len(resp.Uploads)))
	if len(resp.Uploads) == 0 {
		return nil
	}
	blobs := map[string]string{} // sha256 -> blob id
	for _, cf := range req.Commits {
		for _, f := range cf.Files {
			if f.SHA256 != "" {
				blobs[f.SHA256] = f.BlobID
			}
		}
	}
	var jobs []uploadJob
	for _, up := range resp.Uploads {
		jobs = append(jobs, uploadJob{BlobID: blobs[up.SHA256], Upload: up})
	}
	if cfg["trustlayer.syncuploads"] == "true" {
		return uploadAll(ctx, jobs)
	}
	// The copies run after git has answered the pusher: a detached
	// process, so that the push does not wait for them.
	return detach(jobs)
}

// uploadJob is one blob to copy.
type uploadJob struct {
	BlobID string         `json:"blobId"`
	Upload githook.Upload `json:"upload"`
}

// uploadParallel bounds the concurrent copies.
const uploadParallel = 8

// uploadAll copies every blob, a few at a time.
func uploadAll(ctx context.Context, jobs []uploadJob) error {
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, uploadParallel)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := upload(ctx, j.BlobID, j.Upload); err != nil {
				errs[i] = fmt.Errorf("copy %s for scanning: %v", j.Upload.Path, err)
			}
		}()
	}
	wg.Wait()
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
	start := time.Now()
	err := uploadAll(ctx, jobs)
	fmt.Fprintf(stderr, "%s: copied %d blobs in %s (errors: %v)\n", start.UTC().Format(time.RFC3339), len(jobs), time.Since(start).Round(time.Millisecond), err)
	return err
}

// treeFiles lists the files of commit's tree with their SHA-256 (regular
// blobs) or LFS pointer, reading every blob once.
func treeFiles(commit string) ([]githook.FileEntry, error) {
	out, err := gitOut(nil, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
	if err != nil {
		return nil, err
	}
	var files []githook.FileEntry
	var ids []string
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, path, ok := bytes.Cut(rec, []byte("\t"))
		f := strings.Fields(string(meta))
		if !ok || len(f) != 4 || f[1] != "blob" {
			continue // submodules (commit entries) are not files
		}
		size, _ := strconv.ParseInt(f[3], 10, 64)
		files = append(files, githook.FileEntry{Path: string(path), Mode: f[0], Size: size, BlobID: f[2]})
		ids = append(ids, f[2])
	}
	type info struct {
		sha string
		lfs *githook.LFSPointer
	}
	infos := map[string]info{}
	err = catFileEach(ids, func(id string, size int64, r io.Reader) error {
		if _, ok := infos[id]; ok {
			_, err := io.Copy(io.Discard, r)
			return err
		}
		h := sha256.New()
		var head bytes.Buffer
		w := io.Writer(h)
		if size <= lfsPointerMax {
			w = io.MultiWriter(h, &head)
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		infos[id] = info{sha: hex.EncodeToString(h.Sum(nil)), lfs: parsePointer(head.Bytes())}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range files {
		in := infos[files[i].BlobID]
		if in.lfs != nil {
			files[i].LFS = in.lfs
		} else {
			files[i].SHA256 = in.sha
		}
	}
	return files, nil
}

// parsePointer reads a git-lfs pointer file as git-lfs does: the version
// line first, then oid and size keys.
func parsePointer(b []byte) *githook.LFSPointer {
	if !bytes.HasPrefix(b, []byte("version https://git-lfs.github.com/spec/v1\n")) {
		return nil
	}
	var p githook.LFSPointer
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "oid":
			p.OID = strings.TrimPrefix(v, "sha256:")
		case "size":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil
			}
			p.Size = n
		}
	}
	if len(p.OID) != 64 || strings.ToLower(p.OID) != p.OID {
		return nil
	}
	if _, err := hex.DecodeString(p.OID); err != nil {
		return nil
	}
	return &p
}

// catFileEach streams objects through one `git cat-file --batch`.
func catFileEach(ids []string, fn func(id string, size int64, r io.Reader) error) error {
	if len(ids) == 0 {
		return nil
	}
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Stdin = strings.NewReader(strings.Join(ids, "\n") + "\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(stdout, 1<<16)
	var readErr error
	for range ids {
		header, err := br.ReadString('\n')
		if err != nil {
			readErr = fmt.Errorf("git cat-file: %v", err)
			break
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			readErr = fmt.Errorf("git cat-file: %s", strings.TrimSpace(header))
			break
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			readErr = fmt.Errorf("git cat-file: bad size in %q", header)
			break
		}
		lr := &io.LimitedReader{R: br, N: n}
		if err := fn(f[0], n, lr); err != nil {
			readErr = err
			break
		}
		if lr.N != 0 {
			readErr = errors.New("git cat-file: short object")
			break
		}
		if _, err := br.ReadByte(); err != nil { // the newline after the object
			readErr = fmt.Errorf("git cat-file: %v", err)
			break
		}
	}
	io.Copy(io.Discard, br)
	if err := cmd.Wait(); err != nil && readErr == nil {
		readErr = fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return readErr
}

// upload PUTs one blob to its presigned URL.
func upload(ctx context.Context, blobID string, up githook.Upload) error {
	if blobID == "" {
		return errors.New("no blob for this hash")
	}
	cmd := exec.CommandContext(ctx, "git", "cat-file", "blob", blobID)
	body, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, up.Href, body)
	if err != nil {
		return err
	}
	req.ContentLength = up.Size
	for k, v := range up.Header {
		if strings.EqualFold(k, "Content-Length") {
			continue
		}
		req.Header.Set(k, v)
	}
	if up.Size == 0 {
		req.Body = http.NoBody
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("storage answered %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}
