// Package devstack runs the project's serverless stack on one machine
// without Docker or the SAM CLI: DynamoDB Local, versitygw (S3 with webhook
// notifications), clamd, a git smart-HTTP backend, an inference echo
// backend, every function as a process, and the local API gateway that
// routes to them as template.yaml declares.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubsec/trustlayer/infra/gateway"
	"github.com/hubsec/trustlayer/infra/samtemplate"
	"github.com/hubsec/trustlayer/infra/sqslocal"
	"github.com/hubsec/trustlayer/shared/platform/trusthop"
)

// Ports of the stack's services; 0 picks a free port.
type Ports struct {
	Gateway, Inference, Internal, Git, Echo int
	DynamoDB, S3, Clamd                     int
}

// DefaultPorts are `make dev`'s ports.
var DefaultPorts = Ports{Gateway: 3000, Internal: 3001, Inference: 3002, Git: 3003, Echo: 3004, DynamoDB: 8000, S3: 7070, Clamd: 3310}

// PortFlags names, for each service, its flag and environment variable.
var PortFlags = []struct {
	Service, Flag, Env string
	Get                func(*Ports) *int
}{
	{"gateway", "port", "DEVSTACK_PORT", func(p *Ports) *int { return &p.Gateway }},
	{"internal", "internal-port", "DEVSTACK_INTERNAL_PORT", func(p *Ports) *int { return &p.Internal }},
	{"inference", "inference-port", "DEVSTACK_INFERENCE_PORT", func(p *Ports) *int { return &p.Inference }},
	{"git", "git-port", "DEVSTACK_GIT_PORT", func(p *Ports) *int { return &p.Git }},
	{"echo", "echo-port", "DEVSTACK_ECHO_PORT", func(p *Ports) *int { return &p.Echo }},
	{"dynamodb", "dynamodb-port", "DEVSTACK_DYNAMODB_PORT", func(p *Ports) *int { return &p.DynamoDB }},
	{"s3", "s3-port", "DEVSTACK_S3_PORT", func(p *Ports) *int { return &p.S3 }},
	{"clamd", "clamd-port", "DEVSTACK_CLAMD_PORT", func(p *Ports) *int { return &p.Clamd }},
}

func portFlag(service string) (flag, env string) {
	for _, pf := range PortFlags {
		if pf.Service == service {
			return pf.Flag, pf.Env
		}
	}
	return service + "-port", ""
}

// Options configure a stack.
type Options struct {
	RepoRoot string
	DataDir  string
	InMemory bool // DynamoDB Local -inMemory instead of -dbPath DataDir/dynamodb
	Ports    Ports
	Table    string
	Bucket   string
	LogLevel string
	// BinDir receives the function binaries (.build/local under RepoRoot
	// when empty); tests build into their own data dir so that stacks
	// running side by side never overwrite each other's binaries.
	BinDir  string
	Verbose bool      // tee every process's output to Out
	Out     io.Writer // banner, warnings and -v output
	// ScheduleSpeedup runs the template's schedules that many times
	// faster (1, or 0, is real time): with 300, rate(5 minutes) fires
	// every second.
	ScheduleSpeedup float64
}

// Stack is a running local stack.
type Stack struct {
	opts          Options
	Ports         Ports
	FunctionPorts map[string]int
	Gateway       *gateway.Gateway
	Warnings      []string
	Schedules     []string // "SweeperFunction.Every5Minutes rate(5 minutes)"
	log           *slog.Logger
	tools         *Tools
	clamd         *clamd
	// dynamoGate relays the functions' DynamoDB calls (dynamoGateURL), so
	// a test can cut the functions off without touching other tests.
	dynamoGate    *gate
	dynamoGateURL string
	procs         []*process
	servers       []*http.Server
	mu            sync.Mutex
	// invokeSecret lets the gateway (and nobody else) use the functions'
	// invoke path; new for every stack, never written to disk.
	invokeSecret string
	// hookSecret is the key the git server's hooks sign their calls with
	// (githook.Sign); new for every stack.
	hookSecret string
	// trustHop signs the gateway's requests to the git and inference
	// backends, which verify them; its secret is new for every stack.
	trustHop *trusthop.Key
	// signingKey and signingPub are the service's SSH commit-signing key
	// (private, OpenSSH format) and its public line, generated into the
	// data dir on first start.
	signingKey, signingPub string
	sup                    *supervisor
	// sqs is the local SQS (template queues), on the internal listener.
	sqs *sqslocal.Server
	// closeCh ends the scheduler's loops.
	closeCh   chan struct{}
	closeOnce sync.Once
}

