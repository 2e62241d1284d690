package files

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/scan"
)

// MaxCompanionReads bounds the file-index reads one listing spends on
// checking companion files (ONNX external data, SavedModel variables):
// each is one GetItem or one Query of the commit's index.
const MaxCompanionReads = 64

// ModeSymlink is git's mode of a symbolic link.
const ModeSymlink = "120000"

var shardName = regexp.MustCompile(`^variables\.data-(\d{5})-of-(\d{5})$`)

// companionCheck judges the files a model's loader reads beside it
// (scan.Result.Companions, found by the format readers in the file alone)
// against the commit's tree, the one place that says which files sit
// beside it. The file's own verdict is per object (one object can sit in
// many trees), so these findings belong to the listing of this commit.
type companionCheck struct {
	s      *Service
	repoID string
	commit string
	reads  int
}

func (c *companionCheck) read() bool {
	c.reads++
	return c.reads <= MaxCompanionReads
}

// findings judges the companions of the file at filePath. A companion
// that names no file of the tree is caution (the loader fails, or reads
// whatever file of that name is on the loading machine); one that is a
// symbolic link, or passes through one, is dangerous (a checkout points it
// anywhere: the CVE-2024-27318 class); a SavedModel whose graph restores
// variables needs variables/variables.index and every data shard the
// shard names promise (variables.data-0000i-of-0000N).
func (c *companionCheck) findings(ctx context.Context, filePath string, companions []string) ([]modelformat.Finding, error) {
	dir := path.Dir(filePath)
	var out []modelformat.Finding
	add := func(engine string, sev modelformat.Severity, format string, args ...any) {
		out = append(out, modelformat.Finding{Engine: engine, Severity: sev, Reason: "repository tree: " + fmt.Sprintf(format, args...)})
	}
	for _, rel := range companions {
		if rel == modelformat.VariablesIndex {
			if err := c.savedModel(ctx, dir, add); err != nil {
				return nil, err
			}
			continue
		}
		full := path.Join(dir, rel)
		if dir != "." && !strings.HasPrefix(full, dir+"/") || full == ".." || strings.HasPrefix(full, "../") {
			add(modelformat.EngineONNX, modelformat.Dangerous, "external data %q leaves the model's folder %q", rel, dir)
			continue
		}
		// The file, then each folder on the way to it (a symbolic link
		// standing for a folder).
		found := false
		for p := full; p != dir && p != "." && p != "/"; p = path.Dir(p) {
			if !c.read() {
				add(modelformat.EngineONNX, modelformat.Caution, "external data %q not checked (over %d index reads in this listing)", rel, MaxCompanionReads)
				found = true
				break
			}
			e, ok, err := c.s.file(ctx, c.repoID, c.commit, p)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			found = true
			if e.Mode == ModeSymlink {
				add(modelformat.EngineONNX, modelformat.Dangerous, "external data %q reads through the symbolic link %q (a checkout points it anywhere)", rel, p)
			} else if p != full {
				add(modelformat.EngineONNX, modelformat.Caution, "external data %q: %q is a file, not a folder", rel, p)
			}
			break
		}
		if !found {
			add(modelformat.EngineONNX, modelformat.Caution, "external data %q is not in the repository beside the model (%s)", rel, full)
		}
	}
	return out, nil
}

// savedModel checks the variables/ folder of the SavedModel in dir.
func (c *companionCheck) savedModel(ctx context.Context, dir string, add func(string, modelformat.Severity, string, ...any)) error {
	prefix := "variables/"
	if dir != "." {
		prefix = dir + "/variables/"
	}
	if !c.read() {
		add(modelformat.EngineSavedModel, modelformat.Caution, "%s not checked (over %d index reads in this listing)", prefix, MaxCompanionReads)
		return nil
	}
	es, err := c.s.files(ctx, c.repoID, c.commit, prefix)
	if err != nil {
		return err
	}
	index := false
	total := -1
	have := map[int]bool{}
	for _, e := range es {
		name := strings.TrimPrefix(e.Path, prefix)
		if name == "variables.index" {
			index = true
		}
		if m := shardName.FindStringSubmatch(name); m != nil {
			i, _ := strconv.Atoi(m[1])
			n, _ := strconv.Atoi(m[2])
			if total >= 0 && n != total {
				add(modelformat.EngineSavedModel, modelformat.Caution, "%s holds shards of two different counts (%d and %d)", prefix, total, n)
			}
			total = n
			have[i] = true
		}
	}
	if !index {
		add(modelformat.EngineSavedModel, modelformat.Caution, "the graph restores variables but %svariables.index is not in the repository", prefix)
	}
	if total < 0 {
		if index {
			add(modelformat.EngineSavedModel, modelformat.Caution, "%s has no data shard (variables.data-*-of-*)", prefix)
		}
		return nil
	}
	var missing []string
	for i := 0; i < total && len(missing) < 5; i++ {
		if !have[i] {
			missing = append(missing, fmt.Sprintf("variables.data-%05d-of-%05d", i, total))
		}
	}
	if len(missing) > 0 {
		add(modelformat.EngineSavedModel, modelformat.Caution, "%s is missing data shards: %s", prefix, strings.Join(missing, ", "))
	}
	return nil
}

// withCompanions adds the tree's findings on res's companions to the
// result shown for the file at filePath in this listing; a dangerous one
// makes an ok file unsafe here (the object's stored verdict, shared by
// every tree holding it, is unchanged).
func (c *companionCheck) withCompanions(ctx context.Context, filePath string, res scan.Result) (scan.Result, error) {
	if len(res.Companions) == 0 || !res.Status.Final() {
		return res, nil
	}
	fs, err := c.findings(ctx, filePath, res.Companions)
	if err != nil || len(fs) == 0 {
		return res, err
	}
	res.Findings = append(append([]modelformat.Finding(nil), res.Findings...), fs...)
	for _, f := range fs {
		if f.Severity == modelformat.Dangerous && res.Status == scan.StatusOK {
			res.Status, res.Reason = scan.StatusInfected, f.Engine+": "+f.Reason
		}
	}
	return res, nil
}
