package devstack

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// measureInit runs bootstrap once against a minimal Lambda Runtime API
// served here, and returns the time from process start to the runtime's
// first /next call (init, what Lambda reports as Init Duration) and from
// handing it the event to its response (the first invoke). initCPU is
// the CPU time the process had used when it called /next (Linux: the sum
// of its threads' /proc schedstat run times; 0 elsewhere): unlike the
// wall-clock init, it does not grow when other work on a loaded machine
// keeps the process waiting for a core.
func measureInit(ctx context.Context, bootstrap string, env []string, event []byte) (initD, initCPU, invokeD time.Duration, err error) {
	initD, invokeD, err = measureInitCPU(ctx, bootstrap, env, event, &initCPU)
	return initD, initCPU, invokeD, err
}

// processCPU is the CPU time pid's threads have run (schedstat's first
// field, in ns), or 0 when /proc does not say.
func processCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			total += n
		}
	}
	return time.Duration(total)
}

func measureInitCPU(ctx context.Context, bootstrap string, env []string, event []byte, initCPU *time.Duration) (initD, invokeD time.Duration, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	var pid atomic.Int64
	defer ln.Close()
	type mark struct {
		at  time.Time
		err string
	}
	next, done := make(chan time.Time, 1), make(chan mark, 1)
	served := false
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		if served { // the second /next: wait until we stop the process
			<-r.Context().Done()
			return
		}
		served = true
		now := time.Now()
		*initCPU = processCPU(int(pid.Load()))
		next <- now
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", "coldstart-1")
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(now.Add(30*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:coldstart")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
		w.Write(event)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		done <- mark{at: time.Now()}
		w.WriteHeader(http.StatusAccepted)
	})
	fail := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		done <- mark{at: time.Now(), err: string(b)}
		w.WriteHeader(http.StatusAccepted)
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", fail)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", fail)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()

	cmd := exec.CommandContext(ctx, bootstrap)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), "_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	pid.Store(int64(cmd.Process.Pid))
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	exited := make(chan struct{})
	go func() { cmd.Process.Wait(); close(exited) }()
	timeout := time.After(30 * time.Second)
	var nextAt time.Time
	var early *mark
	select {
	case nextAt = <-next:
	case m := <-done:
		// The /next handler sends on next before it hands over the event,
		// so when the invoke's answer is already here (a fast invoke on a
		// loaded machine, and select chose at random between the two),
		// next is ready too; only an answer without a /next is an init
		// failure.
		select {
		case nextAt = <-next:
			early = &m
		default:
			return 0, 0, fmt.Errorf("init failed: %s", m.err)
		}
	case <-exited:
		return 0, 0, fmt.Errorf("bootstrap exited before calling /next")
	case <-timeout:
		return 0, 0, fmt.Errorf("no /next call within 30s")
	}
	var m mark
	if early != nil {
		m = *early
	} else {
		select {
		case m = <-done:
		case <-exited:
			return 0, 0, fmt.Errorf("bootstrap exited during the invoke")
		case <-timeout:
			return 0, 0, fmt.Errorf("no response within 30s")
		}
	}
	if m.err != "" {
		return nextAt.Sub(start), m.at.Sub(nextAt), fmt.Errorf("invoke failed: %s", m.err)
	}
	return nextAt.Sub(start), m.at.Sub(nextAt), nil
}
