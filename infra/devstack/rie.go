package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hubsec/trustlayer/infra/gateway"
	"github.com/hubsec/trustlayer/infra/samtemplate"
	"github.com/hubsec/trustlayer/infra/sqslocal"
)

// LambdaTags are the build tags of a Lambda bootstrap, here and in the
// Makefile's LAMBDA_FLAGS (infra/lambdaflags_test.go keeps them equal):
// lambda.norpc leaves out aws-lambda-go's net/rpc mode, which the
// provided.al2023 runtime never uses; grpcnotrace leaves out gRPC's
// golang.org/x/net/trace (its /debug/requests pages), which no function
// serves. The keyless function links gRPC only through sigstore-go's
// generated protobuf code; without trace's html/template and net/rpc the
// linker can again drop unused exported methods (reflect's MethodByName
// is no longer reachable), which takes about 5 MB off that function's
// binary and some of its start.
const LambdaTags = "lambda.norpc,grpcnotrace"

// BuildBootstrap builds functions/<folder> as a Lambda bootstrap (static,
// -tags LambdaTags) for goos/goarch into dir/bootstrap. stripped adds
// -trimpath -ldflags "-s -w", as the Makefile's Lambda build does.
func BuildBootstrap(ctx context.Context, repoRoot, folder, goos, goarch, dir string, stripped bool) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bootstrap")
	args := []string{"build", "-tags", LambdaTags, "-o", out}
	if stripped {
		args = append(args, "-trimpath", "-ldflags", "-s -w")
	}
	pkg := "./functions/" + folder
	if strings.HasPrefix(folder, "./") {
		pkg = folder // a package path of its own (the cold-start reference)
	}
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build functions/%s for %s/%s: %w\n%s", folder, goos, goarch, err, b)
	}
	return out, nil
}

// ResolveFunction maps "HealthFunction" or "health" to (logical id, folder).
func ResolveFunction(tmpl *samtemplate.Template, name string) (string, string, error) {
	for _, f := range tmpl.Functions() {
		if f.LogicalID == name || samtemplate.Folder(f.LogicalID) == strings.ToLower(name) {
			return f.LogicalID, samtemplate.Folder(f.LogicalID), nil
		}
	}
	return "", "", fmt.Errorf("no function %q in template.yaml (use a logical id such as HealthFunction or its folder name such as health)", name)
}

// rie is one aws-lambda-rie process running a bootstrap.
type rie struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
	logOut io.Writer
}

func (r *rie) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logOut != nil {
		r.logOut.Write(b)
	}
	return r.out.Write(b)
}

func (r *rie) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// startRIE runs bootstrap under the emulator on free ports.
func startRIE(rieBin, bootstrap string, env []string, logOut io.Writer) (*rie, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &rie{url: fmt.Sprintf("http://127.0.0.1:%d%s", port, gateway.InvokePath), done: make(chan struct{}), logOut: logOut}
	r.cmd = exec.Command(rieBin,
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(port),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		bootstrap)
	r.cmd.Dir = filepath.Dir(bootstrap)
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = r, r
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aws-lambda-rie: %w", err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if dialCheck(addr)() == nil {
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("aws-lambda-rie exited: %s", r.output())
		default:
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("aws-lambda-rie did not listen on %s: %s", addr, r.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rie) invoke(ctx context.Context, event []byte) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(event))
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.Header, err
}

func (r *rie) stop() {
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	}
}

var (
	reportInit = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
	reportDur  = regexp.MustCompile(`REPORT RequestId: \S+\s+(?:Init Duration: [0-9.]+ ms\s+)?Duration: ([0-9.]+) ms`)
)

