package main

// The big push through the local gateway: a user signed up through the
// API, a plain `git push` (no http.postBuffer) of the -files repository to
// the gateway's git route, and the asynchronous indexer's work observed as
// the API serves it. Index writes are the commit's mark (the count the
// indexer stores as it writes, as e2e's TestBigPushIndexedAndPaged reads
// it); this phase is not in the store-layer counter, which sees this
// process's calls only.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
)

type gatewayClient struct{ base string }

func (g gatewayClient) do(method, path, auth string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, g.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m, nil
}

func (g gatewayClient) must(want int, what string) func(int, map[string]any, error) (map[string]any, error) {
	return func(status int, m map[string]any, err error) (map[string]any, error) {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if status != want {
			return nil, fmt.Errorf("%s: %d %v, want %d", what, status, m, want)
		}
		return m, nil
	}
}

var mailCode = regexp.MustCompile(`code is (\d{8})`)

// mailedCode waits for the verification code the outbox holds for addr.
func mailedCode(outbox, addr string) (string, error) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		names, _ := filepath.Glob(filepath.Join(outbox, "*.json"))
		sort.Strings(names)
		for i := len(names) - 1; i >= 0; i-- {
			raw, err := os.ReadFile(names[i])
			if err != nil {
				continue
			}
			var m struct{ To, Body string }
			if json.Unmarshal(raw, &m) == nil && strings.EqualFold(m.To, addr) {
				if c := mailCode.FindStringSubmatch(m.Body); c != nil {
					return c[1], nil
				}
			}
		}
	}
	return "", fmt.Errorf("no verification code mailed to %s", addr)
}

// gatewayPush pushes the -files repository through the gateway with git.
func gatewayPush(ctx context.Context, o options, gateway, outbox, table string) error {
	g := gatewayClient{strings.TrimRight(gateway, "/")}
	user := "bigpush-" + randid.Hex(4)
	email := user + "@example.com"
	const password = "correct horse battery staple"
	if _, err := g.must(201, "signup")(g.do("POST", "/api/signup", "", map[string]string{"username": user, "email": email, "password": password})); err != nil {
		return err
	}
	code, err := mailedCode(outbox, email)
	if err != nil {
		return err
	}
	if _, err := g.must(200, "verify")(g.do("POST", "/api/emails/verify", "", map[string]string{"email": email, "code": code})); err != nil {
		return err
	}
	m, err := g.must(200, "login")(g.do("POST", "/api/login", "", map[string]string{"username": user, "password": password}))
	if err != nil {
		return err
	}
	session, _ := m["session"].(string)
	m, err = g.must(201, "token")(g.do("POST", "/api/settings/tokens", "Bearer "+session, map[string]string{"name": "push", "role": "write"}))
	if err != nil {
		return err
	}
	tok, _ := m["token"].(string)
	if _, err := g.must(200, "create repo")(g.do("POST", "/api/repos/create", "Bearer "+session, map[string]any{"name": "big", "type": "model"})); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "benchscale-push-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	git := gitRunner(dir, tok, "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
	if _, err := git(nil, "init", "-q", "-b", "main"); err != nil {
		return err
	}
	// Folders of 500; the content repeats across folders (file k of every
	// folder is the same blob, the first file of each folder its own) so
	// the scanner has ~500 + folders distinct blobs to scan, not -files.
	const perDir = 500
	pathOf := func(i int) string { return fmt.Sprintf("d%03d/f%03d.txt", i/perDir, i%perDir) }
	contentOf := func(i, gen int) string {
		if i%perDir == 0 {
			return fmt.Sprintf("folder %d generation %d\n", i/perDir, gen)
		}
		return fmt.Sprintf("file %d generation %d\n", i%perDir, gen)
	}
	commit := func(gen int, only []int) error { return fastImportCommit(git, gen, only, pathOf, contentOf) }
	all := make([]int, o.files)
	for i := range all {
		all[i] = i
	}
	if err := commit(0, all); err != nil {
		return err
	}
	// fast-import leaves the work tree empty; a checkout makes it the
	// commit's, as a user's clone would be.
	if _, err := git(nil, "checkout", "-q", "-f", "main"); err != nil {
		return err
	}
	remote := strings.Replace(g.base, "://", "://hf_user:"+tok+"@", 1) + "/" + user + "/big.git"
	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	tb := ddb.Table{DB: awsconfig.DynamoDB(cfg), Name: table}
	auth := "Bearer " + tok

	push := func(label string) error {
		t0 := time.Now()
		if _, err := git(nil, "push", "-q", remote, "main"); err != nil {
			return err
		}
		answered := time.Since(t0)
		headOut, err := git(nil, "rev-parse", "HEAD")
		if err != nil {
			return err
		}
		head := strings.TrimSpace(string(headOut))
		var indexed time.Duration
		for deadline := time.Now().Add(15 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
			status, m, err := g.do("GET", "/api/models/"+user+"/big/revision/main", auth, nil)
			if err == nil && status == 200 && m["sha"] == head {
				indexed = time.Since(t0)
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: not indexed at %s after 15 minutes (last %d %v)", label, head, status, err)
			}
		}
		r, err := repoddb.Store{Table: tb}.Repo(ctx, access.RepoModel, user, "big")
		if err != nil {
			return err
		}
		mk, ok, err := filesddb.Store{Table: tb}.Mark(ctx, r.ID, head)
		if err != nil || !ok {
			return fmt.Errorf("%s: the commit's mark: %v %v", label, ok, err)
		}
		t1 := time.Now()
		out, err := git(nil, "ls-tree", "-r", "HEAD")
		if err != nil {
			return err
		}
		ref := time.Since(t1)
		fmt.Printf("| %s | %d | %s | %s | %d | %s (%d lines) | %.1fx |\n", label, o.files, answered.Round(time.Millisecond), indexed.Round(time.Millisecond),
			mk.Writes, ref.Round(time.Millisecond), bytes.Count(out, []byte("\n")), float64(indexed)/float64(ref))
		return nil
	}
	fmt.Printf("\n## The same size pushed through the local gateway (plain `git push`, real git server and hooks)\n\n")
	fmt.Println("| push | files | push answered | indexed (from the push's start) | index writes (the commit's mark) | `git ls-tree -r` (reference) | ratio indexed / reference |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	if err := push("first push"); err != nil {
		return err
	}
	changed := o.files / 2
	c := contentOf(changed, 1)
	if err := os.WriteFile(filepath.Join(dir, pathOf(changed)), []byte(c), 0o644); err != nil {
		return err
	}
	if _, err := git(nil, "commit", "-q", "-am", "one file"); err != nil {
		return err
	}
	if err := push("one file changed"); err != nil {
		return err
	}
	fmt.Println("\nThrough the gateway, the git server, its hooks (signed calls), the uploads function and its asynchronous indexer, on a loaded machine; every distinct blob is also scanned meanwhile.")
	return nil
}
