package server

import (
	"context"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/inbound"
)

// inboundSettings reads, for each incoming request, the security settings
// admins keep with updateSecuritySettings, in the form package inbound
// takes: the access-token lifetime, the trusted issuers of JWT mode and the
// address allowlist.
func inboundSettings(client *ent.Client) inbound.SettingsFunc {
	return func(ctx context.Context) (inbound.Settings, error) {
		st, err := access.LoadSettings(ctx, client)
		if err != nil {
			return inbound.Settings{}, err
		}
		out := inbound.Settings{
			TokenLifetime: st.AccessTokenLifetime,
			Allowlist:     st.InboundAllowlist,
		}
		for _, ti := range st.TrustedIssuers {
			out.TrustedIssuers = append(out.TrustedIssuers, inbound.TrustedIssuer{Issuer: ti.Issuer, Audience: ti.Audience})
		}
		return out, nil
	}
}
