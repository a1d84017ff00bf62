// Package oauthserver is the OAuth2 authorization server of profilehooks for
// the client-credentials grant (RFC 6749 §4.4). Admins register clients
// (createOAuthClient) for the incoming endpoints a third party may call;
// the client trades its ID and secret at POST /oauth/token for a
// short-lived access token: a JWT signed ES256 with the service's own key,
// published at GET /oauth/jwks.json, whose endpoint_ids claim lists the
// endpoints it may call. Incoming endpoints in OAUTH2 mode check the token
// with Verify.
//
// Client secrets are stored only as SHA-256 hashes (they carry 256 random
// bits, so a slow hash adds nothing); the signing key is made on first use
// and stored sealed with the service's secret key, so every replica signs
// and verifies with the same key.
package oauthserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/secret"
)

// DefaultTokenLifetime is the lifetime of an access token when the settings
// give none.
const DefaultTokenLifetime = time.Hour

// Config configures a Server. Client and Box are required; every other zero
// value takes the default its comment gives.
type Config struct {
	// Client is the service's ent client.
	Client *ent.Client
	// Box seals the signing key at rest.
	Box *secret.Box
	// Issuer is the service's public base URL, without a trailing slash: the
	// iss and aud of every access token.
	Issuer string
	// TokenLifetime returns the lifetime of new access tokens (security
	// settings); nil, or a result of zero or less, means
	// DefaultTokenLifetime. An error fails the token request with a 500.
	TokenLifetime func(ctx context.Context) (time.Duration, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the server's logs; nil discards them. Secrets and
	// tokens are never logged.
	Logger *slog.Logger
}

// Server registers clients, issues access tokens and verifies them. Create
// it with New; it is safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	keys   *keyring
	tokens tokenCache
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.keys = &keyring{client: cfg.Client, box: cfg.Box, now: s.now}
	return s
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// lifetime returns the lifetime of a token issued now.
func (s *Server) lifetime(ctx context.Context) (time.Duration, error) {
	if s.cfg.TokenLifetime == nil {
		return DefaultTokenLifetime, nil
	}
	d, err := s.cfg.TokenLifetime(ctx)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return DefaultTokenLifetime, nil
	}
	return d, nil
}