// waitReport waits for RIE's REPORT line and returns (init, duration) in ms;
// init is -1 when the line has none.
func (r *rie) waitReport(timeout time.Duration) (float64, float64, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out := r.output()
		if m := reportDur.FindStringSubmatch(out); m != nil {
			d, _ := strconv.ParseFloat(m[1], 64)
			init := -1.0
			if mi := reportInit.FindStringSubmatch(out); mi != nil {
				init, _ = strconv.ParseFloat(mi[1], 64)
			}
			return init, d, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, 0, fmt.Errorf("no REPORT line from aws-lambda-rie; output:\n%s", r.output())
}

// InvokeOptions configure Invoke.
type InvokeOptions struct {
	RepoRoot  string
	DataDir   string // a running `devstack up` there lends its endpoints
	Function  string
	EventPath string
	Out       io.Writer
	Verbose   bool
}

// Invoke builds one function, runs it under aws-lambda-rie, posts the
// event and prints the response.
func Invoke(ctx context.Context, o InvokeOptions) error {
	tmpl, err := samtemplate.Load(filepath.Join(o.RepoRoot, "template.yaml"))
	if err != nil {
		return err
	}
	id, folder, err := ResolveFunction(tmpl, o.Function)
	if err != nil {
		return err
	}
	event, err := os.ReadFile(o.EventPath)
	if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	if !json.Valid(event) {
		return fmt.Errorf("%s is not JSON", o.EventPath)
	}
	rieBin, err := rieBinary(o.RepoRoot, o.Out)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "devstack-invoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	boot, err := BuildBootstrap(ctx, o.RepoRoot, folder, runtime.GOOS, runtime.GOARCH, tmp, false)
	if err != nil {
		return err
	}
	local, source := invokeEnv(o.DataDir)
	// Template literals first, then the local values, which win.
	env := append(append(append(os.Environ(), functionEnv(tmpl, id)...), local...), "AWS_LAMBDA_FUNCTION_NAME="+id)
	fmt.Fprintf(o.Out, "devstack invoke: %s (functions/%s) under aws-lambda-rie, endpoints from %s\n", id, folder, source)
	var logOut io.Writer
	if o.Verbose {
		logOut = o.Out
	}
	r, err := startRIE(rieBin, boot, env, logOut)
	if err != nil {
		return err
	}
	defer r.stop()
	body, hdr, err := r.invoke(ctx, event)
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") != nil {
		pretty.Write(body)
	}
	if fe := hdr.Get("X-Amz-Function-Error"); fe != "" {
		fmt.Fprintf(o.Out, "function error (%s):\n", fe)
	}
	fmt.Fprintln(o.Out, pretty.String())
	if init, d, err := r.waitReport(2 * time.Second); err == nil {
		fmt.Fprintf(o.Out, "REPORT Init Duration: %.2f ms  Duration: %.2f ms\n", init, d)
	}
	return nil
}

// lambdaEnviron is this process's environment without what Lambda's
// provided.al2023 runtime does not set either: AWS_CA_BUNDLE (set on the
// development machines for their proxy CA) makes the SDK parse a 200 KB PEM
// bundle at start, 5-15 ms that a function on Lambda never pays.
func lambdaEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			out = append(out, kv)
		}
	}
	return out
}

// functionEnv is the template's literal environment of a function.
func functionEnv(tmpl *samtemplate.Template, id string) []string {
	var env []string
	for _, f := range tmpl.Functions() {
		if f.LogicalID == id {
			for k, v := range f.Environment {
				env = append(env, k+"="+v)
			}
		}
	}
	return env
}