// Start starts every service. On error, what was started is stopped.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Out == nil {
		opts.Out = os.Stderr
	}
	if opts.Table == "" {
		opts.Table = "trustlayer"
	}
	if opts.Bucket == "" {
		opts.Bucket = "trustlayer-uploads"
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	abs, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	opts.DataDir = abs
	for _, d := range []string{"logs", "outbox"} {
		if err := os.MkdirAll(filepath.Join(opts.DataDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	gwLog, err := os.OpenFile(filepath.Join(opts.DataDir, "logs", "gateway.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	var logOut io.Writer = gwLog
	if opts.Verbose {
		logOut = io.MultiWriter(gwLog, &prefixWriter{prefix: "[gateway] ", w: opts.Out})
	}
	s := &Stack{opts: opts, Ports: opts.Ports, FunctionPorts: map[string]int{},
		log: slog.New(slog.NewTextHandler(logOut, nil)), invokeSecret: randomSecret(), hookSecret: randomSecret(),
		sup: newSupervisor(), closeCh: make(chan struct{})}
	if s.trustHop, err = trusthop.New([]byte(randomSecret())); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context) error {
	var err error
	if s.tools, err = FindTools(s.opts.RepoRoot, s.opts.Out); err != nil {
		return err
	}
	if s.signingKey, s.signingPub, err = serviceSigningKey(ctx, s.opts.DataDir); err != nil {
		return err
	}
	tmpl, err := samtemplate.Load(filepath.Join(s.opts.RepoRoot, "template.yaml"))
	if err != nil {
		return err
	}
	// Bind our own listeners first (a taken port fails here, by name), then
	// check the external programs' ports.
	listeners := map[string]net.Listener{}
	for _, svc := range []string{"internal", "gateway", "inference", "git", "echo"} {
		flag, env := portFlag(svc)
		p := s.portPtr(svc)
		ln, err := listen(svc, flag, env, *p)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return err
		}
		*p = ln.Addr().(*net.TCPAddr).Port
		listeners[svc] = ln
	}
	for _, svc := range []string{"dynamodb", "s3", "clamd"} {
		flag, env := portFlag(svc)
		p := s.portPtr(svc)
		if *p, err = reservePort(svc, flag, env, *p); err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return err
		}
	}

	// The gateway's invokers are filled in once the functions run; the
	// internal listener must answer before versitygw starts (it posts a
	// test event at start).
	invokers := map[string]gateway.Invoker{}
	if s.clamd, err = s.prepareClamd(); err != nil {
		return err
	}
	if s.dynamoGate, s.dynamoGateURL, err = newGate(s.addr(s.Ports.DynamoDB)); err != nil {
		return err
	}
	var gw atomicGateway
	s.sqs = sqslocal.New(s.URL("internal"), Region, queueConfigs(tmpl))
	s.serve(listeners["internal"], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case sqslocal.IsSQS(r):
			s.sqs.ServeHTTP(w, r)
		case r.Method == http.MethodPost && r.URL.Path == SQSAdvancePath:
			s.serveSQSAdvance(w, r)
		default:
			gw.get().Internal().ServeHTTP(w, r)
		}
	}))
	s.serve(listeners["gateway"], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gw.get().HubAPI().ServeHTTP(w, r) }))
	s.serve(listeners["inference"], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gw.get().InferenceAPI().ServeHTTP(w, r) }))
	s.serve(listeners["git"], s.gitBackend())
	s.serve(listeners["echo"], inferenceEcho(s.trustHop))
	newGateway := func() (*gateway.Gateway, error) {
		return gateway.New(gateway.Config{
			Template:  tmpl,
			Functions: invokers,
			Parameters: map[string]string{
				"GitBackendUrl":       s.URL("git"),
				"InferenceBackendUrl": s.URL("echo"),
			},
			Log:      s.log,
			Clamd:    s.clamd,
			DynamoDB: s.dynamoGate,
			TrustHop: s.trustHop,
			S3Notify: s.s3Notify(tmpl),
		})
	}
	first, err := newGateway()
	if err != nil {
		return err
	}
	gw.set(first)

	// Build while the services start: the build is the slow part.
	type buildResult struct {
		dir string
		err error
	}
	built := make(chan buildResult, 1)
	go func() {
		dir, err := s.buildFunctions(ctx)
		built <- buildResult{dir, err}
	}()
	errs := make(chan error, 3)
	go func() { errs <- s.startDynamoDB(ctx) }()
	go func() { errs <- s.startS3(ctx) }()
	go func() { errs <- s.clamd.Start(ctx) }()
	var startErrs []error
	for range 3 {
		if err := <-errs; err != nil {
			startErrs = append(startErrs, err)
		}
	}
	b := <-built
	if b.err != nil {
		startErrs = append(startErrs, b.err)
	}
	if err := errors.Join(startErrs...); err != nil {
		return err
	}
	fns, err := s.startFunctions(ctx, b.dir, tmpl.Functions())
	if err != nil {
		return err
	}
	for k, v := range fns {
		invokers[k] = v
	}
	final, err := newGateway()
	if err != nil {
		return err
	}
	gw.set(final)
	s.Gateway = final
	s.Warnings = append(s.Warnings, final.Warnings()...)
	if err := s.startSchedules(tmpl.Functions(), invokers); err != nil {
		return err
	}
	if err := s.startQueueSources(tmpl, invokers); err != nil {
		return err
	}
	return s.writeState()
}

