package modelsig

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The statement and predicate types (spec §5.1).
const (
	StatementType        = "https://in-toto.io/Statement/v1"
	PredicateType        = "https://model_signing/signature/v1.0"
	PredicateTypeCompat  = "https://model_signing/Digests/v0.1" // reference tool v0.2.0
	SerializationFiles   = "files"
	SerializationShards  = "shards"
	HashSHA256           = "sha256"
	HashBLAKE2b          = "blake2b"
	HashBLAKE3           = "blake3"
	maxResources         = 1 << 20
	specVersionCurrent   = "v1.0"
	specVersionDigestsV1 = "v0.1"
)

// digestLen is each hash's digest length in bytes (algorithm registry).
var digestLen = map[string]int{HashSHA256: 32, HashBLAKE2b: 64, HashBLAKE3: 32}

// DefaultExclusions are excluded at the top level of every model (§6.2).
var DefaultExclusions = []string{".git", ".gitignore", ".gitattributes", ".github"}

// Resource is one signed file, or one byte range of a file (shards).
type Resource struct {
	Name      string
	Algorithm string
	Digest    string // lowercase hex
	// For shards: the file and its byte range [Start, End).
	File       string
	Start, End int64
}

// Manifest is a validated statement: what the signer hashed and how.
type Manifest struct {
	PredicateType string
	SpecVersion   string // "v1.0", or "v0.1" for the deprecated Digests predicate
	Method        string // files or shards
	HashType      string
	ShardSize     int64
	AllowSymlinks bool
	IgnorePaths   []string
	Resources     []Resource
}

type statementJSON struct {
	Type    *string `json:"_type"`
	Subject []struct {
		Name   *string           `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType *string         `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type predicateJSON struct {
	Resources []struct {
		Name      *string `json:"name"`
		Algorithm *string `json:"algorithm"`
		Digest    *string `json:"digest"`
	} `json:"resources"`
	Serialization *struct {
		Method        *string         `json:"method"`
		HashType      *string         `json:"hash_type"`
		ShardSize     json.RawMessage `json:"shard_size"`
		AllowSymlinks json.RawMessage `json:"allow_symlinks"`
		IgnorePaths   []string        `json:"ignore_paths"`
	} `json:"serialization"`
}

// ParseStatement validates a DSSE payload as an OMS statement (§8.3) and
// returns its manifest. Its errors are the reasons of an invalid status.
func ParseStatement(payload []byte) (*Manifest, error) {
	var st statementJSON
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("payload is not a JSON statement: %v", err)
	}
	if st.Type == nil || *st.Type != StatementType {
		return nil, fmt.Errorf("statement _type is not %s", StatementType)
	}
	if st.PredicateType == nil {
		return nil, errors.New("statement has no predicateType")
	}
	switch *st.PredicateType {
	case PredicateType:
	case PredicateTypeCompat:
		return parseCompat(st)
	default:
		return nil, fmt.Errorf("predicateType %q is not %s", *st.PredicateType, PredicateType)
	}
	if len(st.Subject) != 1 {
		return nil, fmt.Errorf("statement has %d subjects, want 1", len(st.Subject))
	}
	subj := st.Subject[0]
	if subj.Name == nil || *subj.Name == "" {
		return nil, errors.New("subject has no name")
	}
	root, ok := subj.Digest["sha256"]
	if !ok {
		return nil, errors.New("subject has no sha256 digest")
	}
	if len(st.Predicate) == 0 || bytes.Equal(st.Predicate, []byte("null")) {
		return nil, errors.New("statement has no predicate")
	}
	var p predicateJSON
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		return nil, fmt.Errorf("predicate: %v", err)
	}
	s := p.Serialization
	if s == nil || s.Method == nil || s.HashType == nil {
		return nil, errors.New("predicate.serialization needs method and hash_type")
	}
	m := &Manifest{PredicateType: PredicateType, SpecVersion: specVersionCurrent, Method: *s.Method, HashType: *s.HashType}
	if _, ok := digestLen[m.HashType]; !ok {
		return nil, fmt.Errorf("hash_type %q is not sha256, blake2b or blake3", m.HashType)
	}
	switch m.Method {
	case SerializationFiles:
		if len(s.ShardSize) > 0 && string(s.ShardSize) != "null" {
			return nil, errors.New("shard_size is set for the files method")
		}
	case SerializationShards:
		n, err := strconv.ParseInt(string(s.ShardSize), 10, 64)
		if err != nil || n <= 0 {
			return nil, errors.New("shards needs a positive integer shard_size")
		}
		m.ShardSize = n
	default:
		return nil, fmt.Errorf("serialization method %q is not files or shards", m.Method)
	}
	// allow_symlinks: a JSON boolean; the reference tool wrote the string
	// "false" in one version, which it reads as Python truthiness would not
	// matter for a git tree (symlinks are never followed here).
	switch string(s.AllowSymlinks) {
	case "true", `"true"`, `"True"`:
		m.AllowSymlinks = true
	}
	for _, ip := range s.IgnorePaths {
		// An entry that is not a plain relative path (§6.2.1) excludes
		// nothing: its files count as unsigned, which fails closed.
		if ip == "" || strings.ContainsAny(ip, "*?[") || strings.HasPrefix(ip, "/") || hasDotDot(ip) {
			continue
		}
		m.IgnorePaths = append(m.IgnorePaths, path.Clean(ip))
	}
	if len(p.Resources) == 0 {
		return nil, errors.New("predicate.resources is empty")
	}
	if len(p.Resources) > maxResources {
		return nil, fmt.Errorf("predicate.resources lists %d entries, over %d", len(p.Resources), maxResources)
	}
	h := sha256.New()
	for i, r := range p.Resources {
		if r.Name == nil || r.Algorithm == nil || r.Digest == nil {
			return nil, fmt.Errorf("resources[%d] needs name, algorithm and digest", i)
		}
		res := Resource{Name: *r.Name, Algorithm: *r.Algorithm, Digest: strings.ToLower(*r.Digest)}
		if res.Algorithm != m.HashType {
			return nil, fmt.Errorf("resources[%d] algorithm %q is not the hash_type %q", i, res.Algorithm, m.HashType)
		}
		raw, err := hex.DecodeString(res.Digest)
		if err != nil || len(raw) != digestLen[m.HashType] {
			return nil, fmt.Errorf("resources[%d] digest is not a %s hex digest", i, m.HashType)
		}
		h.Write(raw)
		res.File = res.Name
		if m.Method == SerializationShards {
			f, start, end, ok := splitShard(res.Name)
			if !ok || start < 0 || end <= start || start%m.ShardSize != 0 || end-start > m.ShardSize {
				return nil, fmt.Errorf("resources[%d] name %q is not <path>:<start>:<end> of a %d-byte shard", i, res.Name, m.ShardSize)
			}
			res.File, res.Start, res.End = f, start, end
		}
		if err := checkName(res.File); err != nil {
			return nil, fmt.Errorf("resources[%d] name %q: %v", i, res.Name, err)
		}
		if i > 0 && !(m.Resources[i-1].Name < res.Name) {
			return nil, fmt.Errorf("resources are not sorted by name (or repeat one) at %q", res.Name)
		}
		m.Resources = append(m.Resources, res)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, root) {
		return nil, fmt.Errorf("subject digest %s is not the root digest of the resources (%s)", root, got)
	}
	return m, nil
}

