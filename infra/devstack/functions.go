package devstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/infra/gateway"
	"github.com/hubsec/trustlayer/infra/samtemplate"
	"github.com/hubsec/trustlayer/shared/platform/serve"
)

// functionFolders lists functions/* folders that hold a main.go.
func functionFolders(repoRoot string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(repoRoot, "functions", "*", "main.go"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		out = append(out, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(out)
	return out, nil
}

// HookBuildFlags are the flags the git server image builds the hooks
// with (infra/git-server/Dockerfile; TestHookBuildFlagsAgree): static
// (CGO_ENABLED=0) and stripped. git starts a hook at every push, and a
// static Go program starts about 3 ms sooner here than one that loads
// libc, so the stack's pushes cost what the deployed server's do.
var HookBuildFlags = []string{"-trimpath", "-ldflags=-s -w"}

// buildFunctions builds every function for the host with one go build,
// and the hooks as the git server image does.
func (s *Stack) buildFunctions(ctx context.Context) (string, error) {
	dir := s.binDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	builds := [][]string{
		{"./functions/..."},
		append(append([]string{}, HookBuildFlags...), "./infra/cmd/githook", "./infra/cmd/githook-ref"),
		// pre-receive alone, without the AWS SDK (githook install links it).
		append(append([]string{"-tags", "githook_prereceive"}, HookBuildFlags...), "-o", filepath.Join(dir, "githook-pre-receive"), "./infra/cmd/githook"),
	}
	for i, args := range builds {
		if i < 2 {
			args = append([]string{"-o", dir + string(filepath.Separator)}, args...)
		}
		cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, args...)...)
		cmd.Dir = s.opts.RepoRoot
		if i > 0 {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dir, s.installHooks(dir)
}

// FunctionEnv is the local environment of every function process.
func (s *Stack) FunctionEnv() []string {
	return []string{
		"TRUSTLAYER_TABLE=" + s.opts.Table,
		"TRUSTLAYER_BUCKET=" + s.opts.Bucket,
		"TRUSTLAYER_PUBLIC_URL=" + s.URL("gateway"),
		"TRUSTLAYER_MAILER=outbox",
		"TRUSTLAYER_OUTBOX_DIR=" + s.OutboxDir(),
		"CLAMD_ADDRESS=tcp://" + s.addr(s.Ports.Clamd),
		"TRUSTLAYER_SCAN_QUEUE_URL=" + s.sqs.URL("ScanQueue"),
		"TRUSTLAYER_SCAN_DLQ_URL=" + s.sqs.URL("ScannerDeadLetterQueue"),
		"AWS_ENDPOINT_URL_SQS=" + s.URL("internal"),
		"TRUSTLAYER_HOOK_SECRET=" + s.hookSecret,
		// template.yaml names it with !Ref, which the stack does not resolve.
		"TRUSTLAYER_KEYLESS_FUNCTION=KeylessFunction",
		"TRUSTLAYER_CARDS_FUNCTION=CardsFunction",
		"AWS_ENDPOINT_URL_DYNAMODB=" + s.URL("dynamodb"),
		"AWS_ENDPOINT_URL_S3=" + s.URL("s3"),
		"AWS_ENDPOINT_URL_LAMBDA=" + s.URL("internal"),
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
		"LOG_LEVEL=" + s.opts.LogLevel,
		"TRUSTLAYER_SERVICE_SIGNING_KEY=" + s.signingKey,
		"TRUSTLAYER_SERVICE_SIGNING_PUBKEY=" + s.signingPub,
	}
}

// startFunctions starts each template function whose folder was built, and
// returns the invokers by logical id.
func (s *Stack) startFunctions(ctx context.Context, binDir string, fns []samtemplate.Function) (map[string]gateway.Invoker, error) {
	invokers := map[string]gateway.Invoker{}
	folders, err := functionFolders(s.opts.RepoRoot)
	if err != nil {
		return nil, err
	}
	inTemplate := map[string]bool{}
	type started struct {
		id   string
		p    *process
		port int
	}
	var all []started
	for _, f := range fns {
		folder := samtemplate.Folder(f.LogicalID)
		inTemplate[folder] = true
		bin := filepath.Join(binDir, folder)
		if !exists(bin) {
			s.warnf("%s: functions/%s does not exist; it is not started", f.LogicalID, folder)
			continue
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p, err := s.spawnFunction(f, bin, port)
		if err != nil {
			return nil, err
		}
		s.FunctionPorts[f.LogicalID] = port
		all = append(all, started{f.LogicalID, p, port})
	}
	for _, st := range all {
		if err := waitFor(st.p, 30*time.Second, dialCheck(s.addr(st.port))); err != nil {
			return nil, fmt.Errorf("function %s: %w", st.id, err)
		}
		s.superviseFunction(fnByID(fns, st.id), filepath.Join(binDir, samtemplate.Folder(st.id)), st.port, st.p)
		inv := gateway.NewHTTPInvoker("http://" + s.addr(st.port))
		inv.Secret = s.invokeSecret
		invokers[st.id] = inv
	}
	for _, folder := range folders {
		if !inTemplate[folder] {
			s.warnf("functions/%s has no function in template.yaml (expected logical id %sFunction); it is not routed", folder, exportName(folder))
		}
	}
	return invokers, nil
}

func exportName(folder string) string {
	if folder == "" {
		return ""
	}
	return string(folder[0]-'a'+'A') + folder[1:]
}

// spawnFunction starts one function process on port.
func (s *Stack) spawnFunction(f samtemplate.Function, bin string, port int) (*process, error) {
	cmd := exec.Command(bin)
	env := os.Environ()
	for k, v := range f.Environment { // template literals first, local values win
		env = append(env, k+"="+v)
	}
	env = append(env, s.FunctionEnv()...)
	// The function processes reach DynamoDB Local through the gate (the
	// last value of a variable wins); tests and tools reach it directly.
	env = append(env, "AWS_ENDPOINT_URL_DYNAMODB="+s.functionsDynamoDB())
	env = append(env, "PORT="+strconv.Itoa(port), "HOST=127.0.0.1", serve.InvokeSecretEnv+"="+s.invokeSecret)
	cmd.Env = env
	cmd.Dir = s.opts.RepoRoot
	return s.spawn("fn-"+samtemplate.Folder(f.LogicalID), cmd)
}

// superviseFunction restarts a function that died, on the same port (the
// gateway's invoker keeps its address).
func (s *Stack) superviseFunction(f samtemplate.Function, bin string, port int, p *process) {
	s.supervise("function "+f.LogicalID, p, nil, func() error {
		np, err := s.spawnFunction(f, bin, port)
		if err != nil {
			return err
		}
		if err := waitFor(np, 30*time.Second, dialCheck(s.addr(port))); err != nil {
			np.stop(time.Second)
			return err
		}
		s.superviseFunction(f, bin, port, np)
		return nil
	})
}

func fnByID(fns []samtemplate.Function, id string) samtemplate.Function {
	for _, f := range fns {
		if f.LogicalID == id {
			return f
		}
	}
	return samtemplate.Function{LogicalID: id}
}

// functionsDynamoDB is the DynamoDB endpoint the functions use: the gate
// in front of DynamoDB Local (which /_devstack/dynamodb/pause pauses),
// or DynamoDB Local itself before the gate exists.
func (s *Stack) functionsDynamoDB() string {
	if s.dynamoGateURL != "" {
		return s.dynamoGateURL
	}
	return s.URL("dynamodb")
}
