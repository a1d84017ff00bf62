package server_test

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/server"
)

func TestSecurityFlags(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	oidc := []string{"--oidc-issuer", "https://login.example.com/tenant", "--oidc-client-id", "console"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c server.Config)
	}{
		{name: "defaults", check: func(t *testing.T, c server.Config) {
			require.False(t, c.OIDC.Enabled())
			require.Equal(t, "roles", c.OIDC.RolesClaim)
			require.False(t, c.NoIntrospection)
			require.Equal(t, server.DefaultDepthLimit, c.DepthLimit)
			require.Equal(t, server.DefaultQuerySizeLimit, c.QuerySizeLimit)
			require.Equal(t, server.DefaultAuthFailureLimit, c.AuthFailureLimit)
			require.Equal(t, time.Minute, c.AuthFailurePeriod)
			require.True(t, c.DevMode())
		}},
		{name: "OIDC without an admin token is not dev mode",
			args: append([]string{"--addr", "0.0.0.0:8080", "--oidc-admin-values", "ph-admins, ph-owners", "--oidc-roles-claim", "groups"}, oidc...),
			check: func(t *testing.T, c server.Config) {
				require.False(t, c.DevMode())
				require.Equal(t, server.OIDCConfig{Issuer: "https://login.example.com/tenant", ClientID: "console", RolesClaim: "groups",
					AdminValues: []string{"ph-admins", "ph-owners"}}, c.OIDC)
			}},
		{name: "environment", env: map[string]string{
			"PROFILEHOOKS_OIDC_ISSUER": "https://login.example.com", "PROFILEHOOKS_OIDC_CLIENT_ID": "console",
			"PROFILEHOOKS_OIDC_VIEWER_VALUES": "readers", "PROFILEHOOKS_INTROSPECTION": "false",
			"PROFILEHOOKS_DEPTH_LIMIT": "8", "PROFILEHOOKS_QUERY_SIZE_LIMIT": "4096",
			"PROFILEHOOKS_AUTH_FAILURE_LIMIT": "0", "PROFILEHOOKS_AUTH_FAILURE_PERIOD": "5m",
		}, check: func(t *testing.T, c server.Config) {
			require.Equal(t, []string{"readers"}, c.OIDC.ViewerValues)
			require.True(t, c.NoIntrospection)
			require.Equal(t, 8, c.DepthLimit)
			require.Equal(t, 4096, c.QuerySizeLimit)
			require.Zero(t, c.AuthFailureLimit)
			require.Equal(t, 5*time.Minute, c.AuthFailurePeriod)
		}},
		{name: "issuer needs a client ID", args: []string{"--oidc-issuer", "https://login.example.com", "--oidc-admin-values", "a"}, wantErr: "--oidc-client-id"},
		{name: "issuer needs role values", args: oidc, wantErr: "--oidc-admin-values"},
		{name: "issuer must be https", args: []string{"--oidc-issuer", "http://login.example.com", "--oidc-client-id", "c", "--oidc-admin-values", "a"}, wantErr: "https"},
		{name: "client ID needs an issuer", args: []string{"--oidc-client-id", "console"}, wantErr: "--oidc-issuer"},
		{name: "negative depth", args: []string{"--depth-limit", "-1"}, wantErr: "--depth-limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := server.ParseConfig(tt.args, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}
