package oauthserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/profilehooks/profilehooks/ent/oauthclient"
)

// ClockSkew is how far the clocks of the replicas may differ: a token is
// accepted for that long after it expired.
const ClockSkew = 30 * time.Second

// tokenCacheSize bounds the verified tokens kept in memory; when it is
// reached the cache starts over.
const tokenCacheSize = 4096

// ErrInvalidToken is wrapped by every reason Verify refuses a token.
var ErrInvalidToken = errors.New("oauthserver: invalid access token")

// Token is a verified access token.
type Token struct {
	// ClientID is the object ID of the OAuth client (oac_…) the token was
	// issued to.
	ClientID string
	// EndpointIDs are the incoming endpoints the token may call.
	EndpointIDs []string
	// Expiry is when the token expires.
	Expiry time.Time
}

// Verify checks an access token: an ES256 JWT signed with one of the
// service's keys, issued by and for the service, not expired (give or take
// ClockSkew), of a client that exists and is not revoked. Errors about the
// token wrap ErrInvalidToken; other errors are faults of the service.
func (s *Server) Verify(ctx context.Context, raw string) (*Token, error) {
	tok, err := s.verifySigned(ctx, raw)
	if err != nil {
		return nil, err
	}
	if s.now().After(tok.Expiry.Add(ClockSkew)) {
		return nil, fmt.Errorf("%w: expired", ErrInvalidToken)
	}
	active, err := s.cfg.Client.OAuthClient.Query().
		Where(oauthclient.ID(tok.ClientID), oauthclient.RevokedAtIsNil()).
		Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: check client: %w", err)
	}
	if !active {
		return nil, fmt.Errorf("%w: the client is revoked or deleted", ErrInvalidToken)
	}
	return tok, nil
}

// verifySigned checks the signature and claims of raw, once per token:
// tokens that passed are kept in memory.
func (s *Server) verifySigned(ctx context.Context, raw string) (*Token, error) {
	if tok, ok := s.tokens.get(raw); ok {
		return tok, nil
	}
	parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(parsed.Headers) != 1 {
		return nil, fmt.Errorf("%w: not a signed JWT", ErrInvalidToken)
	}
	pub, err := s.keys.publicKey(ctx, parsed.Headers[0].KeyID)
	if errors.Is(err, errUnknownKey) {
		return nil, fmt.Errorf("%w: unknown signing key", ErrInvalidToken)
	}
	if err != nil {
		return nil, err
	}
	var claims accessClaims
	if err := parsed.Claims(pub, &claims); err != nil {
		return nil, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	expected := jwt.Expected{Issuer: s.cfg.Issuer, AnyAudience: jwt.Audience{s.cfg.Issuer}, Time: s.now()}
	if err := claims.ValidateWithLeeway(expected, ClockSkew); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Expiry == nil || claims.Subject == "" {
		return nil, fmt.Errorf("%w: no exp or sub", ErrInvalidToken)
	}
	tok := &Token{ClientID: claims.Subject, EndpointIDs: claims.EndpointIDs, Expiry: claims.Expiry.Time()}
	s.tokens.put(raw, tok)
	return tok, nil
}

// tokenCache keeps verified tokens by their text. The zero value is ready.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]*Token
}

func (c *tokenCache) get(raw string) (*Token, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	tok, ok := c.m[raw]
	return tok, ok
}

func (c *tokenCache) put(raw string, tok *Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= tokenCacheSize {
		c.m = make(map[string]*Token, 64)
	}
	c.m[raw] = tok
}
