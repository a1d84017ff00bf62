package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/server"
)

func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	provider := newOIDCProvider(t)
	clock := newTestClock()
	env := oidcEnv(t, provider, clock)
	now := clock.Now()
	strangerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	tests := []struct {
		name       string
		token      func() string
		wantStatus int
		wantCode   string
		wantRole   string
	}{
		{name: "admin group", token: func() string { return provider.idToken(t, now, "u-admin", []string{"staff", oidcAdminGroup}) },
			wantStatus: http.StatusOK, wantRole: "ADMIN"},
		{name: "viewer group", token: func() string { return provider.idToken(t, now, "u-viewer", []string{oidcViewerGroup}) },
			wantStatus: http.StatusOK, wantRole: "VIEWER"},
		{name: "second viewer value", token: func() string { return provider.idToken(t, now, "u-auditor", []string{"ph-auditors"}) },
			wantStatus: http.StatusOK, wantRole: "VIEWER"},
		{name: "admin wins over viewer", token: func() string {
			return provider.idToken(t, now, "u-both", []string{oidcViewerGroup, oidcAdminGroup})
		}, wantStatus: http.StatusOK, wantRole: "ADMIN"},
		{name: "group as a single string", token: func() string {
			return provider.idToken(t, now, "u-str", nil, func(c map[string]any) { c["groups"] = oidcViewerGroup })
		}, wantStatus: http.StatusOK, wantRole: "VIEWER"},
		{name: "no role", token: func() string { return provider.idToken(t, now, "u-none", []string{"staff"}) },
			wantStatus: http.StatusForbidden, wantCode: "FORBIDDEN"},
		{name: "expired", token: func() string {
			return provider.idToken(t, now, "u-admin", []string{oidcAdminGroup}, func(c map[string]any) {
				c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Minute).Unix()
			})
		}, wantStatus: http.StatusUnauthorized, wantCode: "UNAUTHENTICATED"},
		{name: "wrong audience", token: func() string {
			return provider.idToken(t, now, "u-admin", []string{oidcAdminGroup}, func(c map[string]any) { c["aud"] = "another-app" })
		}, wantStatus: http.StatusUnauthorized, wantCode: "UNAUTHENTICATED"},
		{name: "wrong issuer", token: func() string {
			return provider.idToken(t, now, "u-admin", []string{oidcAdminGroup}, func(c map[string]any) { c["iss"] = "https://evil.example.com" })
		}, wantStatus: http.StatusUnauthorized, wantCode: "UNAUTHENTICATED"},
		{name: "signed by another key", token: func() string {
			return provider.sign(t, map[string]any{"iss": provider.URL, "aud": oidcClientID, "sub": "u-admin",
				"groups": []string{oidcAdminGroup}, "exp": now.Add(time.Hour).Unix()}, strangerKey, "key-1")
		}, wantStatus: http.StatusUnauthorized, wantCode: "UNAUTHENTICATED"},
		{name: "malformed", token: func() string { return "eyJhbGciOi.not-a.jwt" },
			wantStatus: http.StatusUnauthorized, wantCode: "UNAUTHENTICATED"},
		{name: "unsigned", token: func() string {
			return "eyJhbGciOiJub25lIn0." + "eyJzdWIiOiJ1LWFkbWluIn0."
		}, wantStatus: http.StatusUnauthorized, wantCode: "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, r := post(t, env, "Bearer "+tt.token(), `{ viewer { subject name role credential } }`, nil)
			require.Equal(t, tt.wantStatus, resp.StatusCode, "errors: %+v", r.Errors)
			require.Equal(t, tt.wantCode, errorCode(t, r))
			if tt.wantRole == "" {
				return
			}
			var out struct {
				Viewer struct{ Subject, Name, Role, Credential string }
			}
			require.NoError(t, json.Unmarshal(r.Data, &out))
			require.Equal(t, tt.wantRole, out.Viewer.Role)
			require.Equal(t, "OIDC", out.Viewer.Credential)
			require.Equal(t, "User "+out.Viewer.Subject, out.Viewer.Name)
		})
	}
}

