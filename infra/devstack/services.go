package devstack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	table "github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/platform/trusthop"
)

// Local credentials: versitygw's root account; DynamoDB Local takes any.
const (
	AccessKey = "test"
	SecretKey = "testsecret"
	Region    = "us-east-1"
)

func awsCfg(ctx context.Context) (aws.Config, error) {
	return awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRegion(Region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")),
	)
}

// startDynamoDB starts DynamoDB Local and creates the table.
func (s *Stack) startDynamoDB(ctx context.Context) error {
	args := []string{"-Djava.library.path=" + s.tools.DynamoDBLib, "-jar", s.tools.DynamoDBJar}
	if s.opts.InMemory {
		args = append(args, "-inMemory")
	} else {
		dir := filepath.Join(s.opts.DataDir, "dynamodb")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		args = append(args, "-dbPath", dir)
	}
	args = append(args, "-port", strconv.Itoa(s.Ports.DynamoDB), "-disableTelemetry")
	cmd := exec.CommandContext(context.Background(), s.tools.Java, args...)
	cmd.Dir = filepath.Dir(s.tools.DynamoDBJar)
	p, err := s.spawn("dynamodb", cmd)
	if err != nil {
		return err
	}
	cfg, err := awsCfg(ctx)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(s.URL("dynamodb"))
		o.RetryMaxAttempts = 1
		// DynamoDB Local's x-amz-crc32 does not always match what the SDK
		// reads, which only produces warnings; the data is on loopback.
		o.DisableValidateResponseChecksum = true
	})
	if err := waitFor(p, readyTimeout, func() error {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := db.ListTables(c, &dynamodb.ListTablesInput{})
		return err
	}); err != nil {
		return err
	}
	if err := table.Shape.Ensure(ctx, db, s.opts.Table); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	s.supervise("dynamodb", p, nil, func() error {
		if s.opts.InMemory {
			s.loud("dynamodb runs -inMemory: its data is gone; the table is created again, empty")
		}
		return s.startDynamoDB(context.Background())
	})
	return nil
}

// startS3 starts versitygw with webhook notifications to the internal
// listener (which must already be serving) and creates the bucket.
func (s *Stack) startS3(ctx context.Context) error {
	meta, data, versions := filepath.Join(s.opts.DataDir, "s3", "meta"), filepath.Join(s.opts.DataDir, "s3", "data"), filepath.Join(s.opts.DataDir, "s3", "versions")
	for _, d := range []string{meta, data, versions} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	cmd := exec.Command(s.tools.VersityGW,
		"--port", "127.0.0.1:"+strconv.Itoa(s.Ports.S3),
		"--event-webhook-url", s.URL("internal")+"/_s3/events",
		"posix", "--sidecar", meta, "--versioning-dir", versions, data)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	p, err := s.spawn("s3", cmd)
	if err != nil {
		return err
	}
	if err := waitFor(p, readyTimeout, dialCheck(s.addr(s.Ports.S3))); err != nil {
		return err
	}
	cfg, err := awsCfg(ctx)
	if err != nil {
		return err
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL("s3"))
		o.UsePathStyle = true
	})
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.opts.Bucket)})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", s.opts.Bucket, err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(s.opts.Bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		s.warnf("bucket versioning not enabled (%v)", err)
	}
	s.supervise("s3", p, nil, func() error { return s.startS3(context.Background()) })
	return nil
}

// clamd runs clamd with a private configuration; it implements
// gateway.ServiceControl.
type clamd struct {
	s       *Stack
	mu      sync.Mutex
	proc    *process
	conf    string
	stopped bool // by Stop, on purpose: not restarted
}

