package githook

import (
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/modelcard"
)

// Paths of the commits function's internal routes.
const (
	PreReceivePath = "/_git/pre-receive"
)

// KindGitServer is the authorizer-context kind of a hook's event.
const KindGitServer = "git_server"

// ZeroID reports whether id is git's all-zero object id (a ref created or
// deleted).
func ZeroID(id string) bool { return strings.Trim(id, "0") == "" }

// RefUpdate is one line of a hook's standard input.
type RefUpdate struct {
	Old string `json:"old"`
	New string `json:"new"`
	Ref string `json:"ref"`
}

// Repo names the repository a push went to.
type Repo struct {
	Type      string `json:"type"` // model, dataset, space
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Object is one new commit or tag of a push, raw as git stores it.
type Object struct {
	Type string `json:"type"` // commit or tag
	ID   string `json:"id"`
	Raw  []byte `json:"raw"` // base64 in JSON
}

// Secret is a credential of ours found in the push (checksum-valid).
type Secret struct {
	Token  string `json:"token"`
	Path   string `json:"path,omitempty"` // "" for a commit or tag message
	Line   int    `json:"line"`
	Object string `json:"object"` // blob, commit or tag id
}

// PreReceiveRequest is the body of the push check.
type PreReceiveRequest struct {
	Pusher  string      `json:"pusher"`
	Repo    Repo        `json:"repo"`
	Refs    []RefUpdate `json:"refs"`
	Objects []Object    `json:"objects"`
	Secrets []Secret    `json:"secrets,omitempty"`
}

// SecretFinding is what became of one Secret: never the token, only its
// kind and masked hint.
type SecretFinding struct {
	Kind   string `json:"kind"` // user, org, session
	Hint   string `json:"hint"`
	Path   string `json:"path,omitempty"`
	Line   int    `json:"line"`
	Object string `json:"object"`
	Live   bool   `json:"live"` // it worked until now, and is revoked
}

// Rejected names one object the push was refused for.
type Rejected struct {
	ObjectID string `json:"objectId"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
}

// PreReceiveResponse is the decision.
type PreReceiveResponse struct {
	Allowed              bool       `json:"allowed"`
	RequireSignedCommits bool       `json:"requireSignedCommits"`
	Recorded             int        `json:"recorded"` // records created by this push
	Rejected             []Rejected `json:"rejected"`
	Message              string     `json:"message"`
	// Secrets found; SecretsBlock: a live one refuses the push.
	Secrets      []SecretFinding `json:"secrets"`
	SecretsBlock bool            `json:"secretsBlock"`
	// RequireSignedModels: the hook must have the model signature of a
	// new default-branch tip checked (ModelSigPath) before it accepts.
	RequireSignedModels bool `json:"requireSignedModels"`
}

// ModelSigPath is the uploads function's internal route that verifies and
// records the model signature of a commit the pre-receive hook is about to
// accept, and judges it (requireSignedModels).
const ModelSigPath = "/_git/model-signature"

// ModelSigRequest is a commit's tree, flat, and its root model.sig.
type ModelSigRequest struct {
	Repo   Repo   `json:"repo"`
	Ref    string `json:"ref"`
	Commit string `json:"commit"`
	// ModelSig is the bytes of a regular model.sig at the root (up to
	// MaxModelSig); nil when there is none or it is not such a file (the
	// file is then in Files and the check says why).
	ModelSig []byte          `json:"modelSig,omitempty"`
	Files    []ModelSigEntry `json:"files"`
}

// ModelSigEntry is one file of the commit: a regular file with the
// SHA-256 of its bytes, or an LFS pointer.
type ModelSigEntry struct {
	Path   string      `json:"p"`
	Mode   string      `json:"m"`
	ID     string      `json:"i"`
	Size   int64       `json:"s"`
	SHA256 string      `json:"h,omitempty"`
	LFS    *LFSPointer `json:"l,omitempty"`
}

// ModelSigResponse is the judged status of the commit's model signature.
type ModelSigResponse struct {
	Status string `json:"status"` // unsigned, invalid, mismatch, untrusted, verified
	Reason string `json:"reason"`
	Method string `json:"method,omitempty"`
	Signer string `json:"signer,omitempty"` // key fingerprint, certificate subject or identity
	// NeedBlobs: the manifest hashes regular files otherwise than the hook
	// did (blake2b, blake3, shards); copy the commit's regular blobs to the
	// bucket and ask again.
	NeedBlobs bool `json:"needBlobs,omitempty"`
}

// ModelSigRefusalLines explains a push refused under requireSignedModels:
// the status, the first problem and the command that fixes it.
func ModelSigRefusalLines(ref, commit string, r ModelSigResponse) []string {
	lines := []string{rule,
		"Your push was rejected because this repository requires signed models",
		"(requireSignedModels): " + ref + " would point at " + short(commit) + ", whose",
		"model signature is " + r.Status + ": " + r.Reason}
	switch r.Status {
	case "untrusted":
		lines = append(lines, "Trust its signer"+signerSuffix(r.Signer)+" in Settings > Model signers (or",
			"POST /api/settings/model-signers), or sign with a signer you trust:")
	case "unsigned":
		lines = append(lines, "Sign the model (pip install model-signing) and commit model.sig:")
	default:
		lines = append(lines, "Sign the files of this commit again and commit the new model.sig:")
	}
	return append(lines,
		"  model_signing sign key . --private_key key.pem --signature model.sig",
		"  git add model.sig && git commit -m 'Sign the model' && git push",
		"(or: model_signing sign sigstore . --signature model.sig). Docs: docs/model-signing.md.",
		rule)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func signerSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// reasons explains the verification reasons to a person at a terminal.
var reasons = map[string]string{
	"unsigned":               "the commit is not signed",
	"unknown_signature_type": "the signature is of an unknown type",
	"malformed_signature":    "the signature cannot be parsed",
	"weak_hash":              "the signature uses a weak hash (SHA-1 or MD5)",
	"unknown_key":            "the signing key is not uploaded to any account",
	"invalid":                "the signature does not match the commit (altered after signing?)",
	"revoked_key":            "the signing key is revoked",
	"expired_key":            "the signing key had expired when it signed",
	"not_signing_key":        "the key is not allowed to sign",
	"no_user":                "the committer email belongs to no account",
	"other_user":             "the committer email belongs to another account than the key",
	"unverified_email":       "the committer email is not verified",
	"bad_email":              "the committer email is not valid",
	"signed_by_service":      "signed by the service for a commit made through the API, not by your key; this repository does not accept service-signed commits (setting allowServiceSignedCommits)",
}

// Explain returns a short explanation of a verification reason.
func Explain(reason string) string {
	if e, ok := reasons[reason]; ok {
		return e
	}
	return reason
}

const rule = "-------------------------------------------------------------------------"

// RefusalLines renders a refused push as the lines the hook writes on
// standard error; git shows each prefixed with "remote: ".
func RefusalLines(resp PreReceiveResponse) []string {
	lines := []string{rule}
	if len(resp.Rejected) == 0 && !hasLive(resp.Secrets) {
		lines = append(lines, "Your push was rejected: "+resp.Message)
		return append(lines, rule)
	}
	if hasLive(resp.Secrets) {
		lines = append(lines, secretLines(resp.Secrets, resp.SecretsBlock)...)
		if len(resp.Rejected) == 0 {
			return append(lines, rule)
		}
		lines = append(lines, "")
	}
	if len(resp.Rejected) == 0 {
		return append(lines, rule)
	}
	lines = append(lines,
		"Your push was rejected because this repository requires verified signed",
		"commits and tags. Offending objects:")
	for _, r := range resp.Rejected {
		lines = append(lines, fmt.Sprintf("  %s %s: %s (%s): %s", r.Kind, r.ObjectID, r.Status, r.Reason, Explain(r.Reason)))
	}
	lines = append(lines,
		"Sign them (git commit -S, git tag -s) with a key uploaded to your account",
		"(Settings > GPG keys / SSH keys), for example with",
		"  git rebase --exec 'git commit --amend --no-edit -n -S' <base>",
		"then push again. Docs: docs/signed-commits.md.",
		rule)
	return lines
}

// LFSPointer is what a git-lfs pointer file says.
type LFSPointer struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// RefTip is a ref update with the commit it now peels to ("" when
// deleted, or when it points at no commit).
type RefTip struct {
	RefUpdate
	Commit string `json:"commit"`
	// Seq is the number the git server's reference-transaction hook gave
	// this update while git held the ref's lock (RefSeqFile): a later
	// update of the ref has a larger one. 0 when it has none.
	Seq int64 `json:"seq,omitempty"`
}

// ManifestPrefix is where in the uploads bucket post-receive leaves the
// manifests of pushes for the indexer; the indexer deletes each once it
// is indexed, and the sweeper redelivers any left older than a few
// minutes. They are not uploads: the scanner skips them.
const ManifestPrefix = "_index/"

// ManifestVersion is the version of the Manifest layout.
const ManifestVersion = 1

// Manifest is what post-receive hands the indexer through the bucket:
// the ref updates of one push, the commit each now peels to and its root
// tree, and every tree of those commits, each with its entries (git's
// own trees, so the indexer keeps a tree once by its id and a push that
// changes one file adds only the trees on that file's path).
type Manifest struct {
	Version  int              `json:"version"`
	Pusher   string           `json:"pusher"`
	Repo     Repo             `json:"repo"`
	PushedAt string           `json:"pushedAt"` // RFC 3339, the git server's clock
	Refs     []RefTip         `json:"refs"`
	Commits  []ManifestCommit `json:"commits"`
	Trees    []Tree           `json:"trees"`
}

// Readme is the start of a commit's README.md and who wrote its front
// matter: the model card (package modelcard).
type Readme struct {
	Head     []byte `json:"head"`     // the first bytes (base64 in JSON)
	Size     int64  `json:"size"`     // of the whole file
	Complete bool   `json:"complete"` // Head is all of it
	// Blame is the commit of each front matter line (Blame[i] for line
	// i+1), from git blame at this commit; Commits says who and when.
	Blame   []string                         `json:"blame,omitempty"`
	Commits map[string]modelcard.BlameCommit `json:"commits,omitempty"`
}

// ManifestCommit is a pushed ref tip's commit and its root tree.
type ManifestCommit struct {
	Commit string `json:"commit"`
	Tree   string `json:"tree"`
	// Readme is the commit's README.md, when it has one (a regular file).
	Readme *Readme `json:"readme,omitempty"`
	// ModelSig is the bytes of a regular model.sig at the root, up to
	// MaxModelSig (the model signature, issue 21).
	ModelSig []byte `json:"modelSig,omitempty"`
}

// MaxModelSig is the largest model.sig a manifest or a pre-receive
// request carries.
const MaxModelSig = 1 << 20

// Tree is one git tree (a folder) and its entries.
type Tree struct {
	ID      string      `json:"id"`
	Entries []TreeEntry `json:"entries"`
}

// TreeEntry is one entry of a tree: a folder (mode 040000, ID its tree)
// or a file (100644, 100755, 120000) with its size, the SHA-256 of its
// bytes (regular files) or its LFS pointer.
type TreeEntry struct {
	Name   string      `json:"n"`
	Mode   string      `json:"m"`
	ID     string      `json:"i"`
	Size   int64       `json:"s,omitempty"`
	SHA256 string      `json:"h,omitempty"`
	LFS    *LFSPointer `json:"l,omitempty"`
}

// IndexPath is the uploads function's internal route that indexes one
// manifest (asynchronous invoke by post-receive, redelivered by the
// sweeper).
const IndexPath = "/_git/index"

// IndexRequest names the manifest to index.
type IndexRequest struct {
	Key string `json:"key"`
}

// IndexResponse says what indexing a manifest did.
type IndexResponse struct {
	Commits     int  `json:"commits"`     // commits newly marked indexed
	Trees       int  `json:"trees"`       // trees newly stored
	IndexWrites int  `json:"indexWrites"` // index items written (trees' pages and commit marks)
	Refs        int  `json:"refs"`        // refs moved or deleted
	StaleRefs   int  `json:"staleRefs"`   // ref updates older than the stored one: not written
	Gone        bool `json:"gone"`        // the manifest was already indexed and deleted
}

func hasLive(fs []SecretFinding) bool {
	for _, f := range fs {
		if f.Live {
			return true
		}
	}
	return false
}

// secretLines explains live credentials found in a push.
func secretLines(fs []SecretFinding, blocked bool) []string {
	var lines []string
	if blocked {
		lines = append(lines, "Your push was rejected because it contains a valid credential of this hub.")
	} else {
		lines = append(lines, "Your push contains a valid credential of this hub.")
	}
	lines = append(lines, "It has been revoked at once, and its owner told by mail:")
	for _, f := range fs {
		if !f.Live {
			continue
		}
		where := "message of " + f.Object
		if f.Path != "" {
			where = f.Path + " (blob " + f.Object + ")"
		}
		lines = append(lines, fmt.Sprintf("  %s token %s in %s, line %d", f.Kind, f.Hint, where, f.Line))
	}
	if blocked {
		lines = append(lines,
			"Remove it from every commit of the push, not only the last one, e.g.",
			"  git rebase -i <base>   (edit the commits that add it), or",
			"  git filter-repo --replace-text <file listing the token>",
			"then push again. A revoked token stays dead: create a new one in your",
			"settings and keep it out of the repository (environment, secret store).")
	}
	return lines
}

// NoticeLines tells an accepted push about credentials that were revoked
// (when the repository lets such pushes through).
func NoticeLines(resp PreReceiveResponse) []string {
	if !hasLive(resp.Secrets) {
		return nil
	}
	return append(append([]string{rule}, secretLines(resp.Secrets, false)...), rule)
}