// parseCompat reads the reference tool v0.2.0's statement: one subject
// per file, digests in sha256, no serialization (files, sha256).
func parseCompat(st statementJSON) (*Manifest, error) {
	m := &Manifest{PredicateType: PredicateTypeCompat, SpecVersion: specVersionDigestsV1, Method: SerializationFiles, HashType: HashSHA256}
	if len(st.Subject) == 0 {
		return nil, errors.New("statement has no subject")
	}
	seen := map[string]bool{}
	for i, s := range st.Subject {
		if s.Name == nil {
			return nil, fmt.Errorf("subject[%d] has no name", i)
		}
		d, ok := s.Digest["sha256"]
		raw, err := hex.DecodeString(d)
		if !ok || err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("subject[%d] has no sha256 digest", i)
		}
		if err := checkName(*s.Name); err != nil {
			return nil, fmt.Errorf("subject[%d] name %q: %v", i, *s.Name, err)
		}
		if seen[*s.Name] {
			return nil, fmt.Errorf("subject %q repeats", *s.Name)
		}
		seen[*s.Name] = true
		m.Resources = append(m.Resources, Resource{Name: *s.Name, File: *s.Name, Algorithm: HashSHA256, Digest: strings.ToLower(d)})
	}
	return m, nil
}

// checkName refuses names that are not canonical relative paths (§6.1.2).
func checkName(n string) error {
	switch {
	case n == "":
		return errors.New("empty")
	case !utf8.ValidString(n):
		return errors.New("not UTF-8")
	case strings.HasPrefix(n, "/"):
		return errors.New("absolute")
	case hasDotDot(n):
		return errors.New("has a .. component")
	case path.Clean(n) != n:
		return errors.New("not normalized")
	}
	return nil
}

func hasDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

// splitShard splits "<path>:<start>:<end>" at its last two colons.
func splitShard(n string) (string, int64, int64, bool) {
	j := strings.LastIndexByte(n, ':')
	if j <= 0 {
		return "", 0, 0, false
	}
	i := strings.LastIndexByte(n[:j], ':')
	if i <= 0 {
		return "", 0, 0, false
	}
	start, err1 := strconv.ParseInt(n[i+1:j], 10, 64)
	end, err2 := strconv.ParseInt(n[j+1:], 10, 64)
	if err1 != nil || err2 != nil || !isDecimal(n[i+1:j]) || !isDecimal(n[j+1:]) {
		return "", 0, 0, false
	}
	return n[:i], start, end, true
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