// prepareClamd writes the private clamd.conf and the signature directory.
func (s *Stack) prepareClamd() (*clamd, error) {
	db := filepath.Join(s.opts.DataDir, "clamav-db")
	if err := os.RemoveAll(db); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(db, 0o755); err != nil {
		return nil, err
	}
	src := filepath.Join(s.opts.RepoRoot, "infra", "clamav", "signatures")
	entries, err := os.ReadDir(src)
	copied := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(db, e.Name()), b, 0o644); err != nil {
			return nil, err
		}
		copied++
	}
	if err != nil || copied == 0 {
		// infra/clamav/signatures is not there yet: use the two test
		// signatures docs/local-stack.md verified, so clamd can start.
		s.warnf("%s has no signatures; clamd uses built-in EICAR test signatures", src)
		os.WriteFile(filepath.Join(db, "test.ndb"), []byte("Test.EICAR-Body:0:*:45494341522d5354414e444152442d414e544956495255532d544553542d46494c45\n"), 0o644)
		os.WriteFile(filepath.Join(db, "test.hsb"), []byte("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f:68:Test.EICAR-Hash\n"), 0o644)
	}
	conf := filepath.Join(s.opts.DataDir, "clamd.conf")
	text := strings.Join([]string{
		"# Written by devstack; private to this stack.",
		"Foreground yes",
		"TCPSocket " + strconv.Itoa(s.Ports.Clamd),
		"TCPAddr 127.0.0.1",
		"DatabaseDirectory " + db,
		"LogTime yes",
		"LogVerbose no",
		"StreamMaxLength 2000M",
		"MaxFileSize 2000M",
		"MaxScanSize 4000M",
		"AlertExceedsMax yes",
		"MaxThreads 4",
		"ReadTimeout 300",
		"CommandReadTimeout 30",
		"SelfCheck 0",
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	return &clamd{s: s, conf: conf}, nil
}

// Start starts clamd and waits for PING/PONG.
func (c *clamd) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil && !c.proc.exited() {
		return nil
	}
	p, err := c.s.spawn("clamd", exec.Command(c.s.tools.Clamd, "--config-file="+c.conf))
	if err != nil {
		return err
	}
	c.proc, c.stopped = p, false
	if err := waitFor(p, readyTimeout, func() error { return clamdPing(c.s.addr(c.s.Ports.Clamd)) }); err != nil {
		return err
	}
	onPurpose := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.stopped || c.proc != p
	}
	c.s.supervise("clamd", p, onPurpose, func() error { return c.Start(context.Background()) })
	return nil
}

// Stop stops clamd; it stays stopped (not restarted) until Start.
func (c *clamd) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.proc.stop(10 * time.Second)
	return nil
}

func clamdPing(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString(0)
	if err != nil && line == "" {
		return err
	}
	if strings.TrimRight(line, "\x00\n") != "PONG" {
		return fmt.Errorf("clamd answered %q", line)
	}
	return nil
}

// repoPath matches the git repositories the backend creates on first
// access: {namespace}/{name}.git or {datasets|spaces}/{namespace}/{name}.git.
var repoPath = regexp.MustCompile(`^/((?:(?:datasets|spaces)/)?[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*?)(\.git)?(/.*)$`)

// repoIDPattern is a repository id (randid: lower-case hex).
var repoIDPattern = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

// GitRepoFolder is the folder of the repository with id under the git
// server's root: _id/<id>.git.
func GitRepoFolder(id string) string { return "_id/" + id + ".git" }

// gitBackend serves git smart HTTP from dataDir with `git http-backend`.
func (s *Stack) gitBackend() http.Handler {
	root := s.gitRoot()
	os.MkdirAll(root, 0o755)
	return newGitBackend(root, s.tools.Git, s.trustHop, s.log, s.gitHookEnv())
}

