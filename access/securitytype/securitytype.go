// Package securitytype holds the value types of package access that ent
// stores in columns and the GraphQL schema exposes as they are: roles,
// credential kinds and trusted issuers. Like ent/schema/schematype it
// imports neither ent's generated code nor the domain packages, so both can
// use it.
package securitytype

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Role is what a caller may do.
type Role string

// The roles. Admins may do everything; viewers may run queries and
// subscriptions only.
const (
	RoleAdmin  Role = "ADMIN"
	RoleViewer Role = "VIEWER"
)

// Roles lists every Role, most powerful first.
var Roles = []Role{RoleAdmin, RoleViewer}

// Values lists the enum values; ent uses it for the column's check.
func (Role) Values() []string { return enumValues(Roles) }

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// MarshalGQL writes r as a GraphQL enum value.
func (r Role) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL reads r from a GraphQL enum value.
func (r *Role) UnmarshalGQL(v any) error { return unmarshalEnum(v, Roles, r, "Role") }

// Credential is the kind of credential a caller authenticated with.
type Credential string

// The credentials.
const (
	// CredentialDevMode is no credential at all: a loopback caller in dev
	// mode.
	CredentialDevMode Credential = "DEV_MODE"
	// CredentialAdminToken is the bootstrap --admin-token.
	CredentialAdminToken Credential = "ADMIN_TOKEN"
	// CredentialAPIToken is a phk_ API token.
	CredentialAPIToken Credential = "API_TOKEN"
	// CredentialOIDC is an ID token of the configured OpenID Connect issuer.
	CredentialOIDC Credential = "OIDC"
)

// Credentials lists every Credential.
var Credentials = []Credential{CredentialDevMode, CredentialAdminToken, CredentialAPIToken, CredentialOIDC}

// Values lists the enum values; ent uses it for the column's check.
func (Credential) Values() []string { return enumValues(Credentials) }

// MarshalGQL writes c as a GraphQL enum value.
func (c Credential) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads c from a GraphQL enum value.
func (c *Credential) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, Credentials, c, "Credential")
}

// TrustedIssuer is a token issuer whose JWTs incoming endpoints accept:
// tokens must carry iss Issuer and have Audience among their aud values.
type TrustedIssuer struct {
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
}

func enumValues[T ~string](all []T) []string {
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = string(v)
	}
	return out
}

func unmarshalEnum[T ~string](v any, all []T, dst *T, name string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("securitytype: %s must be a string, got %T", name, v)
	}
	if !slices.Contains(all, T(s)) {
		return fmt.Errorf("securitytype: %q is not a valid %s", s, name)
	}
	*dst = T(s)
	return nil
}
