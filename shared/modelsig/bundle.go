package modelsig

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// BundlePath is where a repository keeps its model signature.
const BundlePath = "model.sig"

// MaxBundleSize bounds the model.sig read (a statement lists every file).
const MaxBundleSize = 8 << 20

// Signing methods (spec §4.1).
const (
	MethodKey         = "key"
	MethodCertificate = "certificate"
	MethodSigstore    = "sigstore"
)

// InTotoPayloadType is the only DSSE payload type a model signature has.
const InTotoPayloadType = "application/vnd.in-toto+json"

// The media types of a Sigstore bundle. The reference tool's key and
// certificate verifiers accept only v0.3; Sigstore verification accepts
// what sigstore-go does.
var (
	mediaV03      = "application/vnd.dev.sigstore.bundle.v0.3+json"
	sigstoreMedia = map[string]bool{
		"application/vnd.dev.sigstore.bundle+json;version=0.1": true,
		"application/vnd.dev.sigstore.bundle+json;version=0.2": true,
		"application/vnd.dev.sigstore.bundle+json;version=0.3": true,
		mediaV03: true,
	}
)

// Bundle is a parsed model.sig: the verification material that decides
// the method and the DSSE envelope.
type Bundle struct {
	Raw       []byte
	MediaType string
	Method    string
	// key: the hint (hex SHA-256 of the key's PEM) or, in bundles of the
	// reference tool before v1.1, the key's DER (rawBytes).
	KeyHint string
	KeyDER  []byte
	// certificate: the leaf then the chain; sigstore: the leaf alone.
	Chain [][]byte
	// TlogEntries counts the transparency log entries.
	TlogEntries int
	Payload     []byte
	PayloadType string
	Sig         []byte
}

type rawBytesJSON struct {
	RawBytes *string `json:"rawBytes"`
}

