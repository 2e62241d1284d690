// Command devstack runs the project's local serverless stack.
//
//	devstack up        [flags]                   the whole stack until Ctrl-C (make dev)
//	devstack test      [flags] -- command...     the stack on free ports around a command (make test)
//	devstack invoke    -fn NAME -event FILE      one function under aws-lambda-rie (make invoke)
//	devstack coldstart [-fn A,B] [-rounds N] [-also A=PATH]  binary sizes and cold starts (make bench-coldstart)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hubsec/trustlayer/infra/devstack"
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

const usage = `usage:
  devstack up [flags]                 run the local stack until Ctrl-C
  devstack test [flags] -- cmd args   run cmd against a fresh stack on free ports
  devstack invoke -fn NAME -event F   run one function under aws-lambda-rie
  devstack coldstart [-fn A,B] [-rounds N] [-also A=PATH]
                                      measure binary size and cold start per function
                                      (-fn: only these functions, beside the references;
                                      -also: a prebuilt bootstrap of A in the same rounds)`

func run(args []string) (int, error) {
	if len(args) == 0 {
		return 2, errors.New(usage)
	}
	root, err := repoRoot()
	if err != nil {
		return 1, err
	}
	switch args[0] {
	case "up":
		return up(root, args[1:])
	case "test":
		return test(root, args[1:])
	case "invoke":
		return invoke(root, args[1:])
	case "coldstart":
		return coldstart(root, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Println(usage)
		return 0, nil
	}
	return 2, fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// repoRoot is the directory holding template.yaml, from the working
// directory upwards.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "template.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("template.yaml not found in this directory or above: run from the repository")
		}
		dir = parent
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

type stackFlags struct {
	opts  devstack.Options
	ports devstack.Ports
}

// stackFlagSet declares the flags up and test share. Defaults come from
// the environment (DEVSTACK_*), then from devstack.DefaultPorts; test uses
// free ports unless a port is given explicitly.
func stackFlagSet(name string, root string, freePorts bool) (*flag.FlagSet, *stackFlags, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	sf := &stackFlags{}
	defaults := devstack.DefaultPorts
	for _, pf := range devstack.PortFlags {
		def := *pf.Get(&defaults)
		if freePorts {
			def = 0
		}
		if v := os.Getenv(pf.Env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return nil, nil, fmt.Errorf("%s is %q: give a port number", pf.Env, v)
			}
			def = n
		}
		fs.IntVar(pf.Get(&sf.ports), pf.Flag, def, fmt.Sprintf("%s port (env %s)", pf.Service, pf.Env))
	}
	fs.StringVar(&sf.opts.DataDir, "data", envOr("DEVSTACK_DATA", filepath.Join(root, ".devstack")), "data directory (env DEVSTACK_DATA)")
	fs.BoolVar(&sf.opts.Verbose, "v", false, "copy every process's output to the console")
	fs.StringVar(&sf.opts.LogLevel, "log-level", envOr("LOG_LEVEL", "info"), "functions' LOG_LEVEL")
	fs.BoolVar(&sf.opts.InMemory, "in-memory", false, "DynamoDB Local -inMemory (default for test)")
	speedup := 1.0
	if v := os.Getenv("DEVSTACK_SCHEDULE_SPEEDUP"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1 {
			return nil, nil, fmt.Errorf("DEVSTACK_SCHEDULE_SPEEDUP is %q: give a factor of 1 or more (300 fires rate(5 minutes) every second)", v)
		}
		speedup = f
	}
	fs.Float64Var(&sf.opts.ScheduleSpeedup, "schedule-speedup", speedup, "run template.yaml's schedules this many times faster (env DEVSTACK_SCHEDULE_SPEEDUP)")
	sf.opts.RepoRoot = root
	return fs, sf, nil
}

