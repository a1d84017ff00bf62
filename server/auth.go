package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/ent"
)

// Role is what a caller may do.
type Role = access.Role

// The roles. Admins may do everything; viewers may run queries and
// subscriptions only.
const (
	RoleAdmin  = access.RoleAdmin
	RoleViewer = access.RoleViewer
)

// Principal is an authenticated caller.
type Principal = access.Principal

// Errors of authentication; the GraphQL layer presents them as
// UNAUTHENTICATED and FORBIDDEN.
var (
	ErrUnauthenticated = access.ErrUnauthenticated
	ErrForbidden       = access.ErrForbidden
)

// CodeRateLimited is extensions.code of the answer to a client address that
// failed to authenticate too often (HTTP 429).
const CodeRateLimited = "RATE_LIMITED"

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return access.WithPrincipal(ctx, p)
}

// PrincipalFrom returns the caller of ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) { return access.PrincipalFrom(ctx) }

// AuthOptions configure an Authenticator. The zero value has no credential
// configured and so runs in dev mode.
type AuthOptions struct {
	// AdminToken is the bootstrap admin token; empty means none.
	AdminToken string
	// OIDC configures sign-in with ID tokens; the zero value disables it.
	OIDC OIDCConfig
	// Tokens checks phk_ API tokens read through Client; either nil refuses
	// them.
	Tokens *access.Service
	Client *ent.Client
	// Now is the clock of expiry checks and of the failure limit; nil means
	// time.Now.
	Now func() time.Time
	// FailureLimit is how many failed authentications one client address
	// may make per FailurePeriod (a token bucket) before it is answered
	// 429; zero or less means no limit. A zero FailurePeriod means
	// DefaultAuthFailurePeriod.
	FailureLimit  int
	FailurePeriod time.Duration
	// Logger receives a line per failed authentication (never the
	// credential); nil discards them.
	Logger *slog.Logger
	// HTTPClient fetches the OIDC discovery document and keys; nil means a
	// client with a 10 s timeout.
	HTTPClient *http.Client
}

// Authenticator checks the credentials of a request. One bearer header
// carries all three kinds: the bootstrap admin token, a phk_ API token or
// an OIDC ID token (a JWT). The zero value has no credential configured and
// so runs in dev mode.
type Authenticator struct {
	// adminTokenHash is the SHA-256 of the bootstrap admin token; comparing
	// fixed-size hashes keeps the comparison constant-time whatever the
	// length of the presented token.
	adminTokenHash [sha256.Size]byte
	hasAdminToken  bool
	oidc           *oidcVerifier
	tokens         *access.Service
	client         *ent.Client
	limiter        *failureLimiter
	log            *slog.Logger
	now            func() time.Time
}

// NewAuthenticator returns an Authenticator for the bootstrap admin token
// alone; an empty token means dev mode.
func NewAuthenticator(adminToken string) *Authenticator {
	return NewAuthenticatorWith(AuthOptions{AdminToken: adminToken})
}

// NewAuthenticatorWith returns an Authenticator configured by o.
func NewAuthenticatorWith(o AuthOptions) *Authenticator {
	a := &Authenticator{
		oidc:    newOIDCVerifier(o.OIDC, o.Now, o.HTTPClient),
		tokens:  o.Tokens,
		client:  o.Client,
		limiter: newFailureLimiter(o.FailureLimit, o.FailurePeriod, o.Now),
		log:     o.Logger,
		now:     o.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.AdminToken != "" {
		a.adminTokenHash = sha256.Sum256([]byte(o.AdminToken))
		a.hasAdminToken = true
	}
	return a
}

// DevMode reports whether no credentials are configured: neither an admin
// token nor an OIDC issuer.
func (a *Authenticator) DevMode() bool { return !a.hasAdminToken && a.oidc == nil }

// OIDC returns the OIDC configuration; its zero value means sign-in with
// OIDC is off.
func (a *Authenticator) OIDC() OIDCConfig {
	if a.oidc == nil {
		return OIDCConfig{}
	}
	return a.oidc.cfg
}

// Authenticate is AuthenticateContext with a background context.
func (a *Authenticator) Authenticate(authorization, remoteAddr string) (Principal, error) {
	return a.AuthenticateContext(context.Background(), authorization, remoteAddr)
}

// AuthenticateContext checks an Authorization header value ("Bearer
// <credential>") from remoteAddr. In dev mode a request from a loopback
// address is the admin "dev" whatever it sends, and any other address is
// refused.
//
// The error wraps ErrUnauthenticated for missing, malformed, unknown,
// expired or revoked credentials, ErrForbidden for a valid OIDC token
// without a role, and is a *RateLimitError when remoteAddr failed too
// often. Any other error is a fault of the service (the database did not
// answer). Failures are logged without the credential.
func (a *Authenticator) AuthenticateContext(ctx context.Context, authorization, remoteAddr string) (Principal, error) {
	p, kind, err := a.check(ctx, authorization, remoteAddr)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, ErrUnauthenticated) {
		if errors.Is(err, ErrForbidden) {
			a.log.InfoContext(ctx, "authentication: no role", "remote", clientHost(remoteAddr), "credential", kind, "reason", err.Error())
		} else {
			a.log.ErrorContext(ctx, "authentication: cannot check credential", "remote", clientHost(remoteAddr), "credential", kind, "err", err)
		}
		return Principal{}, err
	}
	reason := err.Error()
	if _, cred, ok := strings.Cut(strings.TrimSpace(authorization), " "); ok && strings.TrimSpace(cred) != "" {
		reason = strings.ReplaceAll(reason, strings.TrimSpace(cred), "[redacted]")
	}
	a.log.InfoContext(ctx, "authentication failed", "remote", clientHost(remoteAddr), "credential", kind, "reason", reason)
	if limited := a.limiter.fail(remoteAddr); limited != nil {
		return Principal{}, limited
	}
	return Principal{}, err
}

