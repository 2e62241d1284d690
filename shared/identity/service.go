package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/token"
)

// Limits of the service; see README "Accounts and tokens".
const (
	SessionLifetime      = 30 * 24 * time.Hour
	EmailCodeLifetime    = 30 * time.Minute
	EmailCodeAttempts    = 5                  // tries at one code, right or wrong
	UnverifiedEmailLife  = 7 * 24 * time.Hour // an unverified claim lapses after this
	ResendWindow         = time.Hour
	ResendPerAddress     = 5  // codes mailed to one address per window
	ResendPerSource      = 20 // resend requests from one source address per window
	LoginFailWindow      = 15 * time.Minute
	LoginFailPerAddress  = 10          // attempts per window on one account from one source address
	LoginFailPerSource   = 30          // attempts per window from one source address, all accounts
	LoginFailPerAccount  = 100         // attempts per window on one account before it is slowed
	LoginSlowInterval    = time.Minute // past LoginFailPerAccount: one attempt per interval
	RevokePerSource      = 20          // revoke calls per minute per source address
	RevokeMaxCredentials = 100
	TouchInterval        = time.Minute
)

// Service applies the identity rules over a Store and a Mailer.
type Service struct {
	Store      Store
	Mailer     Mailer
	Log        *slog.Logger
	CodePepper []byte           // HMAC key for email-code hashes
	Now        func() time.Time // time.Now when nil

	// Entities resolves the entities of fine-grained grants; without it
	// fine-grained tokens cannot be created.
	Entities Entities
	// Approvals and OrgRoles serve organizations' token policies
	// (approval requests, admin revocation).
	Approvals ApprovalStore
	OrgRoles  OrgRoles
	// Expiry serves SweepTokens (expiry notices and removal).
	Expiry ExpiryStore

	tokens tokenCache
	// OrgTokens revokes organization API tokens reported as leaked
	// (org.Service); without it RevokeLeaked skips api_org_ credentials.
	OrgTokens LeakedOrgTokens
}

// LeakedOrgTokens revokes the organization API token whose hash is given,
// if one has it (org.Service satisfies it; identity cannot import org).
type LeakedOrgTokens interface {
	RevokeLeakedToken(ctx context.Context, hash, sourceIP string) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// SignupInput is a sign-up request.
type SignupInput struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Fullname string `json:"fullname,omitempty"`
}

// Signup creates an account and mails a verification code to its email.
func (s *Service) Signup(ctx context.Context, in SignupInput, sourceIP string) (User, Email, error) {
	if err := CheckName("username", in.Username); err != nil {
		return User{}, Email{}, err
	}
	addr, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, Email{}, err
	}
	if err := checkPassword(in.Password); err != nil {
		return User{}, Email{}, err
	}
	if len(in.Fullname) > 100 {
		return User{}, Email{}, apperr.E(apperr.Invalid, "fullname must be at most 100 characters")
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, Email{}, err
	}
	now := s.now()
	u := User{ID: randid.New(), Name: in.Username, Fullname: in.Fullname, PasswordHash: hash, CreatedAt: now}
	e := Email{Address: addr, UserID: u.ID, Primary: true, AddedAt: now, ExpiresAt: now.Add(UnverifiedEmailLife)}
	if err := s.Store.CreateUser(ctx, u, e); err != nil {
		var ex *store.ExistsError
		if errors.As(err, &ex) {
			return User{}, Email{}, apperr.E(apperr.Exist, "%s is already taken", ex.Field)
		}
		return User{}, Email{}, fmt.Errorf("create user: %w", err)
	}
	s.audit(ctx, "user:"+u.ID, EventSignup, u.Name, sourceIP, map[string]string{"email": addr})
	if err := s.sendCode(ctx, u, addr); err != nil {
		return u, e, err
	}
	return u, e, nil
}

func (s *Service) sendCode(ctx context.Context, u User, addr string) error {
	code, err := token.Generate(token.KindEmailCode)
	if err != nil {
		return err
	}
	c := EmailCode{Address: addr, UserID: u.ID, CodeHash: token.CodeHash(s.CodePepper, addr, code.Reveal()),
		ExpiresAt: s.now().Add(EmailCodeLifetime)}
	if err := s.Store.PutEmailCode(ctx, c); err != nil {
		return fmt.Errorf("store email code: %w", err)
	}
	body := fmt.Sprintf("Hello %s,\n\nYour verification code is %s\n\nIt expires in %d minutes. If you did not ask for it, ignore this email.\n",
		u.Name, code.Reveal(), int(EmailCodeLifetime.Minutes()))
	if err := s.Mailer.Send(ctx, addr, "Verify your email address", body); err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "Could not send the verification email; try again later")
	}
	return nil
}

