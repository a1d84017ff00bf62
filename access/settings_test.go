package access

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/fault"
)

func TestSettingsApply(t *testing.T) {
	t.Parallel()
	d := func(s string) *time.Duration { v, _ := time.ParseDuration(s); return &v }
	tests := []struct {
		name      string
		patch     SettingsPatch
		wantField string
		check     func(t *testing.T, s Settings)
	}{
		{name: "nothing changes nothing", check: func(t *testing.T, s Settings) {
			require.Equal(t, DefaultSettings(), s)
		}},
		{name: "lifetime", patch: SettingsPatch{AccessTokenLifetime: d("10m")}, check: func(t *testing.T, s Settings) {
			require.Equal(t, 10*time.Minute, s.AccessTokenLifetime)
		}},
		{name: "lifetime bounds", patch: SettingsPatch{AccessTokenLifetime: d("59s")}, wantField: "accessTokenLifetime"},
		{name: "lifetime fractions", patch: SettingsPatch{AccessTokenLifetime: d("90.5s")}, wantField: "accessTokenLifetime"},
		{name: "prefixes and addresses", patch: SettingsPatch{InboundAllowlist: []string{" 10.0.0.0/8", "::ffff:192.0.2.1", "2001:db8::/48"}},
			check: func(t *testing.T, s Settings) {
				require.Equal(t, []string{"10.0.0.0/8", "192.0.2.1/32", "2001:db8::/48"}, s.InboundAllowlistCIDRs())
			}},
		{name: "zone", patch: SettingsPatch{InboundAllowlist: []string{"fe80::1%eth0"}}, wantField: "inboundAllowlist[0]"},
		{name: "mapped prefix", patch: SettingsPatch{InboundAllowlist: []string{"::ffff:10.0.0.0/104"}}, wantField: "inboundAllowlist[0]"},
		{name: "origins are canonical", patch: SettingsPatch{CORSOrigins: []string{"HTTPS://Console.Example.COM/", "http://[::1]:5173", "http://localhost:80"}},
			check: func(t *testing.T, s Settings) {
				require.Equal(t, []string{"https://console.example.com", "http://[::1]:5173", "http://localhost"}, s.CORSOrigins)
			}},
		{name: "same origin twice", patch: SettingsPatch{CORSOrigins: []string{"https://a.example.com", "https://A.example.com:443"}}, wantField: "corsOrigins[1]"},
		{name: "origin with query", patch: SettingsPatch{CORSOrigins: []string{"https://a.example.com?x=1"}}, wantField: "corsOrigins[0]"},
		{name: "origin with user", patch: SettingsPatch{CORSOrigins: []string{"https://u@a.example.com"}}, wantField: "corsOrigins[0]"},
		{name: "ftp origin", patch: SettingsPatch{CORSOrigins: []string{"ftp://a.example.com"}}, wantField: "corsOrigins[0]"},
		{name: "pattern origin", patch: SettingsPatch{CORSOrigins: []string{"https://*.example.com"}}, wantField: "corsOrigins[0]"},
		{name: "issuers", patch: SettingsPatch{TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example.com", Audience: "a"}, {Issuer: "http://127.0.0.1:9000", Audience: "b"}}},
			check: func(t *testing.T, s Settings) { require.Len(t, s.TrustedIssuers, 2) }},
		{name: "duplicate issuer", patch: SettingsPatch{TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example.com", Audience: "a"}, {Issuer: "https://idp.example.com", Audience: "a"}}},
			wantField: "trustedIssuers[1]"},
		{name: "issuer with fragment", patch: SettingsPatch{TrustedIssuers: []TrustedIssuer{{Issuer: "https://idp.example.com#x", Audience: "a"}}},
			wantField: "trustedIssuers[0].issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DefaultSettings().apply(tt.patch)
			if tt.wantField != "" {
				var inv *fault.InvalidError
				require.True(t, errors.As(err, &inv), "err %v", err)
				require.Equal(t, tt.wantField, inv.Field)
				return
			}
			require.NoError(t, err)
			tt.check(t, got)
		})
	}
}

func TestSettingsChecks(t *testing.T) {
	t.Parallel()
	s, err := DefaultSettings().apply(SettingsPatch{
		InboundAllowlist: []string{"10.0.0.0/8", "2001:db8::/32"},
		CORSOrigins:      []string{"https://console.example.com"},
		TrustedIssuers:   []TrustedIssuer{{Issuer: "https://idp.example.com", Audience: "profilehooks"}},
	})
	require.NoError(t, err)
	for addr, want := range map[string]bool{
		"10.1.2.3": true, "::ffff:10.1.2.3": true, "2001:db8::7": true, "11.0.0.1": false, "2001:db9::1": false,
	} {
		require.Equal(t, want, s.AllowsInbound(netip.MustParseAddr(addr)), addr)
	}
	for origin, want := range map[string]bool{
		"https://console.example.com": true, "https://CONSOLE.example.com:443": true,
		"http://console.example.com": false, "https://console.example.com.evil.com": false, "null": false, "": false,
	} {
		require.Equal(t, want, s.AllowsOrigin(origin), origin)
	}
	require.True(t, s.TrustsIssuer("https://idp.example.com", []string{"profilehooks"}))
	require.False(t, s.TrustsIssuer("https://idp.example.com/", []string{"profilehooks"}))
	require.False(t, s.TrustsIssuer("https://idp.example.com", nil))
}
