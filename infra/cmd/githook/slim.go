//go:build githook_prereceive

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/hubsec/trustlayer/shared/githook"
)

// This build (-tags githook_prereceive, installed as githook-pre-receive
// beside githook) is pre-receive alone: no AWS SDK, S3 client or scanner
// code, so that the process git starts at every push starts in a fraction
// of the time. The rare work that needs them (the model-signature check
// of requireSignedModels, which may copy files to the bucket) runs the
// full githook beside it.

func runOther(name string, _ []string, _ io.Reader, stderr io.Writer) int {
	fmt.Fprintf(stderr, "githook-pre-receive runs only as pre-receive (got %q); githook is the full program\n", name)
	return 2
}

// checkModelSignatures runs the full githook's check with the same
// updates and environment (the push's quarantine included).
func checkModelSignatures(ctx context.Context, _ map[string]string, _ githook.Repo, updates []githook.RefUpdate, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	var in bytes.Buffer
	for _, u := range updates {
		fmt.Fprintf(&in, "%s %s %s\n", u.Old, u.New, u.Ref)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(filepath.Dir(self), "githook"), modelSigCommand)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &in, stderr, stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); ok {
			return errRefused // it said why
		}
		return fmt.Errorf("the model signature cannot be checked: %v", err)
	}
	return nil
}

// execStager stages through the full githook beside this one (`githook
// stage`): only files between scan.PushCheckInline and
// scan.MaxRegularFile need it.
type execStager struct{ bin string }

func newStager(context.Context, map[string]string) (stager, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	return execStager{filepath.Join(filepath.Dir(self), "githook")}, nil
}

func (s execStager) put(ctx context.Context, bucket, key string, data []byte) error {
	cmd := exec.CommandContext(ctx, s.bin, "stage", "put", bucket, key)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func (s execStager) del(ctx context.Context, bucket string, keys []string) {
	exec.CommandContext(ctx, s.bin, append([]string{"stage", "delete", bucket}, keys...)...).Run()
}