type bundleJSON struct {
	MediaType            *string `json:"mediaType"`
	VerificationMaterial *struct {
		PublicKey *struct {
			Hint       *string `json:"hint"`
			RawBytes   *string `json:"rawBytes"`
			KeyDetails *string `json:"keyDetails"`
		} `json:"publicKey"`
		X509CertificateChain *struct {
			Certificates []rawBytesJSON `json:"certificates"`
		} `json:"x509CertificateChain"`
		Certificate *rawBytesJSON     `json:"certificate"`
		TlogEntries []json.RawMessage `json:"tlogEntries"`
	} `json:"verificationMaterial"`
	DsseEnvelope *struct {
		Payload     *string `json:"payload"`
		PayloadType *string `json:"payloadType"`
		Signatures  []struct {
			Sig *string `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
	MessageSignature json.RawMessage `json:"messageSignature"`
}

// b64 decodes base64 the way protobuf JSON does: standard or URL
// alphabet, padded or not.
func b64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// ParseBundle reads a model.sig. Its errors are the reasons of an
// invalid status.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("bundle is %d bytes, over the %d limit", len(data), MaxBundleSize)
	}
	var j bundleJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("bundle is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, errors.New("bundle has data after its JSON object")
	}
	if j.MediaType == nil {
		return nil, errors.New("bundle has no mediaType")
	}
	b := &Bundle{Raw: data, MediaType: *j.MediaType}
	if !sigstoreMedia[b.MediaType] {
		return nil, fmt.Errorf("bundle mediaType %q is not a Sigstore bundle", b.MediaType)
	}
	if j.MessageSignature != nil {
		return nil, errors.New("bundle holds a message signature, not a DSSE envelope")
	}
	if j.DsseEnvelope == nil {
		return nil, errors.New("bundle has no dsseEnvelope")
	}
	vm := j.VerificationMaterial
	if vm == nil {
		return nil, errors.New("bundle has no verificationMaterial")
	}
	b.TlogEntries = len(vm.TlogEntries)
	n := 0
	if vm.PublicKey != nil {
		n++
		b.Method = MethodKey
		if vm.PublicKey.Hint != nil && *vm.PublicKey.Hint != "" {
			b.KeyHint = strings.ToLower(*vm.PublicKey.Hint)
		}
		if vm.PublicKey.RawBytes != nil {
			der, err := b64(*vm.PublicKey.RawBytes)
			if err != nil {
				return nil, errors.New("publicKey.rawBytes is not base64")
			}
			b.KeyDER = der
		}
		if b.KeyHint == "" && len(b.KeyDER) == 0 {
			return nil, errors.New("publicKey has neither hint nor rawBytes")
		}
	}
	if vm.X509CertificateChain != nil {
		n++
		b.Method = MethodCertificate
		for i, c := range vm.X509CertificateChain.Certificates {
			if c.RawBytes == nil {
				return nil, fmt.Errorf("x509CertificateChain.certificates[%d] has no rawBytes", i)
			}
			der, err := b64(*c.RawBytes)
			if err != nil {
				return nil, fmt.Errorf("x509CertificateChain.certificates[%d] is not base64", i)
			}
			b.Chain = append(b.Chain, der)
		}
		if len(b.Chain) == 0 {
			return nil, errors.New("x509CertificateChain has no certificate")
		}
	}
	if vm.Certificate != nil {
		n++
		b.Method = MethodSigstore
		if vm.Certificate.RawBytes == nil {
			return nil, errors.New("certificate has no rawBytes")
		}
		der, err := b64(*vm.Certificate.RawBytes)
		if err != nil {
			return nil, errors.New("certificate is not base64")
		}
		b.Chain = [][]byte{der}
		if b.TlogEntries == 0 {
			return nil, errors.New("a Sigstore bundle needs a transparency log entry (tlogEntries is empty)")
		}
	}
	if n != 1 {
		return nil, errors.New("verificationMaterial needs exactly one of publicKey, x509CertificateChain, certificate")
	}
	if b.Method != MethodSigstore && b.MediaType != mediaV03 {
		return nil, fmt.Errorf("a %s bundle must have mediaType %s", b.Method, mediaV03)
	}
	env := j.DsseEnvelope
	if env.Payload == nil || env.PayloadType == nil {
		return nil, errors.New("dsseEnvelope needs payload and payloadType")
	}
	if *env.PayloadType != InTotoPayloadType {
		return nil, fmt.Errorf("dsseEnvelope payloadType %q is not %s", *env.PayloadType, InTotoPayloadType)
	}
	b.PayloadType = *env.PayloadType
	p, err := b64(*env.Payload)
	if err != nil {
		return nil, errors.New("dsseEnvelope payload is not base64")
	}
	b.Payload = p
	if len(env.Signatures) == 0 || env.Signatures[0].Sig == nil {
		return nil, errors.New("dsseEnvelope has no signature")
	}
	sig, err := b64(*env.Signatures[0].Sig)
	if err != nil || len(sig) == 0 {
		return nil, errors.New("dsseEnvelope signature is not base64")
	}
	b.Sig = sig
	return b, nil
}

// PAE is the DSSE pre-authentication encoding of an in-toto payload.
func PAE(payload []byte) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "DSSEv1 %d %s %d ", len(InTotoPayloadType), InTotoPayloadType, len(payload))
	buf.Write(payload)
	return buf.Bytes()
}

// PAECompat is what the reference tool v0.2.0 signed: the UTF-8 of
// "DSSEV1 <len> <type> <len> <Python repr of the payload bytes>" (its
// f-string put the bytes' repr in the text). The reference verifier still
// accepts it, so this one does.
func PAECompat(payload []byte) []byte {
	return []byte(fmt.Sprintf("DSSEV1 %d %s %d %s", len(InTotoPayloadType), InTotoPayloadType, len(payload), pyBytesRepr(payload)))
}

// pyBytesRepr is CPython's repr() of a bytes object.
func pyBytesRepr(b []byte) string {
	quote := byte('\'')
	if bytes.IndexByte(b, '\'') >= 0 && bytes.IndexByte(b, '"') < 0 {
		quote = '"'
	}
	var sb strings.Builder
	sb.WriteByte('b')
	sb.WriteByte(quote)
	for _, c := range b {
		switch {
		case c == quote || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c < ' ' || c >= 0x7f:
			sb.WriteString(`\x`)
			sb.WriteString(hex.EncodeToString([]byte{c}))
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte(quote)
	return sb.String()
}

// SignedDigests are the digests an ECDSA key may have signed: of PAE and
// of PAECompat, under SHA-256, -384 and -512 (the hash follows the
// curve). Kept in a Record so a key named only by its hint can be checked
// when read, against the keys trusted then, without the payload.
func SignedDigests(payload []byte) map[string]string {
	out := map[string]string{}
	for name, msg := range map[string][]byte{"pae": PAE(payload), "compat": PAECompat(payload)} {
		s256 := sha256.Sum256(msg)
		s384 := sha512.Sum384(msg)
		s512 := sha512.Sum512(msg)
		out[name+"/sha256"] = hex.EncodeToString(s256[:])
		out[name+"/sha384"] = hex.EncodeToString(s384[:])
		out[name+"/sha512"] = hex.EncodeToString(s512[:])
	}
	return out
}

// itoa is strconv.Itoa for int64, for messages.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
