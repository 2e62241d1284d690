package lfs

import (
	"context"
	"fmt"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// BatchRequest is the git-lfs batch request.
type BatchRequest struct {
	Operation string          `json:"operation"`
	Transfers []string        `json:"transfers,omitempty"`
	Ref       *struct{}       `json:"ref,omitempty"`
	HashAlgo  string          `json:"hash_algo,omitempty"`
	Objects   []ObjectRequest `json:"objects"`
}

// ObjectRequest is one object of a batch or verify request.
type ObjectRequest struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// BatchResponse is the git-lfs batch response.
type BatchResponse struct {
	Transfer string           `json:"transfer"`
	Objects  []ObjectResponse `json:"objects"`
	HashAlgo string           `json:"hash_algo"`
	// RetryAfter, when set, is sent as the Retry-After header: some
	// object is still being scanned.
	RetryAfter time.Duration `json:"-"`
}

// ObjectResponse is one object of a batch response: actions, or an error.
type ObjectResponse struct {
	OID           string             `json:"oid"`
	Size          int64              `json:"size"`
	Authenticated bool               `json:"authenticated,omitempty"`
	Actions       map[string]*Action `json:"actions,omitempty"`
	Error         *ObjectError       `json:"error,omitempty"`
}

// Action is an upload, download or verify action.
type Action struct {
	Href      string            `json:"href"`
	Header    map[string]string `json:"header,omitempty"`
	ExpiresIn int               `json:"expires_in,omitempty"`
}

// ObjectError is a per-object error (codes as in the batch API spec).
type ObjectError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// BatchInput is a batch call: the request plus what the route and headers say.
type BatchInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Request   BatchRequest
	// Authorization is the batch request's Authorization header. It is
	// echoed on each verify action: for an object the answer marks
	// authenticated (its upload URL is presigned), git-lfs 3.x sends the
	// verify request with only the action's headers and no credentials
	// of its own (tq/verify.go), so without it verify answers 401.
	Authorization string
}