// check authenticates without the failure limit; kind names the shape of
// the credential for the log.
func (a *Authenticator) check(ctx context.Context, authorization, remoteAddr string) (p Principal, kind string, err error) {
	if a.DevMode() {
		if !fromLoopback(remoteAddr) {
			return Principal{}, "none", fmt.Errorf("%w: dev mode answers loopback addresses only", ErrUnauthenticated)
		}
		return Principal{Subject: "dev", Name: "dev mode", Role: RoleAdmin, Credential: access.CredentialDevMode}, "none", nil
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Principal{}, "none", fmt.Errorf("%w: no bearer credential", ErrUnauthenticated)
	}
	if a.hasAdminToken {
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], a.adminTokenHash[:]) == 1 {
			return Principal{Subject: "admin-token", Name: "bootstrap admin token", Role: RoleAdmin, Credential: access.CredentialAdminToken}, "admin_token", nil
		}
	}
	switch {
	case strings.HasPrefix(token, access.TokenPrefix):
		if a.tokens == nil || a.client == nil {
			return Principal{}, "api_token", fmt.Errorf("%w: API tokens are not enabled", ErrUnauthenticated)
		}
		p, err := a.tokens.AuthenticateToken(ctx, a.client, token)
		return p, "api_token", err
	case strings.Count(token, ".") == 2:
		if a.oidc == nil {
			return Principal{}, "jwt", fmt.Errorf("%w: OIDC sign-in is not configured", ErrUnauthenticated)
		}
		p, err := a.oidc.verify(ctx, token)
		if err != nil && !errors.Is(err, ErrForbidden) {
			err = fmt.Errorf("%w: %v", ErrUnauthenticated, err)
		}
		return p, "oidc", err
	}
	return Principal{}, "unknown", fmt.Errorf("%w: unknown credential", ErrUnauthenticated)
}

// websocketInit authenticates a websocket in its connection_init message
// ({"Authorization": "Bearer …"}). The connection ends when the credential
// expires.
func (a *Authenticator) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	remote, _ := ctx.Value(remoteAddrKey{}).(string)
	p, err := a.AuthenticateContext(ctx, payload.Authorization(), remote)
	var limited *RateLimitError
	switch {
	case err == nil:
	case errors.As(err, &limited):
		return ctx, nil, limited
	case errors.Is(err, ErrForbidden):
		return ctx, nil, ErrForbidden
	case errors.Is(err, ErrUnauthenticated):
		return ctx, nil, ErrUnauthenticated
	default:
		return ctx, nil, errors.New("internal error")
	}
	ctx = WithPrincipal(ctx, p)
	if !p.ExpiresAt.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(transport.AppendCloseReason(ctx, "credential expired"), p.ExpiresAt.Sub(a.now()))
		context.AfterFunc(ctx, cancel) // the connection's end cancels ctx; this only releases the timer
	}
	return ctx, nil, nil
}

// requireAuth answers a plain request without valid credentials with 401
// (403 for a role-less OIDC user, 429 for an address that failed too
// often) and puts the caller into the context of the others. Websocket
// upgrades pass through: they authenticate in connection_init.
func requireAuth(auth *Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocketUpgrade(r) || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		p, err := auth.AuthenticateContext(r.Context(), r.Header.Get("Authorization"), r.RemoteAddr)
		var limited *RateLimitError
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		case errors.As(err, &limited):
			w.Header().Set("Retry-After", strconv.Itoa(limited.retrySeconds()))
			writeError(w, http.StatusTooManyRequests, limited.Error(), CodeRateLimited)
		case errors.Is(err, ErrForbidden):
			writeError(w, http.StatusForbidden, ErrForbidden.Error(), CodeForbidden)
		case errors.Is(err, ErrUnauthenticated):
			w.Header().Set("WWW-Authenticate", `Bearer realm="profilehooks"`)
			writeError(w, http.StatusUnauthorized, ErrUnauthenticated.Error(), CodeUnauthenticated)
		default:
			writeError(w, http.StatusInternalServerError, "internal error", CodeInternal)
		}
	})
}

// writeError answers with a GraphQL-shaped error.
func writeError(w http.ResponseWriter, status int, message, code string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message":    message,
		"extensions": map[string]string{"code": code},
	}}})
}

// authConfig is the answer of GET /auth/config: what the console needs to
// sign in.
type authConfig struct {
	// SignInRequired is false in dev mode only.
	SignInRequired bool `json:"signInRequired"`
	// OIDC is true when sign-in with the issuer below is configured;
	// otherwise the console asks for a token.
	OIDC bool `json:"oidc"`
	// Issuer and ClientID are for an Authorization Code flow with PKCE
	// (S256); empty without OIDC.
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"clientId"`
	Scopes   []string `json:"scopes"`
	PKCE     string   `json:"pkceMethod"`
	// TokenPrefix starts API tokens.
	TokenPrefix string `json:"apiTokenPrefix"`
}

// authConfigHandler serves GET /auth/config without authentication: it
// holds nothing secret.
func authConfigHandler(auth *Authenticator) http.Handler {
	cfg := authConfig{SignInRequired: !auth.DevMode(), Scopes: []string{}, TokenPrefix: access.TokenPrefix}
	if o := auth.OIDC(); o.Enabled() {
		cfg.OIDC, cfg.Issuer, cfg.ClientID = true, o.Issuer, o.ClientID
		cfg.Scopes = []string{"openid", "profile", "email"}
		cfg.PKCE = "S256"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, cfg)
	})
}

func fromLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isWebsocketUpgrade reports whether r asks for a websocket; those requests
// authenticate in the connection_init message instead of a header.
func isWebsocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}