// VerifyEmail checks a code sent to addr. Codes are single use, expire, and
// allow EmailCodeAttempts tries, each counted before the code is compared
// (ResendCode mails a new one).
func (s *Service) VerifyEmail(ctx context.Context, addr, code, sourceIP string) error {
	addr, err := NormalizeEmail(addr)
	if err != nil {
		return err
	}
	if err := token.ParseCode(code); err != nil {
		return apperr.E(apperr.Invalid, "code must be %d digits", token.CodeLen)
	}
	bad := apperr.E(apperr.Invalid, "The code is wrong, used or expired; ask for a new one")
	c, err := s.Store.EmailCode(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return bad
	}
	if err != nil {
		return fmt.Errorf("read email code: %w", err)
	}
	if !s.now().Before(c.ExpiresAt) {
		return bad
	}
	if err := s.Store.TryEmailCode(ctx, addr, EmailCodeAttempts); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return bad
		}
		return fmt.Errorf("count code attempt: %w", err)
	}
	if !token.Equal(c.CodeHash, token.CodeHash(s.CodePepper, addr, code)) {
		return bad
	}
	if err := s.Store.ConsumeEmailCode(ctx, addr, c.CodeHash); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return bad
		}
		return fmt.Errorf("consume email code: %w", err)
	}
	s.audit(ctx, "user:"+c.UserID, EventEmailVerified, "", sourceIP, map[string]string{"email": addr})
	return nil
}

// ResendCode mails a new code to addr when an account holds an unverified,
// unlapsed claim on it, replacing the old code and its attempts. It needs
// no credential (the code only goes to the address itself) and answers the
// same whether or not anything was sent; it is throttled per address and
// per source address.
func (s *Service) ResendCode(ctx context.Context, addr, sourceIP string) error {
	addr, err := NormalizeEmail(addr)
	if err != nil {
		return err
	}
	now := s.now()
	limited := apperr.E(apperr.RateLimited, "Too many codes asked for; try again later")
	for _, l := range []struct {
		key   string
		limit int
	}{{"resend:ip:" + sourceIP, ResendPerSource}, {"resend:addr:" + strings.ToLower(addr), ResendPerAddress}} {
		_, ok, err := s.Store.Take(ctx, l.key, l.limit, ResendWindow, now)
		if err != nil {
			return fmt.Errorf("rate counter: %w", err)
		}
		if !ok {
			return limited
		}
	}
	e, err := s.Store.EmailByAddress(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read email: %w", err)
	}
	if e.Verified || e.Lapsed(now) {
		return nil
	}
	u, err := s.Store.UserByID(ctx, e.UserID)
	if err != nil {
		return fmt.Errorf("read user: %w", err)
	}
	s.audit(ctx, "user:"+u.ID, EventEmailCodeResent, "", sourceIP, map[string]string{"email": addr})
	return s.sendCode(ctx, u, addr)
}

// AddEmail adds an unverified address to the caller's account and mails a code.
func (s *Service) AddEmail(ctx context.Context, c access.Caller, addr string) (Email, error) {
	if c.Kind != access.KindSession {
		return Email{}, apperr.E(apperr.Permission, "Managing emails needs a logged-in session, not an access token")
	}
	addr, err := NormalizeEmail(addr)
	if err != nil {
		return Email{}, err
	}
	u, err := s.Store.UserByID(ctx, c.UserID)
	if err != nil {
		return Email{}, fmt.Errorf("read user: %w", err)
	}
	now := s.now()
	e := Email{Address: addr, UserID: c.UserID, AddedAt: now, ExpiresAt: now.Add(UnverifiedEmailLife)}
	if err := s.Store.AddEmail(ctx, e); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Email{}, apperr.E(apperr.Exist, "email is already taken")
		}
		return Email{}, fmt.Errorf("add email: %w", err)
	}
	s.audit(ctx, "user:"+c.UserID, EventEmailAdded, c.Username, c.SourceIP, map[string]string{"email": addr})
	return e, s.sendCode(ctx, u, addr)
}

