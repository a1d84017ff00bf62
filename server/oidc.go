package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/profilehooks/profilehooks/access"
)

// DefaultOIDCRolesClaim is the claim that carries a user's roles unless
// --oidc-roles-claim names another one.
const DefaultOIDCRolesClaim = "roles"

// oidcRetryInterval is how long after a failed discovery the next request
// tries again; in between, OIDC tokens are refused at once.
const oidcRetryInterval = 10 * time.Second

// OIDCConfig configures sign-in through an OpenID Connect provider. The zero
// value (no Issuer) disables it.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// <Issuer>/.well-known/openid-configuration.
	Issuer string
	// ClientID is the console's client ID at the provider, and the audience
	// ID tokens must carry.
	ClientID string
	// RolesClaim names the claim with the user's roles or groups; a dotted
	// path reads nested objects (realm_access.roles). Empty means
	// DefaultOIDCRolesClaim.
	RolesClaim string
	// AdminValues and ViewerValues are the claim values that make a user
	// an admin or a viewer; admin wins when both match. A user matching
	// neither is authenticated but forbidden everything.
	AdminValues  []string
	ViewerValues []string
}

// Enabled reports whether c configures a provider.
func (c OIDCConfig) Enabled() bool { return c.Issuer != "" }

// oidcVerifier checks ID tokens of one provider: discovery (done on first
// use and retried after failures), signature against the provider's JWKS
// (fetched again when a token names an unknown key, so key rotation needs
// no restart), issuer, audience and expiry. A nil *oidcVerifier refuses
// every token.
type oidcVerifier struct {
	cfg  OIDCConfig
	now  func() time.Time
	http *http.Client

	mu          sync.Mutex
	verifier    *oidc.IDTokenVerifier
	failedAt    time.Time
	discoverErr error
}

func newOIDCVerifier(cfg OIDCConfig, now func() time.Time, client *http.Client) *oidcVerifier {
	if !cfg.Enabled() {
		return nil
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = DefaultOIDCRolesClaim
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcVerifier{cfg: cfg, now: now, http: client}
}

// idVerifier returns the verifier, discovering the provider first if that
// has not succeeded yet.
func (v *oidcVerifier) idVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	if !v.failedAt.IsZero() && time.Since(v.failedAt) < oidcRetryInterval {
		return nil, v.discoverErr
	}
	// The provider keeps the context's HTTP client for its JWKS fetches;
	// the request's cancellation must not end them.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), v.http)
	provider, err := oidc.NewProvider(pctx, v.cfg.Issuer)
	if err != nil {
		v.failedAt, v.discoverErr = time.Now(), fmt.Errorf("server: oidc discovery of %s: %w", v.cfg.Issuer, err)
		return nil, v.discoverErr
	}
	v.verifier = provider.VerifierContext(pctx, &oidc.Config{ClientID: v.cfg.ClientID, Now: v.now})
	return v.verifier, nil
}

// verify checks an ID token and returns its principal. A valid token whose
// roles claim matches no configured value yields ErrForbidden.
func (v *oidcVerifier) verify(ctx context.Context, raw string) (Principal, error) {
	if v == nil {
		return Principal{}, errors.New("oidc is not configured")
	}
	verifier, err := v.idVerifier(ctx)
	if err != nil {
		return Principal{}, err
	}
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Principal{}, err
	}
	p := Principal{
		Subject:    tok.Subject,
		Name:       firstString(claims, "name", "preferred_username", "email"),
		Credential: access.CredentialOIDC,
		ExpiresAt:  tok.Expiry,
	}
	if p.Name == "" {
		p.Name = tok.Subject
	}
	values := claimValues(claims, v.cfg.RolesClaim)
	switch {
	case intersects(values, v.cfg.AdminValues):
		p.Role = RoleAdmin
	case intersects(values, v.cfg.ViewerValues):
		p.Role = RoleViewer
	default:
		return Principal{}, fmt.Errorf("%w: no admin or viewer value in the %s claim", ErrForbidden, v.cfg.RolesClaim)
	}
	return p, nil
}

// claimValues returns the strings of the claim at a dotted path: a list of
// strings, or one string (split at spaces and commas, as some providers
// send scopes and groups).
func claimValues(claims map[string]any, path string) []string {
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	switch v := cur.(type) {
	case string:
		return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func intersects(values, wanted []string) bool {
	return slices.ContainsFunc(values, func(v string) bool { return slices.Contains(wanted, v) })
}

func firstString(claims map[string]any, names ...string) string {
	for _, n := range names {
		if s, ok := claims[n].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