// invokeEnv is the environment for a function run by hand: a running
// stack's endpoints when its state file names a live process, otherwise
// the default ports (nothing may answer there; the function still runs).
func invokeEnv(dataDir string) ([]string, string) {
	var env []string
	if b, err := os.ReadFile(StatePath(dataDir)); err == nil {
		var st State
		if json.Unmarshal(b, &st) == nil && st.PID > 0 && syscall.Kill(st.PID, 0) == nil {
			for k, v := range st.Env {
				env = append(env, k+"="+v)
			}
			return env, "the running devstack (" + StatePath(dataDir) + ")"
		}
	}
	d := DefaultPorts
	env = append(env,
		"TRUSTLAYER_TABLE=trustlayer", "TRUSTLAYER_BUCKET=trustlayer-uploads",
		"TRUSTLAYER_PUBLIC_URL=http://127.0.0.1:"+strconv.Itoa(d.Gateway),
		"TRUSTLAYER_MAILER=outbox", "TRUSTLAYER_OUTBOX_DIR="+filepath.Join(os.TempDir(), "trustlayer-outbox"),
		"CLAMD_ADDRESS=tcp://127.0.0.1:"+strconv.Itoa(d.Clamd),
		"TRUSTLAYER_SCAN_QUEUE_URL=http://127.0.0.1:"+strconv.Itoa(d.Internal)+"/"+sqslocal.Account+"/ScanQueue",
		"TRUSTLAYER_SCAN_DLQ_URL=http://127.0.0.1:"+strconv.Itoa(d.Internal)+"/"+sqslocal.Account+"/ScannerDeadLetterQueue",
		"AWS_ENDPOINT_URL_SQS=http://127.0.0.1:"+strconv.Itoa(d.Internal),
		"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:"+strconv.Itoa(d.DynamoDB),
		"AWS_ENDPOINT_URL_S3=http://127.0.0.1:"+strconv.Itoa(d.S3),
		"AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:"+strconv.Itoa(d.Internal),
		"AWS_ACCESS_KEY_ID="+AccessKey, "AWS_SECRET_ACCESS_KEY="+SecretKey, "AWS_REGION="+Region,
		"AWS_MAX_ATTEMPTS=1",
	)
	return env, "defaults (no running devstack found; services may not answer)"
}

func rieBinary(repoRoot string, out io.Writer) (string, error) {
	bin := filepath.Join(CacheDir(), "bin", "aws-lambda-rie")
	if !exists(bin) {
		fmt.Fprintln(out, "devstack: aws-lambda-rie missing - running infra/tools.sh")
		cmd := exec.Command("bash", filepath.Join(repoRoot, "infra", "tools.sh"))
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("infra/tools.sh: %w", err)
		}
	}
	return bin, nil
}

// Cold-start targets.
const (
	TargetInitRatio = 1.3 // init at most this many times the empty function's, same run (issue 17's first goal)
	// Init at most this many times the DynamoDB reference's (a function
	// that loads the AWS config and builds a DynamoDB client), same run;
	// the web function, which renders pages, TargetInitRatioDDBWeb.
	TargetInitRatioDDB    = 1.2
	TargetInitRatioDDBWeb = 1.5
	TargetBinaryMB        = 15.0
	ColdStartRounds       = 21 // fresh starts per target unless told otherwise
	coldStartRIERounds    = 3
)

// ColdStartResult is one function's measurement.
type ColdStartResult struct {
	Function      string
	BinaryBytes   int64
	InitMS        float64 // median, process start -> first /next (measured here)
	InitCPUMS     float64 // median CPU time used by the first /next (Linux; 0 elsewhere)
	FirstInvokeMS float64 // median, measured here
	RIEInitMS     float64 // median of RIE's "Init Duration"
	RIEInvokeMS   float64 // median of RIE's "Duration"
	Event         string
	Err           string // why it could not be measured
	Rounds        int    // fresh starts measured
}

// fixtureFor picks the event a function is measured with.
func fixtureFor(tmpl *samtemplate.Template, f samtemplate.Function) string {
	for _, ev := range f.Events {
		switch ev.Type {
		case "S3":
			return "s3-object-created.json"
		case "Schedule", "ScheduleV2":
			return "scheduled-event.json"
		}
	}
	for _, api := range tmpl.APIs() {
		for _, az := range api.Authorizers {
			if az.Function == f.LogicalID {
				return "authorizer-v2-request.json"
			}
		}
	}
	return "http-api-v2-get-health.json"
}