func TestOIDCTokenExpiresOnTheClock(t *testing.T) {
	t.Parallel()
	provider := newOIDCProvider(t)
	clock := newTestClock()
	env := oidcEnv(t, provider, clock)
	admin := as(env, provider.idToken(t, clock.Now(), "u-admin", []string{oidcAdminGroup}))
	admin.Must(t, `mutation { createUser(input: {email: "ada@example.com"}) { id } }`, nil, nil)

	clock.Advance(time.Hour + time.Second)
	r := admin.Do(t, `{ viewer { role } }`, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, "UNAUTHENTICATED", errorCode(t, r))
}

func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	provider := newOIDCProvider(t)
	clock := newTestClock()
	env := oidcEnv(t, provider, clock)
	oldToken := provider.idToken(t, clock.Now(), "u-1", []string{oidcViewerGroup})
	as(env, oldToken).Must(t, `{ viewer { subject } }`, nil, nil)

	// The provider rotates: the JWKS now holds only the new key. A token
	// with the new key's kid makes the service fetch the JWKS again.
	provider.rotate(t)
	newToken := provider.idToken(t, clock.Now(), "u-2", []string{oidcViewerGroup})
	var out struct{ Viewer struct{ Subject string } }
	as(env, newToken).Must(t, `{ viewer { subject } }`, nil, &out)
	require.Equal(t, "u-2", out.Viewer.Subject)

	// Tokens signed with the retired key are refused from now on. go-oidc
	// answers the request that fetched the new keys before it stores them
	// in its cache (RemoteKeySet.keysFromRemote), so for a moment the old
	// key may still verify; the refusal must come within that moment.
	require.Eventually(t, func() bool {
		return as(env, oldToken).Do(t, `{ viewer { subject } }`, nil).Status == http.StatusUnauthorized
	}, 2*time.Second, time.Millisecond, "a token signed with the retired key is refused")
}

func TestOIDCWithoutAdminTokenIsNotDevMode(t *testing.T) {
	t.Parallel()
	provider := newOIDCProvider(t)
	clock := newTestClock()
	env := oidcEnv(t, provider, clock, func(c *server.Config) { c.AdminToken = "" })
	require.Empty(t, env.Token)

	// Loopback callers without a credential are refused.
	r := env.Do(t, `{ viewer { subject } }`, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status)

	var cfg struct {
		SignInRequired bool
		OIDC           bool
		Issuer         string
		ClientID       string
		Scopes         []string
		PKCEMethod     string
	}
	getJSON(t, env.URL+"/auth/config", &cfg)
	require.True(t, cfg.SignInRequired)
	require.True(t, cfg.OIDC)
	require.Equal(t, provider.URL, cfg.Issuer)
	require.Equal(t, oidcClientID, cfg.ClientID)
	require.Contains(t, cfg.Scopes, "openid")
	require.Equal(t, "S256", cfg.PKCEMethod)

	admin := as(env, provider.idToken(t, clock.Now(), "u-admin", []string{oidcAdminGroup}))
	admin.Must(t, `mutation { createUser(input: {email: "ada@example.com"}) { id } }`, nil, nil)
}

func TestAuthConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		opts         apitest.Options
		wantRequired bool
	}{
		{name: "admin token", opts: apitest.Options{}, wantRequired: true},
		{name: "dev mode", opts: apitest.Options{DevMode: true}, wantRequired: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, tt.opts)
			var cfg map[string]any
			getJSON(t, env.URL+"/auth/config", &cfg)
			require.Equal(t, tt.wantRequired, cfg["signInRequired"])
			require.Equal(t, false, cfg["oidc"])
			require.Equal(t, "", cfg["issuer"])
			require.Equal(t, "phk_", cfg["apiTokenPrefix"])
		})
	}
}

func getJSON(t *testing.T, url string, dst any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(dst))
}