// Batch answers a batch request.
func (s *Service) Batch(ctx context.Context, in BatchInput) (BatchResponse, error) {
	req := in.Request
	if req.Operation != "upload" && req.Operation != "download" {
		return BatchResponse{}, apperr.E(apperr.Invalid, "operation must be upload or download")
	}
	if len(req.Transfers) > 0 && !contains(req.Transfers, "basic") {
		return BatchResponse{}, apperr.E(apperr.Invalid, "offer the basic transfer adapter (multipart is offered beside it)")
	}
	// huggingface.js spells it sha_256.
	if req.HashAlgo != "" && req.HashAlgo != "sha256" && req.HashAlgo != "sha_256" {
		return BatchResponse{}, apperr.E(apperr.Invalid, "only the sha256 hash algorithm is supported")
	}
	if len(req.Objects) > MaxBatchObjects {
		return BatchResponse{}, apperr.E(apperr.TooLarge, "at most %d objects per batch", MaxBatchObjects)
	}
	action := access.RepoRead
	if req.Operation == "upload" {
		action = access.RepoWrite
	}
	r, err := s.authorize(ctx, in.Caller, action, in.Type, in.Namespace, in.Name)
	if err != nil {
		return BatchResponse{}, err
	}
	out := BatchResponse{Transfer: "basic", HashAlgo: "sha256", Objects: make([]ObjectResponse, 0, len(req.Objects))}
	// Downloads of pending files wait for their verdicts, all together
	// for at most the configured time.
	deadline := s.now().Add(s.Settings.DownloadWait)
	for _, o := range req.Objects {
		var resp ObjectResponse
		if err := checkObject(o.OID, o.Size); err != nil {
			resp = ObjectResponse{OID: o.OID, Size: o.Size, Error: &ObjectError{Code: 422, Message: apperr.Public(err)}}
		} else if req.Operation == "upload" {
			resp, err = s.upload(ctx, in, r, o)
		} else {
			resp, err = s.download(ctx, r, o, deadline)
			if resp.Error != nil && resp.Error.Code == 409 {
				out.RetryAfter = RetryAfter
			}
		}
		if err != nil {
			return BatchResponse{}, err
		}
		out.Objects = append(out.Objects, resp)
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Service) upload(ctx context.Context, in BatchInput, r repo.Repo, o ObjectRequest) (ObjectResponse, error) {
	resp := ObjectResponse{OID: o.OID, Size: o.Size, Authenticated: true}
	multipart := contains(in.Request.Transfers, TransferMultipart) && s.Multipart != nil
	if o.Size > MaxSinglePut && !multipart {
		resp.Error = &ObjectError{Code: 422, Message: fmt.Sprintf("objects over %d bytes need the multipart transfer; offer it in transfers", int64(MaxSinglePut))}
		return resp, nil
	}
	key := scan.ObjectKey(r.Type, r.Namespace, r.Name, o.OID)
	info, exists, err := s.Objects.Stat(ctx, key)
	if err != nil {
		return resp, err
	}
	if exists && info.Size == o.Size && info.RepoID == r.ID {
		// Already uploaded to this repository (not to an earlier holder of
		// its name): no actions; make sure the repository lists it,
		// if its bytes are the oid's. Otherwise the client uploads again.
		err := s.checkContent(ctx, key, o.OID, info)
		if err == nil {
			return resp, s.record(ctx, in.Caller, r, o, key, info)
		}
		if apperr.KindOf(err) != apperr.Invalid {
			return resp, err
		}
	}
	// A client that offers multipart gets it at any size (one part for a
	// small object): the Hugging Face clients send a basic upload's PUT
	// without the action's headers, so the signed repository-id header of
	// a presigned PUT would fail; a multipart upload binds the repository
	// when it is created, server-side.
	if multipart {
		return s.uploadMultipart(ctx, r, o, key, resp)
	}
	href, hdr, err := s.Objects.PresignPut(ctx, key, r.ID, o.Size, URLExpiry)
	if err != nil {
		return resp, err
	}
	// The verify action carries the batch call's own credentials (see
	// BatchInput.Authorization). A client that also sets the header with
	// http.extraHeader sends it twice, identical: the authorizer takes
	// identical repeats as one.
	verify := &Action{Href: s.PublicURL + gitPath(r) + "/info/lfs/verify", ExpiresIn: int(URLExpiry.Seconds())}
	if in.Authorization != "" {
		verify.Header = map[string]string{"Authorization": in.Authorization}
	}
	resp.Actions = map[string]*Action{
		"upload": {Href: href, Header: hdr, ExpiresIn: int(URLExpiry.Seconds())},
		"verify": verify,
	}
	return resp, nil
}

// gitPath is the repository's git path: /ns/name.git, /datasets/ns/name.git ...
func gitPath(r repo.Repo) string {
	prefix := ""
	switch r.Type {
	case access.RepoDataset:
		prefix = "/datasets"
	case access.RepoSpace:
		prefix = "/spaces"
	}
	return prefix + "/" + r.Namespace + "/" + r.Name + ".git"
}

func (s *Service) download(ctx context.Context, r repo.Repo, o ObjectRequest, deadline time.Time) (ObjectResponse, error) {
	resp := ObjectResponse{OID: o.OID, Size: o.Size, Authenticated: true}
	f, ok, err := s.Files.File(ctx, r.ID, o.OID)
	if err != nil {
		return resp, err
	}
	if !ok || f.RepoID != r.ID || f.Size != o.Size {
		resp.Error = &ObjectError{Code: 404, Message: "Object does not exist"}
		return resp, nil
	}
	res, err := s.verdict(ctx, f, deadline)
	if err != nil {
		return resp, err
	}
	if e := servable(res); e != nil {
		resp.Error = e
		return resp, nil
	}
	href, hdr, err := s.Objects.PresignGet(ctx, f.Key, f.VersionID, URLExpiry)
	if err != nil {
		return resp, err
	}
	resp.Actions = map[string]*Action{"download": {Href: href, Header: hdr, ExpiresIn: int(URLExpiry.Seconds())}}
	return resp, nil
}

// VerifyInput is a verify call.
type VerifyInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Object    ObjectRequest
}

// Verify checks that the object was uploaded with the announced size and
// that its bytes hash to its oid, and records it in the repository.
func (s *Service) Verify(ctx context.Context, in VerifyInput) error {
	if err := checkObject(in.Object.OID, in.Object.Size); err != nil {
		return err
	}
	r, err := s.authorize(ctx, in.Caller, access.RepoWrite, in.Type, in.Namespace, in.Name)
	if err != nil {
		return err
	}
	key := scan.ObjectKey(r.Type, r.Namespace, r.Name, in.Object.OID)
	info, ok, err := s.Objects.Stat(ctx, key)
	if err != nil {
		return err
	}
	if !ok || info.RepoID != r.ID {
		// An object under this name's key uploaded for an earlier
		// repository of the same name is not this repository's.
		return apperr.E(apperr.NotExist, "Object %s was not uploaded", in.Object.OID)
	}
	if info.Size != in.Object.Size {
		return apperr.E(apperr.Invalid, "Object %s has %d bytes, not %d", in.Object.OID, info.Size, in.Object.Size)
	}
	if err := s.checkContent(ctx, key, in.Object.OID, info); err != nil {
		return err
	}
	return s.record(ctx, in.Caller, r, in.Object, key, info)
}

func (s *Service) record(ctx context.Context, c access.Caller, r repo.Repo, o ObjectRequest, key string, info scan.ObjectInfo) error {
	return s.Files.PutFile(ctx, File{Type: r.Type, Namespace: r.Namespace, Name: r.Name, RepoID: r.ID, OID: o.OID, Size: info.Size,
		Key: key, VersionID: info.VersionID, ETag: info.ETag, UploadedAt: s.now(), UploadedBy: c.Username})
}