// Login checks a username (or email) and password and opens a session.
// Attempts are counted before the password is checked (see throttleLogin);
// the answer never reveals whether the account exists.
func (s *Service) Login(ctx context.Context, login, password, sourceIP string) (token.Secret, Session, User, error) {
	fail := apperr.E(apperr.Unauthenticated, "Invalid username or password")
	if login == "" || password == "" || len(login) > 254 || len(password) > MaxPasswordLen {
		return token.Secret{}, Session{}, User{}, fail
	}
	now := s.now()
	u, lookupErr := s.lookupLogin(ctx, login)
	if lookupErr != nil && !errors.Is(lookupErr, store.ErrNotFound) {
		return token.Secret{}, Session{}, User{}, lookupErr
	}
	// One account, however it is named (username or any email); an
	// unknown name is throttled the same way.
	acct := "name:" + strings.ToLower(login)
	if lookupErr == nil {
		acct = "user:" + u.ID
	}
	t, err := s.throttleLogin(ctx, acct, sourceIP, now)
	if err != nil {
		return token.Secret{}, Session{}, User{}, err
	}
	hash := dummyHash()
	if lookupErr == nil {
		hash = u.PasswordHash
	}
	if !CheckPassword(hash, password) || lookupErr != nil {
		if t.burst && u.ID != "" {
			s.audit(ctx, "user:"+u.ID, EventLoginFailureBurst, "", sourceIP, map[string]string{"failures": fmt.Sprint(t.accountCount)})
		}
		return token.Secret{}, Session{}, User{}, fail
	}
	s.releaseLogin(ctx, t, now)
	secret, err := token.Generate(token.KindSession)
	if err != nil {
		return token.Secret{}, Session{}, User{}, err
	}
	sess := Session{Hash: secret.Hash(), UserID: u.ID, Username: u.Name, CreatedAt: now, ExpiresAt: now.Add(SessionLifetime)}
	if err := s.Store.PutSession(ctx, sess); err != nil {
		return token.Secret{}, Session{}, User{}, fmt.Errorf("store session: %w", err)
	}
	s.audit(ctx, "user:"+u.ID, EventLogin, u.Name, sourceIP, nil)
	return secret, sess, u, nil
}

func (s *Service) lookupLogin(ctx context.Context, login string) (User, error) {
	if strings.Contains(login, "@") {
		addr, err := NormalizeEmail(login)
		if err != nil {
			return User{}, store.ErrNotFound
		}
		e, err := s.Store.EmailByAddress(ctx, addr)
		if err != nil {
			return User{}, err
		}
		if !e.Verified {
			return User{}, store.ErrNotFound
		}
		return s.Store.UserByID(ctx, e.UserID)
	}
	if CheckName("username", login) != nil {
		return User{}, store.ErrNotFound
	}
	return s.Store.UserByName(ctx, login)
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, sessionSecret string) error {
	if k, err := token.Parse(sessionSecret); err != nil || k != token.KindSession {
		return apperr.E(apperr.Unauthenticated, "Logout needs the session credential")
	}
	return s.Store.DeleteSession(ctx, token.Hash(sessionSecret))
}

func (s *Service) event(subject, typ, actor, ip string, details map[string]string) audit.Event {
	return audit.Event{Subject: subject, At: s.now(), Type: typ, Actor: actor, SourceIP: ip, Details: details}
}

func (s *Service) audit(ctx context.Context, subject, typ, actor, ip string, details map[string]string) {
	ev := s.event(subject, typ, actor, ip, details)
	if err := s.Store.AppendAudit(ctx, ev); err != nil && s.Log != nil {
		s.Log.ErrorContext(ctx, "audit write failed", "type", typ, "err", err)
	}
}

// Audit returns the caller's own security events, newest first.
func (s *Service) Audit(ctx context.Context, c access.Caller, limit int, cursor string) ([]audit.Event, string, error) {
	// The log holds login addresses and token events: settings, which
	// need a session, like the tokens they describe.
	switch {
	case c.UserID == "" || c.Kind == access.KindAnonymous:
		return nil, "", apperr.E(apperr.Unauthenticated, "Log in to read your audit log")
	case c.Kind != access.KindSession:
		return nil, "", apperr.E(apperr.Permission, "Your audit log can only be read from a logged-in session, not with an access token")
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	return s.Store.Audit(ctx, "user:"+c.UserID, limit, cursor)
}
