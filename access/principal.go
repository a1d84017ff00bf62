// Package access decides who may use the admin API and records what they
// did: roles and principals (the authenticated caller in a context), API
// tokens for automation, the service-wide security settings (access-token
// lifetime, trusted issuers, inbound IP allowlist, CORS origins) and the
// audit log of mutations.
//
// Its operations run in the transaction of the ent client in their context
// (ent.FromContext), like the other domain packages; LoadSettings and the
// token check take a client explicitly because they also run outside
// GraphQL operations.
package access

import (
	"context"
	"errors"
	"time"

	"github.com/profilehooks/profilehooks/access/securitytype"
)

// Role is what a caller may do.
type Role = securitytype.Role

// The roles. Admins may do everything; viewers may run queries and
// subscriptions only.
const (
	RoleAdmin  = securitytype.RoleAdmin
	RoleViewer = securitytype.RoleViewer
)

// Credential is the kind of credential a caller authenticated with.
type Credential = securitytype.Credential

// The credential kinds.
const (
	CredentialDevMode    = securitytype.CredentialDevMode
	CredentialAdminToken = securitytype.CredentialAdminToken
	CredentialAPIToken   = securitytype.CredentialAPIToken
	CredentialOIDC       = securitytype.CredentialOIDC
)

// Errors of authentication and authorization; the GraphQL layer presents
// them as UNAUTHENTICATED and FORBIDDEN.
var (
	ErrUnauthenticated = errors.New("access: missing or invalid credentials")
	ErrForbidden       = errors.New("access: not allowed for this role")
)

// Principal is an authenticated caller.
type Principal struct {
	// Subject identifies the caller in the audit log: the OIDC subject, the
	// API token's ID, "admin-token" or "dev".
	Subject string
	// Name is the caller's display name: the OIDC name (or
	// preferred_username, or email) claim, the API token's name, or a
	// description of the admin token or dev mode.
	Name string
	// Role is what the caller may do.
	Role Role
	// Credential is the kind of credential the caller presented.
	Credential Credential
	// ExpiresAt is when the credential stops working; zero means never.
	ExpiresAt time.Time
}

// CanMutate reports whether p may run mutations.
func (p Principal) CanMutate() bool { return p.Role == RoleAdmin }

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

// Viewer returns the caller of ctx, or ErrUnauthenticated when there is
// none.
func Viewer(ctx context.Context) (*Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	return &p, nil
}