type atomicGateway struct {
	mu sync.RWMutex
	g  *gateway.Gateway
}

func (a *atomicGateway) get() *gateway.Gateway {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.g
}

func (a *atomicGateway) set(g *gateway.Gateway) {
	a.mu.Lock()
	a.g = g
	a.mu.Unlock()
}

func (s *Stack) portPtr(svc string) *int {
	for _, pf := range PortFlags {
		if pf.Service == svc {
			return pf.Get(&s.Ports)
		}
	}
	panic("unknown service " + svc)
}

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *Stack) spawn(name string, c *exec.Cmd) (*process, error) {
	var tee io.Writer
	if s.opts.Verbose {
		tee = s.opts.Out
	}
	p, err := startProcess(name, c, filepath.Join(s.opts.DataDir, "logs", name+".log"), tee)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p, nil
}

func (s *Stack) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.Warnings = append(s.Warnings, msg)
	s.mu.Unlock()
	s.log.Warn(msg)
}

func (s *Stack) addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// URL returns a service's base URL: gateway, inference, internal, git,
// echo, dynamodb, s3.
func (s *Stack) URL(service string) string {
	return "http://" + s.addr(*s.portPtr(service))
}

// OutboxDir is where the outbox mailer writes.
func (s *Stack) OutboxDir() string { return filepath.Join(s.opts.DataDir, "outbox") }

// LogDir holds one log per process.
func (s *Stack) LogDir() string { return filepath.Join(s.opts.DataDir, "logs") }

