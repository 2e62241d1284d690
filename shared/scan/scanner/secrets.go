package scanner

import (
	"context"
	"fmt"
	"io"

	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/token"
)

// LeakRevoker revokes a live credential found in an LFS object, audits it
// and mails its owner, as for one found in a git push (identity's
// RevokeFound for user tokens and sessions, org's RevokeFoundToken for
// organization tokens); it reports whether the credential was live.
type LeakRevoker interface {
	RevokeFound(ctx context.Context, cred, where, pusher string) (bool, error)
}

// MaxSecretBytes is how much of an LFS object is searched for
// credentials: its first 256 MiB (with the Finder's decoding layer). A
// credential further into a larger object is not found; the stated rule
// (docs/invariants.md, invariant 10).
const MaxSecretBytes = 256 << 20

// searchSecrets searches an LFS object for live credentials with the same
// Finder the git push hook uses (invariant 10) and revokes each one
// found. An error (the object unreadable, the revoker unavailable) leaves
// the scan unfinished so that it runs again.
func (s *Scanner) searchSecrets(ctx context.Context, ref scan.ObjectRef, parts scan.KeyParts) (int, error) {
	if s.Leaks == nil {
		return 0, nil
	}
	body, err := s.Objects.Range(ctx, ref.Bucket, ref.Key, ref.VersionID, 0, min(ref.Size, MaxSecretBytes))
	if err != nil {
		return 0, fmt.Errorf("read for credentials: %w", err)
	}
	f := token.NewFinder()
	_, err = io.Copy(f, io.LimitReader(body, MaxSecretBytes))
	body.Close()
	if err != nil {
		return 0, fmt.Errorf("read for credentials: %w", err)
	}
	live, done := 0, map[string]bool{}
	for _, h := range f.Close() {
		if done[h.Token] {
			continue
		}
		done[h.Token] = true
		where := fmt.Sprintf("%s %s/%s: LFS object %s, line %d", parts.Type, parts.Namespace, parts.Name, parts.OID, h.Line)
		l, err := s.Leaks.RevokeFound(ctx, h.Token, where, "")
		if err != nil {
			return live, fmt.Errorf("revoke a credential found in %s: %w", ref.String(), err)
		}
		if l {
			live++
			s.Log.WarnContext(ctx, "live credential found in an LFS object and revoked", "object", ref.String(), "credential", token.Redact(h.Token))
		}
	}
	return live, nil
}