// ColdStartOptions narrows a cold-start run.
type ColdStartOptions struct {
	// Functions, if not empty, are the only functions measured (logical
	// ids or folders, as ResolveFunction takes them); the references are
	// always measured beside them.
	Functions []string
	// Rounds is the number of fresh starts per target (0: ColdStartRounds).
	Rounds int
	// Also are prebuilt host bootstraps measured in the same rounds, each
	// with a function's environment and event: "keyless=/tmp/old/bootstrap"
	// compares a build of another tree (before a change, say) with this
	// one's under the same load. Their size is the file's, not the
	// stripped arm64 build's.
	Also []string
}

// ColdStart measures every function (or those o names): stripped arm64
// binary size, and the median Init Duration and first-invoke Duration of
// fresh starts under RIE.
func ColdStart(ctx context.Context, repoRoot string, out io.Writer, o ColdStartOptions) ([]ColdStartResult, error) {
	tmpl, err := samtemplate.Load(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		return nil, err
	}
	rounds := o.Rounds
	if rounds <= 0 {
		rounds = ColdStartRounds
	}
	only := map[string]bool{}
	for _, name := range o.Functions {
		id, _, err := ResolveFunction(tmpl, name)
		if err != nil {
			return nil, err
		}
		only[id] = true
	}
	rieBin, err := rieBinary(repoRoot, out)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "devstack-coldstart-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var targets []coldTarget
	for _, f := range tmpl.Functions() {
		if len(only) > 0 && !only[f.LogicalID] {
			continue
		}
		folder := samtemplate.Folder(f.LogicalID)
		if !exists(filepath.Join(repoRoot, "functions", folder, "main.go")) {
			fmt.Fprintf(out, "skip %s: functions/%s does not exist\n", f.LogicalID, folder)
			continue
		}
		local, _ := invokeEnv("")
		env := append(append(append(lambdaEnviron(), functionEnv(tmpl, f.LogicalID)...), local...), "AWS_LAMBDA_FUNCTION_NAME="+f.LogicalID, "LOG_LEVEL=error")
		targets = append(targets, coldTarget{folder: folder, id: f.LogicalID, fixture: fixtureFor(tmpl, f), env: env})
	}
	for _, a := range o.Also {
		name, path, ok := strings.Cut(a, "=")
		if !ok || path == "" {
			return nil, fmt.Errorf("also %q: give function=path/to/bootstrap", a)
		}
		id, _, err := ResolveFunction(tmpl, name)
		if err != nil {
			return nil, err
		}
		var f samtemplate.Function
		for _, g := range tmpl.Functions() {
			if g.LogicalID == id {
				f = g
			}
		}
		local, _ := invokeEnv("")
		env := append(append(append(lambdaEnviron(), functionEnv(tmpl, id)...), local...), "AWS_LAMBDA_FUNCTION_NAME="+id, "LOG_LEVEL=error")
		targets = append(targets, coldTarget{id: id + " (" + path + ", host build)", fixture: fixtureFor(tmpl, f), env: env, prebuilt: path})
	}
	// The references, measured the same way in the same run: an
	// aws-lambda-go function that does nothing (the floor this machine
	// puts under any Go function's cold start), and one that loads the AWS
	// config and builds a DynamoDB client before its first /next, as each
	// of ours must, with the same local endpoints in its environment.
	local, _ := invokeEnv("")
	targets = append(targets,
		coldTarget{folder: ReferencePackage, id: "reference (empty aws-lambda-go handler)", fixture: "scheduled-event.json",
			env: append(lambdaEnviron(), "LOG_LEVEL=error")},
		coldTarget{folder: ReferenceDDBPackage, id: referenceDDB, fixture: "scheduled-event.json",
			env: append(append(lambdaEnviron(), local...), "LOG_LEVEL=error")})
	// Build everything first, then measure in rounds that visit every
	// target once each, so a change in the machine's load during the run
	// falls on all targets alike instead of on the last ones measured.
	for i := range targets {
		if err := targets[i].build(ctx, repoRoot, tmp); err != nil {
			return nil, err
		}
	}
	for i := range targets {
		targets[i].measureRIE(ctx, rieBin, out)
	}
	for round := 0; round < rounds; round++ {
		for i := range targets {
			targets[i].measureRound(ctx)
		}
	}
	results := make([]ColdStartResult, len(targets))
	for i, t := range targets {
		results[i] = t.result()
	}
	return results, nil
}