// TestEnv is what `devstack test` exports to the command it runs.
func (s *Stack) TestEnv() []string {
	env := []string{
		"TRUSTLAYER_GATEWAY_URL=" + s.URL("gateway"),
		"TRUSTLAYER_INFERENCE_URL_PUBLIC=" + s.URL("inference"),
		"TRUSTLAYER_INTERNAL_URL=" + s.URL("internal"),
		"TRUSTLAYER_GIT_BACKEND_URL=" + s.URL("git"),
		"TRUSTLAYER_GIT_ROOT=" + s.gitRoot(),
		"TRUSTLAYER_ECHO_BACKEND_URL=" + s.URL("echo"),
		"TRUSTLAYER_HFJS_DIR=" + s.tools.HFJSDir,
		"TRUSTLAYER_REQUIRE_TOOLS=1",
	}
	if port, ok := s.FunctionPorts["AuthorizerFunction"]; ok {
		// The authorizer's forward-auth face (nginx auth_request style).
		env = append(env, "TRUSTLAYER_FORWARD_AUTH_URL=http://"+s.addr(port))
	}
	for _, kv := range s.FunctionEnv() {
		if strings.HasPrefix(kv, "LOG_LEVEL=") || strings.HasPrefix(kv, "TRUSTLAYER_MAILER=") ||
			strings.HasPrefix(kv, "TRUSTLAYER_PUBLIC_URL=") ||
			strings.HasPrefix(kv, "TRUSTLAYER_SERVICE_SIGNING_KEY=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Banner describes the running stack.
func (s *Stack) Banner() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\ntrustlayer devstack is up (data in %s)\n\n", s.opts.DataDir)
	row := func(k, v string) { fmt.Fprintf(&b, "  %-16s %s\n", k, v) }
	row("gateway (HubApi)", s.URL("gateway"))
	row("web pages", s.URL("gateway")+"/join  (sign up; then /login, /settings/tokens, /{namespace}/{name})")
	row("inference API", s.URL("inference")+"  (InferenceApi at the root, POST /models/{namespace}/{name})")
	row("internal", s.URL("internal")+"  (Lambda Invoke API, SQS, S3 webhook /_s3/events, /_devstack/clamd/{stop,start}, /_devstack/dynamodb/{pause,resume}, "+SQSAdvancePath+")")
	row("DynamoDB Local", s.URL("dynamodb")+"  table "+s.opts.Table)
	row("S3 (versitygw)", s.URL("s3")+"  bucket "+s.opts.Bucket+"  keys "+AccessKey+"/"+SecretKey)
	row("clamd", "tcp://"+s.addr(s.Ports.Clamd))
	row("git backend", s.URL("git"))
	row("inference echo", s.URL("echo"))
	row("outbox", s.OutboxDir())
	row("logs", s.LogDir())
	for _, sch := range s.Schedules {
		speed := ""
		if s.opts.ScheduleSpeedup > 1 {
			speed = fmt.Sprintf("  (%gx faster)", s.opts.ScheduleSpeedup)
		}
		row("schedule", sch+speed)
	}
	b.WriteString("\n  functions:\n")
	var ids []string
	for id := range s.FunctionPorts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "    %-22s http://%s  log %s\n", id, s.addr(s.FunctionPorts[id]), filepath.Join(s.LogDir(), "fn-"+samtemplate.Folder(id)+".log"))
	}
	if s.Gateway != nil {
		b.WriteString("\n  routes:\n")
		for _, r := range s.Gateway.Routes() {
			target := r.Function
			if r.Integration != nil {
				target = r.Integration.LogicalID + " (HTTP_PROXY)"
			}
			auth := r.Authorizer
			if auth == "" {
				auth = "NONE"
			}
			fmt.Fprintf(&b, "    %-45s -> %-24s auth %s\n", r.Key(), target, auth)
		}
	}
	if len(s.Warnings) > 0 {
		b.WriteString("\n  !!! WARNINGS !!!\n")
		for _, w := range s.Warnings {
			fmt.Fprintf(&b, "  !!! %s\n", w)
		}
	}
	return b.String()
}

// State is what a running `devstack up` records in DataDir/stack.json, so
// `devstack invoke` can point a function at it.
type State struct {
	PID int               `json:"pid"`
	Env map[string]string `json:"env"`
}

// StatePath is the state file of a data dir.
func StatePath(dataDir string) string { return filepath.Join(dataDir, "stack.json") }

func (s *Stack) writeState() error {
	st := State{PID: os.Getpid(), Env: map[string]string{}}
	for _, kv := range s.FunctionEnv() {
		k, v, _ := strings.Cut(kv, "=")
		st.Env[k] = v
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	return os.WriteFile(StatePath(s.opts.DataDir), b, 0o644)
}

// randomSecret is 32 random bytes as hex.
func randomSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// Close stops everything the stack started, newest first.
func (s *Stack) Close() {
	s.stopSupervising()
	s.closeOnce.Do(func() { close(s.closeCh) })
	os.Remove(StatePath(s.opts.DataDir))
	s.mu.Lock()
	servers, procs := s.servers, s.procs
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, srv := range servers {
		srv.Shutdown(ctx)
	}
	var wg sync.WaitGroup
	for i := len(procs) - 1; i >= 0; i-- {
		wg.Add(1)
		go func(p *process) {
			defer wg.Done()
			p.stop(10 * time.Second)
		}(procs[i])
	}
	wg.Wait()
}

// serviceSigningKey returns the stack's commit-signing key, generated
// with ssh-keygen (ed25519) into dataDir on first use.
func serviceSigningKey(ctx context.Context, dataDir string) (key, pub string, err error) {
	path := filepath.Join(dataDir, "service-signing-key")
	if _, err := os.Stat(path); err != nil {
		out, err := exec.CommandContext(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "trustlayer-service", "-f", path).CombinedOutput()
		if err != nil {
			return "", "", fmt.Errorf("generate the service signing key: %v: %s", err, out)
		}
	}
	k, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	p, err := os.ReadFile(path + ".pub")
	if err != nil {
		return "", "", err
	}
	return string(k), strings.TrimSpace(string(p)), nil
}