func up(root string, args []string) (int, error) {
	fs, sf, err := stackFlagSet("up", root, false)
	if err != nil {
		return 2, err
	}
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	sf.opts.Ports = sf.ports
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintln(os.Stderr, "devstack: starting (DynamoDB Local, versitygw, clamd, functions, gateway)...")
	s, err := devstack.Start(ctx, sf.opts)
	if err != nil {
		return 1, err
	}
	defer s.Close()
	fmt.Println(s.Banner())
	fmt.Println("Ctrl-C stops everything.")
	select {
	case <-ctx.Done():
	case err := <-s.Failed():
		fmt.Fprintln(os.Stderr, "\ndevstack: stopping: the stack is no longer whole")
		return 1, err
	}
	fmt.Fprintln(os.Stderr, "\ndevstack: stopping...")
	return 0, nil
}

func test(root string, args []string) (int, error) {
	fs, sf, err := stackFlagSet("test", root, true)
	if err != nil {
		return 2, err
	}
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		return 2, errors.New("test: give the command after --, e.g. devstack test -- go test ./...")
	}
	tmp, err := os.MkdirTemp("", "devstack-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)
	if os.Getenv("DEVSTACK_DATA") == "" && !flagGiven(fs, "data") {
		sf.opts.DataDir = tmp
	}
	sf.opts.InMemory = true
	sf.opts.BinDir = filepath.Join(sf.opts.DataDir, "bin")
	sf.opts.Ports = sf.ports
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := devstack.Start(ctx, sf.opts)
	if err != nil {
		return 1, err
	}
	defer s.Close()
	fmt.Fprint(os.Stderr, s.Banner())
	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), s.TestEnv()...)
	if err := cmd.Start(); err != nil {
		return 1, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		err = <-waited
	case failed := <-s.Failed():
		// A service died past its restarts: results from here on would
		// be about a half-dead stack.
		cmd.Process.Signal(syscall.SIGTERM)
		<-waited
		return 1, fmt.Errorf("%w (the test command was stopped)", failed)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		fmt.Fprintf(os.Stderr, "devstack: %s exited with %d (logs were in %s)\n", cmdArgs[0], exit.ExitCode(), s.LogDir())
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func coldstart(root string, args []string) (int, error) {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	fns := fs.String("fn", "", "comma-separated functions to measure, logical ids (KeylessFunction) or folders (keyless); default all. The references are always measured")
	rounds := fs.Int("rounds", devstack.ColdStartRounds, "fresh starts per function and reference")
	also := fs.String("also", "", "comma-separated function=path: prebuilt host bootstraps (another tree's build, say) measured in the same rounds with that function's environment")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("coldstart: unexpected arguments %q", fs.Args())
	}
	var o devstack.ColdStartOptions
	for _, f := range strings.Split(*fns, ",") {
		if f = strings.TrimSpace(f); f != "" {
			o.Functions = append(o.Functions, f)
		}
	}
	o.Rounds = *rounds
	for _, a := range strings.Split(*also, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.Also = append(o.Also, a)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := devstack.ColdStart(ctx, root, os.Stderr, o)
	if err != nil {
		return 1, err
	}
	fmt.Print(devstack.ColdStartTable(res))
	return 0, nil
}

func invoke(root string, args []string) (int, error) {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fn := fs.String("fn", "", "function: logical id (HealthFunction) or folder (health)")
	event := fs.String("event", "", "event JSON file (see infra/events/)")
	data := fs.String("data", envOr("DEVSTACK_DATA", filepath.Join(root, ".devstack")), "data directory of a running `devstack up`, whose endpoints are used")
	verbose := fs.Bool("v", false, "show the emulator's and the function's output")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *fn == "" || *event == "" {
		return 2, errors.New("invoke: give -fn and -event (make invoke FN=health EVENT=infra/events/http-api-v2-get-health.json)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := devstack.Invoke(ctx, devstack.InvokeOptions{RepoRoot: root, DataDir: *data, Function: *fn, EventPath: *event, Out: os.Stdout, Verbose: *verbose})
	if err != nil {
		return 1, err
	}
	return 0, nil
}
