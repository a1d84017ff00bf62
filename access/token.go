package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/apitoken"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/store"
)

// TokenPrefix starts every API token.
const TokenPrefix = "phk_"

// tokenBytes is the number of random bytes of an API token: 256 bits.
const tokenBytes = 32

// MaxTokenNameLength is the longest API token name, in bytes.
const MaxTokenNameLength = 100

// lastUsedResolution is how stale APIToken.lastUsedAt may be: a token's use
// is written at most once per this interval.
const lastUsedResolution = time.Minute

// Service creates and revokes API tokens, checks them, and changes the
// security settings. The zero value is ready to use with time.Now as its
// clock.
type Service struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// lastUsed holds, by token ID, when lastUsedAt was last written, so a
	// busy token costs one small UPDATE per minute and not one per request.
	lastUsed sync.Map // string → time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// TokenSpec is a new API token. A nil ExpiresAt means it never expires.
type TokenSpec struct {
	Name      string
	Role      Role
	ExpiresAt *time.Time
}

// CreatedToken is a new API token with its secret value, which is shown
// this once.
type CreatedToken struct {
	APIToken *ent.APIToken
	// Token is the bearer token, phk_ followed by 256 random bits in
	// unpadded base64url.
	Token string
}

// CreateToken validates spec and stores a new API token, recording the
// caller of ctx as its creator. Only the token's hash is stored.
func (s *Service) CreateToken(ctx context.Context, spec TokenSpec) (*CreatedToken, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: create token: %w", err)
	}
	name := strings.TrimSpace(spec.Name)
	switch {
	case name == "":
		return nil, fault.Invalid("input.name", "must not be empty")
	case len(name) > MaxTokenNameLength:
		return nil, fault.Invalid("input.name", "must be at most %d bytes", MaxTokenNameLength)
	}
	if !spec.Role.Valid() {
		return nil, fault.Invalid("input.role", "must be ADMIN or VIEWER")
	}
	now := s.now()
	if spec.ExpiresAt != nil && !spec.ExpiresAt.After(now) {
		return nil, fault.Invalid("input.expiresAt", "must be in the future")
	}
	taken, err := client.APIToken.Query().
		Where(apitoken.Name(name), apitoken.RevokedAtIsNil()).
		Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: create token: %w", err)
	}
	if taken {
		return nil, fault.Conflict("input.name", "an active API token is named %q already", name)
	}
	token := newToken()
	creator := ""
	if p, ok := PrincipalFrom(ctx); ok {
		creator = p.Subject
	}
	row, err := client.APIToken.Create().
		SetName(name).
		SetRole(spec.Role).
		SetTokenHash(HashToken(token)).
		SetHint(token[len(token)-4:]).
		SetCreatedBy(creator).
		SetCreatedAt(now).
		SetNillableExpiresAt(spec.ExpiresAt).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: create token: %w", err)
	}
	return &CreatedToken{APIToken: row, Token: token}, nil
}

// RevokeToken revokes the API token with the given ID at once: requests
// carrying it are refused from now on. Revoking a revoked token changes
// nothing.
func (s *Service) RevokeToken(ctx context.Context, id string) (*ent.APIToken, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: revoke token: %w", err)
	}
	tok, err := client.APIToken.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("API token", id)
	}
	if err != nil {
		return nil, fmt.Errorf("access: revoke token: %w", err)
	}
	if tok.RevokedAt != nil {
		return tok, nil
	}
	tok, err = tok.Update().SetRevokedAt(s.now()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: revoke token: %w", err)
	}
	return tok, nil
}

// AuthenticateToken returns the principal of an API token (phk_…), read
// through client, or ErrUnauthenticated when the token is unknown, revoked
// or expired. At most once a minute per token it also writes the token's
// lastUsedAt, in one small UPDATE.
func (s *Service) AuthenticateToken(ctx context.Context, client *ent.Client, token string) (Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	tok, err := client.APIToken.Query().Where(apitoken.TokenHash(HashToken(token))).Only(ctx)
	if ent.IsNotFound(err) {
		return Principal{}, fmt.Errorf("%w: unknown API token", ErrUnauthenticated)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("access: look up API token: %w", err)
	}
	now := s.now()
	switch {
	case tok.RevokedAt != nil:
		return Principal{}, fmt.Errorf("%w: API token %s is revoked", ErrUnauthenticated, tok.ID)
	case tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt):
		return Principal{}, fmt.Errorf("%w: API token %s expired", ErrUnauthenticated, tok.ID)
	}
	s.touch(ctx, client, tok, now)
	p := Principal{Subject: tok.ID, Name: tok.Name, Role: tok.Role, Credential: CredentialAPIToken}
	if tok.ExpiresAt != nil {
		p.ExpiresAt = *tok.ExpiresAt
	}
	return p, nil
}

// touch writes tok's lastUsedAt when it is more than a minute old. The
// in-memory note keeps a busy token from writing on every request; the
// condition in the statement keeps several replicas from writing more than
// needed. A failure is not the caller's problem and is ignored: the next
// use tries again.
func (s *Service) touch(ctx context.Context, client *ent.Client, tok *ent.APIToken, now time.Time) {
	if tok.LastUsedAt != nil && now.Sub(*tok.LastUsedAt) < lastUsedResolution {
		return
	}
	if last, ok := s.lastUsed.Load(tok.ID); ok && now.Sub(last.(time.Time)) < lastUsedResolution {
		return
	}
	s.lastUsed.Store(tok.ID, now)
	_ = client.APIToken.Update().
		Where(apitoken.ID(tok.ID), apitoken.Or(apitoken.LastUsedAtIsNil(), apitoken.LastUsedAtLT(now.Add(-lastUsedResolution)))).
		SetLastUsedAt(now).
		Exec(context.WithoutCancel(ctx))
}

// HashToken returns the hex SHA-256 of token, the form in which API tokens
// are stored. A token has 256 random bits, so a fast hash is enough: there
// is nothing to guess.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}
