package fileshttp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// MaxCommitBody bounds a commit body: Lambda's synchronous payload.
const MaxCommitBody = 6 << 20

// NDJSONMediaType is the commit API's body type.
const NDJSONMediaType = "application/x-ndjson"

type commitLine struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type commitHeader struct {
	Summary      string `json:"summary"`
	Description  string `json:"description"`
	ParentCommit string `json:"parentCommit"`
}

type commitFile struct {
	Path     string `json:"path"`
	Content  string `json:"content"`
	Encoding string `json:"encoding"`
}

type commitLFSFile struct {
	Path string `json:"path"`
	Algo string `json:"algo"`
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

type commitPath struct {
	Path string `json:"path"`
}

// decodeCommit reads an NDJSON commit body: one header line, then file,
// lfsFile, deletedFile and deletedFolder lines, each line through the
// strict JSON decoder (a key twice, an unknown key, a wrong type: 400).
func decodeCommit(r *http.Request, in *files.CommitInput) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != NDJSONMediaType {
		return apperr.E(apperr.MediaType, "Content-Type must be %s", NDJSONMediaType)
	}
	if r.Body == nil {
		return apperr.E(apperr.Invalid, "Request body is empty")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCommitBody+1))
	if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "Could not read the request body")
	}
	if len(body) > MaxCommitBody {
		return apperr.E(apperr.TooLarge, "Request body is larger than %d bytes: upload large files as LFS files", MaxCommitBody)
	}
	header := false
	for n, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var l commitLine
		if err := httpapi.DecodeBytes(line, &l); err != nil {
			return apperr.E(apperr.Invalid, "Line %d: %s", n+1, apperr.Public(err))
		}
		bad := func(err error) error {
			return apperr.E(apperr.Invalid, "Line %d (%s): %s", n+1, l.Key, apperr.Public(err))
		}
		switch l.Key {
		case "header":
			if header {
				return apperr.E(apperr.Invalid, "Line %d: a second header", n+1)
			}
			header = true
			var h commitHeader
			if err := httpapi.DecodeBytes(l.Value, &h); err != nil {
				return bad(err)
			}
			in.Summary, in.Description, in.ParentCommit = h.Summary, h.Description, h.ParentCommit
		case "file":
			var f commitFile
			if err := httpapi.DecodeBytes(l.Value, &f); err != nil {
				return bad(err)
			}
			var content []byte
			switch f.Encoding {
			case "base64":
				if content, err = base64.StdEncoding.DecodeString(f.Content); err != nil {
					return apperr.E(apperr.Invalid, "Line %d: content is not valid base64", n+1)
				}
			case "utf-8", "utf8", "":
				content = []byte(f.Content)
			default:
				return apperr.E(apperr.Invalid, "Line %d: encoding must be base64 or utf-8", n+1)
			}
			in.Files = append(in.Files, files.CommitFile{Path: f.Path, Content: content})
		case "lfsFile":
			var f commitLFSFile
			if err := httpapi.DecodeBytes(l.Value, &f); err != nil {
				return bad(err)
			}
			if f.Algo != "" && f.Algo != "sha256" {
				return apperr.E(apperr.Invalid, "Line %d: algo must be sha256", n+1)
			}
			in.LFSFiles = append(in.LFSFiles, files.CommitLFSFile{Path: f.Path, OID: f.OID, Size: f.Size})
		case "deletedFile", "deletedFolder":
			var p commitPath
			if err := httpapi.DecodeBytes(l.Value, &p); err != nil {
				return bad(err)
			}
			if l.Key == "deletedFile" {
				in.Deleted = append(in.Deleted, p.Path)
			} else {
				in.DeletedFolders = append(in.DeletedFolders, p.Path)
			}
		default:
			return apperr.E(apperr.Invalid, "Line %d: unknown key %q (header, file, lfsFile, deletedFile, deletedFolder)", n+1, l.Key)
		}
	}
	if !header {
		return apperr.E(apperr.Invalid, "The commit has no header line")
	}
	return nil
}

func (h *handler) commit(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	in := files.CommitInput{Caller: principal.From(r.Context()), Type: typ, Namespace: r.PathValue("namespace"),
		Name: r.PathValue("name"), Branch: r.PathValue("revision"), Authorization: r.Header.Get("Authorization")}
	if err := decodeCommit(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.s.Commit(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, out)
}