// ReferencePackage is the empty Lambda function measured beside ours.
const ReferencePackage = "./infra/coldstartref"

// ReferenceDDBPackage is the function that loads the AWS config and builds
// a DynamoDB client, measured beside ours.
const ReferenceDDBPackage = "./infra/coldstartddb"

const referenceDDB = "reference (aws-lambda-go + AWS config + DynamoDB client)"

// coldTarget is one function (or reference) under measurement.
type coldTarget struct {
	folder, id, fixture string
	prebuilt            string // a bootstrap built elsewhere (ColdStartOptions.Also)
	env                 []string
	host                string
	event               []byte
	res                 ColdStartResult
	inits, cpus, durs   []float64
	handlerErr          bool
}

func (t *coldTarget) build(ctx context.Context, repoRoot, tmp string) error {
	if t.prebuilt != "" {
		st, err := os.Stat(t.prebuilt)
		if err != nil {
			return err
		}
		if t.host, err = filepath.Abs(t.prebuilt); err != nil {
			return err
		}
		if t.event, err = os.ReadFile(filepath.Join(repoRoot, "infra", "events", t.fixture)); err != nil {
			return err
		}
		t.res = ColdStartResult{Function: t.id, BinaryBytes: st.Size(), Event: t.fixture}
		return nil
	}
	name := filepath.Base(t.folder)
	arm, err := BuildBootstrap(ctx, repoRoot, t.folder, "linux", "arm64", filepath.Join(tmp, "arm64", name), true)
	if err != nil {
		return err
	}
	st, err := os.Stat(arm)
	if err != nil {
		return err
	}
	if t.host, err = BuildBootstrap(ctx, repoRoot, t.folder, runtime.GOOS, runtime.GOARCH, filepath.Join(tmp, "host", name), true); err != nil {
		return err
	}
	if t.event, err = os.ReadFile(filepath.Join(repoRoot, "infra", "events", t.fixture)); err != nil {
		return err
	}
	t.res = ColdStartResult{Function: t.id, BinaryBytes: st.Size(), Event: t.fixture}
	return nil
}

// measureRIE records RIE's REPORT figures, for comparison (RIE reports a
// function error too, so only a missing REPORT line stops this loop).
func (t *coldTarget) measureRIE(ctx context.Context, rieBin string, out io.Writer) {
	var inits, durs []float64
	for i := 0; i < coldStartRIERounds; i++ {
		r, err := startRIE(rieBin, t.host, t.env, nil)
		if err != nil {
			fmt.Fprintf(out, "%s under RIE: %v\n", t.id, err)
			return
		}
		_, _, err = r.invoke(ctx, t.event)
		var init, d float64
		if err == nil {
			init, d, err = r.waitReport(3 * time.Second)
		}
		r.stop()
		if err != nil {
			fmt.Fprintf(out, "%s under RIE: %v\n", t.id, err)
			return
		}
		inits, durs = append(inits, init), append(durs, d)
	}
	t.res.RIEInitMS, t.res.RIEInvokeMS = median(inits), median(durs)
}

// measureRound is one fresh start, init as Lambda defines it, measured
// with our Runtime API.
func (t *coldTarget) measureRound(ctx context.Context) {
	if t.res.Err != "" {
		return
	}
	initD, cpuD, invD, err := measureInit(ctx, t.host, t.env, t.event)
	if err != nil && initD == 0 {
		t.res.Err = err.Error()
		return
	}
	// A handler error on the fixture (no services behind the default
	// endpoints) does not make init less real.
	t.handlerErr = t.handlerErr || err != nil
	t.inits = append(t.inits, float64(initD.Microseconds())/1000)
	t.cpus = append(t.cpus, float64(cpuD.Microseconds())/1000)
	t.durs = append(t.durs, float64(invD.Microseconds())/1000)
}

