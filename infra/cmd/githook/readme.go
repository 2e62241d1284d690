//go:build !githook_prereceive

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/modelcard"
)

// readmeSent is how much of README.md the report carries: the largest
// front matter and the start of the body the page renders.
const readmeSent = modelcard.MaxFrontMatter + 1024 + modelcard.MaxHead

// readmeOf reads the start of commit's README.md (a regular file at the
// root) and blames its front matter lines, for the model card and its
// evaluation results' provenance. Nil when there is no README.md. A
// failing blame leaves the lines without a commit; the push goes on.
func readmeOf(commit, blobID string, size int64) (*githook.Readme, error) {
	head, err := blobHead(blobID, readmeSent)
	if err != nil {
		return nil, err
	}
	rd := &githook.Readme{Head: head, Size: size, Complete: int64(len(head)) == size}
	n := modelcard.FrontMatterLines(head, rd.Complete)
	if n == 0 {
		return rd, nil
	}
	out, err := gitOut(nil, "blame", "--porcelain", "-L", fmt.Sprintf("1,%d", n), commit, "--", "README.md")
	if err != nil {
		return rd, nil
	}
	rd.Blame, rd.Commits = parseBlame(out, n)
	return rd, nil
}

// blobHead reads at most n bytes of a blob.
func blobHead(id string, n int) ([]byte, error) {
	cmd := exec.Command("git", "cat-file", "blob", id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b, rerr := io.ReadAll(io.LimitReader(out, int64(n)))
	out.Close()
	werr := cmd.Wait()
	if rerr != nil {
		return nil, rerr
	}
	if werr != nil && len(b) < n { // killed by the closed pipe when longer
		return nil, fmt.Errorf("git cat-file blob %s: %v", id, werr)
	}
	return b, nil
}

// parseBlame reads `git blame --porcelain` output: the commit of each of
// the first n lines, and each commit's author and times.
func parseBlame(out []byte, n int) ([]string, map[string]modelcard.BlameCommit) {
	lines := make([]string, n)
	info := map[string]modelcard.BlameCommit{}
	var cur string
	var final int
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "\t") {
			if cur != "" && final >= 1 && final <= n {
				lines[final-1] = cur
			}
			continue
		}
		k, v, _ := strings.Cut(l, " ")
		if isHex(k) && (len(k) == 40 || len(k) == 64) {
			f := strings.Fields(v)
			cur, final = k, 0
			if len(f) >= 2 {
				final, _ = strconv.Atoi(f[1])
			}
			if _, ok := info[k]; !ok {
				info[k] = modelcard.BlameCommit{}
			}
			continue
		}
		bc := info[cur]
		switch k {
		case "author":
			bc.AuthorName = v
		case "author-time":
			bc.AuthorTime, _ = strconv.ParseInt(v, 10, 64)
		case "committer-time":
			bc.CommitterTime, _ = strconv.ParseInt(v, 10, 64)
		default:
			continue
		}
		if cur != "" {
			info[cur] = bc
		}
	}
	return lines, info
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}
