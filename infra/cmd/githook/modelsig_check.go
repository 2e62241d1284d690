//go:build !githook_prereceive

package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/hubsec/trustlayer/shared/githook"
)

// defaultBranch is the branch requireSignedModels guards (the Hub's).
const defaultBranch = "refs/heads/main"

// checkModelSignatures applies requireSignedModels: a push that moves the
// default branch to a commit must have that commit's model signature
// verified. The uploads function verifies it against the commit's files
// as listed here (regular files by their SHA-256, LFS files by their
// pointer), records it, and judges it with the owner's trusted signers.
func checkModelSignatures(ctx context.Context, cfg map[string]string, repo githook.Repo, updates []githook.RefUpdate, stderr io.Writer) error {
	for _, u := range updates {
		if u.Ref != defaultBranch || githook.ZeroID(u.New) {
			continue
		}
		out, err := gitOut(nil, "rev-parse", "--verify", "--quiet", u.New+"^{commit}")
		if err != nil {
			return fmt.Errorf("%s is not a commit", u.New)
		}
		commit := strings.TrimSpace(string(out))
		resp, err := checkModelSignature(ctx, cfg, repo, u.Ref, commit)
		if err != nil {
			return err
		}
		if resp.Status != "verified" {
			writeLines(stderr, githook.ModelSigRefusalLines(u.Ref, commit, resp))
			return errRefused
		}
		who := ""
		if resp.Signer != "" {
			who = " by " + resp.Signer
		}
		writeLines(stderr, []string{"Model signature of " + commit[:12] + " verified (" + resp.Method + who + ")."})
	}
	return nil
}

// checkModelSignature asks the uploads function about one commit. When
// the signature hashes regular files otherwise than with SHA-256 of the
// whole file, the function needs their bytes: they are copied to the
// bucket first (as post-receive would), and it is asked again.
func checkModelSignature(ctx context.Context, cfg map[string]string, repo githook.Repo, ref, commit string) (githook.ModelSigResponse, error) {
	var resp githook.ModelSigResponse
	gitDirOut, err := gitOut(nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return resp, err
	}
	gitDir := strings.TrimSpace(string(gitDirOut))
	mc, trees, blobs, err := listTrees([]string{commit})
	if err != nil {
		return resp, err
	}
	infos, err := blobInfos(gitDir, blobs)
	if err != nil {
		return resp, err
	}
	byID := map[string]*githook.Tree{}
	for i := range trees {
		t := &trees[i]
		for j := range t.Entries {
			e := &t.Entries[j]
			if e.Mode == modeTree {
				continue
			}
			if in := infos[e.ID]; in.lfs != nil {
				e.LFS = in.lfs
			} else {
				e.SHA256 = in.sha
			}
		}
		byID[t.ID] = t
	}
	req := githook.ModelSigRequest{Repo: repo, Ref: ref, Commit: commit, Files: []githook.ModelSigEntry{}}
	var walk func(id, dir string)
	walk = func(id, dir string) {
		t := byID[id]
		if t == nil {
			return
		}
		for _, e := range t.Entries {
			if e.Mode == modeTree {
				walk(e.ID, dir+e.Name+"/")
				continue
			}
			req.Files = append(req.Files, githook.ModelSigEntry{Path: dir + e.Name, Mode: e.Mode, ID: e.ID, Size: e.Size, SHA256: e.SHA256, LFS: e.LFS})
		}
	}
	walk(mc[0].Tree, "")
	req.ModelSig = modelSig(byID[mc[0].Tree].Entries)
	c, err := newCommits(ctx, cfg, "trustlayer.filesfunction")
	if err != nil {
		return resp, err
	}
	if err := c.call(ctx, githook.ModelSigPath, req, &resp); err != nil {
		return resp, err
	}
	if !resp.NeedBlobs {
		return resp, nil
	}
	clients, err := newAWS(ctx, cfg)
	if err != nil {
		return resp, err
	}
	if err := uploadAll(ctx, clients, cfg["trustlayer.bucket"], gitDir, copyJobs(gitDir, repo, trees)); err != nil {
		return resp, err
	}
	resp = githook.ModelSigResponse{}
	if err := c.call(ctx, githook.ModelSigPath, req, &resp); err != nil {
		return resp, err
	}
	if resp.NeedBlobs {
		return resp, fmt.Errorf("the model signature of %s cannot be checked: its files did not reach the uploads bucket", commit)
	}
	return resp, nil
}