func (t *coldTarget) result() ColdStartResult {
	r := t.res
	if t.handlerErr {
		r.Event += " (handler returned an error)"
	}
	r.InitMS, r.FirstInvokeMS, r.InitCPUMS = median(t.inits), median(t.durs), median(t.cpus)
	r.Rounds = len(t.inits)
	return r
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ColdStartTable renders results as Markdown with the targets.
func ColdStartTable(results []ColdStartResult) string {
	rounds := 0
	for _, r := range results {
		rounds = max(rounds, r.Rounds)
	}
	var b strings.Builder
	var refMS, ddbMS, ddbCPU float64
	for _, r := range results {
		switch {
		case r.Function == referenceDDB && r.Err == "":
			ddbMS, ddbCPU = r.InitMS, r.InitCPUMS
		case strings.HasPrefix(r.Function, "reference") && r.Err == "":
			refMS = r.InitMS
		}
	}
	fmt.Fprintf(&b, "| function | bootstrap linux/arm64 (stripped) | init: start to first /next | init / empty reference | init / DynamoDB reference | init CPU | init CPU / DynamoDB reference's | first invoke | RIE Init Duration | RIE Duration | event | targets: init <= %.1fx the DynamoDB reference (web %.1fx), binary <= %.0f MB |\n", TargetInitRatioDDB, TargetInitRatioDDBWeb, TargetBinaryMB)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, r := range results {
		mb := float64(r.BinaryBytes) / (1 << 20)
		if r.Err != "" {
			fmt.Fprintf(&b, "| %s | %.1f MB | - | - | - | - | - | - | - | - | %s | FAIL: %s |\n", r.Function, mb, r.Event, r.Err)
			continue
		}
		ratio, ratioDDB := "-", "-"
		initOK := true
		if refMS > 0 {
			ratio = fmt.Sprintf("%.2fx", r.InitMS/refMS)
		}
		if ddbMS > 0 {
			ratioDDB = fmt.Sprintf("%.2fx", r.InitMS/ddbMS)
			target := TargetInitRatioDDB
			if r.Function == "WebFunction" {
				target = TargetInitRatioDDBWeb
			}
			initOK = r.InitMS <= target*ddbMS
		}
		verdict := "pass"
		if !initOK || mb > TargetBinaryMB {
			verdict = "FAIL"
			if !initOK {
				verdict += " (init)"
			}
			if mb > TargetBinaryMB {
				verdict += " (size)"
			}
		}
		cpuRatio := "-"
		if ddbCPU > 0 && r.InitCPUMS > 0 {
			cpuRatio = fmt.Sprintf("%.2fx", r.InitCPUMS/ddbCPU)
		}
		fmt.Fprintf(&b, "| %s | %.1f MB | %.2f ms | %s | %s | %.2f ms | %s | %.2f ms | %.2f ms | %.2f ms | %s | %s |\n", r.Function, mb, r.InitMS, ratio, ratioDDB, r.InitCPUMS, cpuRatio, r.FirstInvokeMS, r.RIEInitMS, r.RIEInvokeMS, r.Event, verdict)
	}
	fmt.Fprintf(&b, "\nMedians of %d fresh starts each, taken in rounds that start every function and reference once, so load changes\nfall on all alike; host-architecture builds with the Lambda flags. Init is measured here as Lambda defines it:\n", rounds)
	b.WriteString("from the bootstrap process start to its first Runtime API /next call (a minimal Runtime API served by devstack), and\n")
	fmt.Fprintf(&b, "first invoke from handing over the event to the response. RIE's own figures (medians of %d) are shown beside them: this RIE version\n", coldStartRIERounds)
	b.WriteString("starts the runtime before the first invoke, so its Init Duration misses most of the init and its first Duration absorbs it.\n")
	b.WriteString("Init CPU is the CPU time the process had used by its first /next (its threads' /proc schedstat): on a loaded machine the\n")
	b.WriteString("wall-clock init mostly measures the wait for a core, the CPU time does not; the verdict still judges the wall-clock ratio.\n")
	return b.String()
}