// newGitBackend admits only what the gateway signed after the authorizer
// allowed it, and only then creates the repository on first access.
// extraEnv reaches git http-backend and the hooks git runs.
func newGitBackend(root, git string, key *trusthop.Key, log *slog.Logger, extraEnv []string) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := repoPath.FindStringSubmatch(r.URL.Path)
		if m == nil || strings.Contains(m[1], "..") {
			http.Error(w, "not a repository path", http.StatusNotFound)
			return
		}
		// The X-Trust-* headers count only when the gateway signed them:
		// anyone who reaches this port directly could set them.
		if err := key.Verify(r); err != nil {
			log.Warn("git backend: refused an unsigned or badly signed request", "path", r.URL.Path, "err", err)
			http.Error(w, "forbidden: request did not come through the gateway", http.StatusForbidden)
			return
		}
		// The git server admits only what the authorizer allowed. A
		// deferred 401 becomes the challenge git needs before it sends the
		// credentials it holds.
		switch r.Header.Get("X-Trust-Decision") {
		case "allow":
		case "deny":
			switch r.Header.Get("X-Trust-Status") {
			case "401":
				w.Header().Set("WWW-Authenticate", `Basic realm="trustlayer"`)
				http.Error(w, r.Header.Get("X-Trust-Reason"), http.StatusUnauthorized)
				return
			case "403":
				// The reason says which permission is missing on what.
				reason := httpapi.HeaderSafe(r.Header.Get("X-Trust-Reason"))
				w.Header().Set("X-Error-Message", reason)
				http.Error(w, reason, http.StatusForbidden)
				return
			}
			fallthrough
		default:
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		// The repository's folder is named by its id (invariant 12,
		// docs/invariants.md), which the authorizer established and the
		// gateway signed: a rename or a transfer keeps its git data, and a
		// repository created under a freed name starts empty. Only an
		// allowed request creates its folder.
		id := r.Header.Get("X-Trust-Repo-Id")
		if !repoIDPattern.MatchString(id) {
			log.Error("git backend: the gateway named no repository id", "path", r.URL.Path)
			http.Error(w, "the gateway named no repository", http.StatusInternalServerError)
			return
		}
		repo := GitRepoFolder(id)
		dir := filepath.Join(root, filepath.FromSlash(repo))
		mu.Lock()
		if _, err := os.Stat(dir); err != nil {
			out, err := exec.Command(git, "init", "--bare", "--quiet", "--initial-branch=main", dir).CombinedOutput()
			if err != nil {
				mu.Unlock()
				log.Error("git init failed", "repo", repo, "err", err, "output", string(out))
				http.Error(w, "cannot create repository", http.StatusInternalServerError)
				return
			}
		}
		mu.Unlock()
		env := append([]string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}, extraEnv...)
		// The hooks name the repository by the path it was reached at.
		env = append(env, "TRUSTLAYER_REPO="+m[1])
		if u := r.Header.Get("X-Trust-User"); u != "" {
			// git http-backend enables receive-pack for an authenticated user.
			env = append(env, "REMOTE_USER="+u)
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + repo + m[3]
		if len(r2.TransferEncoding) > 0 {
			// A chunked body (git sends a pack larger than
			// http.postBuffer so): net/http has already de-chunked it,
			// and CGI has no chunked input, so it reaches git
			// http-backend as standard input to its end with no
			// CONTENT_LENGTH, which git reads to end of file.
			r2.TransferEncoding = nil
			r2.ContentLength = -1
		}
		h := &cgi.Handler{Path: git, Args: []string{"http-backend"}, Dir: root, Env: env, Stderr: os.Stderr}
		h.ServeHTTP(w, r2)
	})
}

// inferenceEcho stands in for the inference backend: it answers who
// called which model, from the headers the gateway mapped and signed.
func inferenceEcho(key *trusthop.Key) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /models/{namespace}/{name}", func(w http.ResponseWriter, r *http.Request) {
		if err := key.Verify(r); err != nil {
			http.Error(w, "forbidden: request did not come through the gateway", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{
			"model":    r.PathValue("namespace") + "/" + r.PathValue("name"),
			"calledBy": r.Header.Get("X-Trust-User"),
			"tokenId":  r.Header.Get("X-Trust-Token-Id"),
			"role":     r.Header.Get("X-Trust-Role"),
		})
	})
	return mux
}

// readyTimeout bounds how long a service may take to answer after it
// starts. It returns as soon as the service answers, so a generous bound
// costs nothing on a quiet machine and keeps a loaded one (a 2-core
// machine building and fuzzing beside the stack, where DynamoDB Local's
// JVM has been seen to need over 90 s) from failing the run.
const readyTimeout = 5 * time.Minute
