package server

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/ent"
)

// securityFlags registers the flags of sign-in and GraphQL hardening on fs,
// writing into c. Call the returned function after fs.Parse.
func securityFlags(fs *flag.FlagSet, c *Config) (finish func()) {
	fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", "", "OpenID Connect issuer URL for console sign-in (empty: no OIDC)")
	fs.StringVar(&c.OIDC.ClientID, "oidc-client-id", "", "the console's OIDC client ID, also the audience ID tokens must carry")
	fs.StringVar(&c.OIDC.RolesClaim, "oidc-roles-claim", DefaultOIDCRolesClaim, "ID-token claim with the user's roles or groups (dotted path for nested claims)")
	fs.Var((*listFlag)(&c.OIDC.AdminValues), "oidc-admin-values", "comma-separated roles-claim values that make a user ADMIN")
	fs.Var((*listFlag)(&c.OIDC.ViewerValues), "oidc-viewer-values", "comma-separated roles-claim values that make a user VIEWER")
	introspection := fs.Bool("introspection", true, "answer GraphQL introspection queries")
	fs.IntVar(&c.DepthLimit, "depth-limit", DefaultDepthLimit, "deepest field nesting of one GraphQL operation")
	fs.IntVar(&c.QuerySizeLimit, "query-size-limit", DefaultQuerySizeLimit, "largest GraphQL document, in bytes")
	fs.IntVar(&c.AuthFailureLimit, "auth-failure-limit", DefaultAuthFailureLimit, "failed authentications a client address may make per --auth-failure-period before it gets 429 (0: no limit)")
	fs.DurationVar(&c.AuthFailurePeriod, "auth-failure-period", DefaultAuthFailurePeriod, "period in which --auth-failure-limit refills")
	return func() { c.NoIntrospection = !*introspection }
}

// validateSecurity checks the sign-in and hardening settings.
func (c Config) validateSecurity() error {
	o := c.OIDC
	if o.Enabled() {
		if err := access.ValidIssuerURL(o.Issuer); err != nil {
			return fmt.Errorf("server: --oidc-issuer %q: %w", o.Issuer, err)
		}
		if o.ClientID == "" {
			return errors.New("server: --oidc-issuer needs --oidc-client-id")
		}
		if len(o.AdminValues) == 0 && len(o.ViewerValues) == 0 {
			return errors.New("server: --oidc-issuer needs --oidc-admin-values or --oidc-viewer-values, or nobody could sign in")
		}
	} else if o.ClientID != "" || len(o.AdminValues) > 0 || len(o.ViewerValues) > 0 {
		return errors.New("server: the --oidc-… flags need --oidc-issuer")
	}
	switch {
	case c.DepthLimit < 0:
		return errors.New("server: --depth-limit must be positive")
	case c.QuerySizeLimit < 0:
		return errors.New("server: --query-size-limit must be positive")
	case c.AuthFailureLimit < 0:
		return errors.New("server: --auth-failure-limit must not be negative")
	case c.AuthFailurePeriod < 0:
		return errors.New("server: --auth-failure-period must not be negative")
	}
	return nil
}

// listFlag is a comma-separated flag value; empty items are dropped.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// newConfiguredAuthenticator returns the Authenticator of cfg: API tokens
// checked by tokens through client, failures logged to logger, expiry and
// the failure limit on the clock now (nil: time.Now).
func newConfiguredAuthenticator(cfg Config, client *ent.Client, tokens *access.Service, logger *slog.Logger, now func() time.Time) *Authenticator {
	return NewAuthenticatorWith(AuthOptions{
		AdminToken:    cfg.AdminToken,
		OIDC:          cfg.OIDC,
		Tokens:        tokens,
		Client:        client,
		Now:           now,
		FailureLimit:  cfg.AuthFailureLimit,
		FailurePeriod: cfg.AuthFailurePeriod,
		Logger:        logger,
	})
}
