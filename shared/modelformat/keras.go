package modelformat

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// openZip opens the source as a zip the way Python's zipfile finds it (the
// end record at the end). notZip is true when nothing looks like a zip; a
// file that starts like one but does not open is an error.
func openZip(s *src) (*zip.Reader, error) {
	zr, err := zip.NewReader(s, s.size)
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil
	}
	if err != nil {
		var ioErr *ioError
		if errors.As(err, &ioErr) {
			return nil, err
		}
		if s.size >= 4 {
			if head, herr := s.at(0, 4); herr == nil && string(head) == "PK\x03\x04" {
				return nil, fmt.Errorf("starts as a zip but its directory does not read: %v", err)
			}
		}
		return nil, errNotFormat
	}
	if len(zr.File) > s.opt.MaxMembers {
		return nil, fmt.Errorf("%w: %d zip members", errLimit, len(zr.File))
	}
	return zr, nil
}

// readKeras reads a Keras model's configuration: config.json of a Keras 3
// .keras zip, or the model_config attribute of an HDF5 file's root group
// (Keras 2 and the legacy .h5 format). An HDF5 file without model_config
// (weights only) is recognised and has nothing to judge.
func readKeras(s *src, c *collector) error {
	if base, ok, err := findHDF5(s); err != nil {
		return err
	} else if ok {
		cfg, found, err := hdf5RootAttribute(s, base, "model_config")
		if err != nil {
			return err
		}
		if !found {
			return nil
		}
		return judgeKerasConfig(cfg, c, s.opt.MaxDepth)
	}
	zr, err := openZip(s)
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		if f.Name != "config.json" {
			continue
		}
		if f.UncompressedSize64 > uint64(s.opt.MaxText) {
			return fmt.Errorf("%w: config.json of %d bytes", errLimit, f.UncompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("config.json does not open: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, s.opt.MaxText+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("config.json does not read: %w", err)
		}
		return judgeKerasConfig(b, c, s.opt.MaxDepth)
	}
	return errNotFormat
}

// kerasModules are the packages a Keras config may name as a module
// without importing anything outside the framework.
func kerasModule(m string) bool {
	top := m
	if i := strings.IndexByte(m, '.'); i >= 0 {
		top = m[:i]
	}
	switch top {
	case "keras", "keras_hub", "keras_cv", "keras_nlp", "tensorflow", "tf_keras":
		return true
	}
	return false
}

// codeModules are modules whose import from a config runs or reaches code
// directly (older Keras 3 imported any module a config named:
// CVE-2025-1550).
var codeModules = map[string]bool{
	"os": true, "posix": true, "nt": true, "subprocess": true, "builtins": true, "__builtin__": true, "sys": true,
	"runpy": true, "shutil": true, "socket": true, "pty": true, "pickle": true, "_pickle": true, "importlib": true,
	"ctypes": true, "code": true, "codeop": true, "webbrowser": true, "io": true, "_io": true, "pathlib": true,
	"tempfile": true, "multiprocessing": true, "asyncio": true, "operator": true, "functools": true, "marshal": true,
	"types": true, "dill": true, "cloudpickle": true, "joblib": true, "numpy": true, "requests": true, "urllib": true,
}

// tfOpLambdaCode are TFOpLambda functions (tf.keras calls the TensorFlow
// symbol the config names) that read or write files or run Python.
var tfOpLambdaCode = []string{"io.", "py_function", "numpy_function", "py_func", "gfile", "print", "debugging.", "compat.v1.io", "saved_model", "summary.", "data."}

// judgeKerasConfig walks the whole configuration (nested models and
// wrappers included, not only the top-level layers list).
func judgeKerasConfig(b []byte, c *collector, maxDepth int) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("model configuration is not JSON: %v", err)
	}
	return walkKeras(v, c, 0, maxDepth)
}

func walkKeras(v any, c *collector, depth, maxDepth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: configuration nested deeper than %d", errLimit, maxDepth)
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := walkKeras(e, c, depth+1, maxDepth); err != nil {
				return err
			}
		}
	case map[string]any:
		class, _ := x["class_name"].(string)
		cfg, _ := x["config"].(map[string]any)
		name, _ := cfg["name"].(string)
		switch class {
		case "Lambda":
			c.add(Dangerous, "Lambda layer %s carries Python code that load_model runs (without safe_mode, or in Keras 2)", quote(name, 100))
			return nil
		case "__lambda__":
			c.add(Dangerous, "a serialized Python function (__lambda__) that load_model runs without safe_mode")
			return nil
		case "TFOpLambda":
			fn, _ := cfg["function"].(string)
			for _, p := range tfOpLambdaCode {
				if strings.Contains(fn, p) {
					c.add(Dangerous, "TFOpLambda layer %s calls tf.%s, which reads or writes files or runs Python", quote(name, 100), fn)
					break
				}
			}
		}
		if mod, ok := x["module"].(string); ok && mod != "" && !kerasModule(mod) && class != "" {
			top := mod
			if i := strings.IndexByte(mod, '.'); i >= 0 {
				top = mod[:i]
			}
			if codeModules[top] {
				c.add(Dangerous, "the configuration imports %s.%s (Keras 3 before 3.9 imports any module a config names: CVE-2025-1550)", mod, class)
			} else {
				c.add(Caution, "needs the custom object %s.%s from a package outside Keras", mod, class)
			}
		}
		for _, e := range x {
			if err := walkKeras(e, c, depth+1, maxDepth); err != nil {
				return err
			}
		}
	case string:
		// Legacy HDF5 configs are sometimes double-encoded JSON strings.
		if depth == 0 && strings.HasPrefix(strings.TrimSpace(x), "{") {
			return judgeKerasConfig([]byte(x), c, maxDepth)
		}
	}
	return nil
}

// readTorchScript lists the code a TorchScript archive carries: members
// <archive>/code/... that torch.jit.load compiles (TorchScript source and
// its debug pickles).
func readTorchScript(s *src, c *collector) error {
	zr, err := openZip(s)
	if err != nil {
		return err
	}
	var code []string
	for _, f := range zr.File {
		parts := strings.SplitN(f.Name, "/", 3)
		if len(parts) == 3 && parts[1] == "code" && parts[2] != "" && !strings.HasSuffix(f.Name, "/") && strings.HasSuffix(f.Name, ".py") {
			code = append(code, f.Name)
		}
	}
	if len(code) == 0 {
		return errNotFormat
	}
	shown, more := code, ""
	if len(shown) > 10 {
		shown, more = shown[:10], fmt.Sprintf(" and %d more", len(code)-10)
	}
	c.add(Caution, "TorchScript archive carrying code that torch.jit.load compiles and runs: %s%s", strings.Join(shown, ", "), more)
	return nil
}
