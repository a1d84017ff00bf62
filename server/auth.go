package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
)

// Role is what a caller may do.
type Role string

// The roles. Admins may do everything; viewers may only read.
const (
	RoleAdmin  Role = "ADMIN"
	RoleViewer Role = "VIEWER"
)

// Principal is an authenticated caller.
type Principal struct {
	// Subject names the caller in logs and audit records.
	Subject string
	Role    Role
}

// Errors of authentication; the GraphQL layer presents them as
// UNAUTHENTICATED and FORBIDDEN.
var (
	ErrUnauthenticated = errors.New("server: missing or invalid credentials")
	ErrForbidden       = errors.New("server: not allowed for this role")
)

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller of ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authenticator checks the credentials of a request. The zero value has no
// admin token and so runs in dev mode.
type Authenticator struct {
	// adminTokenHash is the SHA-256 of the bootstrap admin token; comparing
	// fixed-size hashes keeps the comparison constant-time whatever the
	// length of the presented token.
	adminTokenHash [sha256.Size]byte
	hasAdminToken  bool
}

// NewAuthenticator returns an Authenticator for the bootstrap admin token;
// an empty token means dev mode.
func NewAuthenticator(adminToken string) *Authenticator {
	a := &Authenticator{}
	if adminToken != "" {
		a.adminTokenHash = sha256.Sum256([]byte(adminToken))
		a.hasAdminToken = true
	}
	return a
}

// DevMode reports whether no credentials are configured.
func (a *Authenticator) DevMode() bool { return !a.hasAdminToken }

// Authenticate checks an Authorization header value ("Bearer <token>") from
// remoteAddr. In dev mode a request from a loopback address is the admin
// "dev" whatever it sends, and any other address is refused.
func (a *Authenticator) Authenticate(authorization, remoteAddr string) (Principal, error) {
	if a.DevMode() {
		if !fromLoopback(remoteAddr) {
			return Principal{}, ErrUnauthenticated
		}
		return Principal{Subject: "dev", Role: RoleAdmin}, nil
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Principal{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if subtle.ConstantTimeCompare(sum[:], a.adminTokenHash[:]) == 1 {
		return Principal{Subject: "admin-token", Role: RoleAdmin}, nil
	}
	return Principal{}, ErrUnauthenticated
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
