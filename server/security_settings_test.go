package server_test

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/apitest"
)

const updateSettings = `mutation($input: UpdateSecuritySettingsInput!) { updateSecuritySettings(input: $input) {
	accessTokenLifetime trustedIssuers { issuer audience } inboundAllowlist corsOrigins updatedAt updatedBy } }`

type settingsOut struct {
	AccessTokenLifetime string
	TrustedIssuers      []access.TrustedIssuer
	InboundAllowlist    []string
	CORSOrigins         []string `json:"corsOrigins"`
	UpdatedAt           *time.Time
	UpdatedBy           string
}

func TestSecuritySettings(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})

	var got struct{ SecuritySettings settingsOut }
	env.Must(t, `{ securitySettings { accessTokenLifetime trustedIssuers { issuer audience } inboundAllowlist corsOrigins updatedAt updatedBy } }`, nil, &got)
	require.Equal(t, settingsOut{AccessTokenLifetime: "PT1H", TrustedIssuers: []access.TrustedIssuer{}, InboundAllowlist: []string{}, CORSOrigins: []string{}}, got.SecuritySettings)

	var upd struct{ UpdateSecuritySettings settingsOut }
	env.Must(t, updateSettings, map[string]any{"input": map[string]any{
		"accessTokenLifetime": "PT15M",
		"trustedIssuers":      []map[string]any{{"issuer": "https://login.example.com/tenant", "audience": "api://profilehooks"}},
		"inboundAllowlist":    []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"},
		"corsOrigins":         []string{"https://Console.Example.com:443", "http://localhost:5173"},
	}}, &upd)
	s := upd.UpdateSecuritySettings
	require.Equal(t, "PT15M", s.AccessTokenLifetime)
	require.Equal(t, []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"}, s.InboundAllowlist)
	require.Equal(t, []string{"https://console.example.com", "http://localhost:5173"}, s.CORSOrigins)
	require.NotNil(t, s.UpdatedAt)
	require.Equal(t, "admin-token", s.UpdatedBy)

	// A partial update keeps the rest; an empty list clears one.
	env.Must(t, updateSettings, map[string]any{"input": map[string]any{"inboundAllowlist": []string{}}}, &upd)
	require.Empty(t, upd.UpdateSecuritySettings.InboundAllowlist)
	require.Equal(t, "PT15M", upd.UpdateSecuritySettings.AccessTokenLifetime)
	require.Len(t, upd.UpdateSecuritySettings.TrustedIssuers, 1)

	// The Go API the incoming endpoints read.
	settings, err := access.LoadSettings(context.Background(), env.DB.Client)
	require.NoError(t, err)
	require.Equal(t, 15*time.Minute, settings.AccessTokenLifetime)
	require.True(t, settings.AllowsInbound(netip.MustParseAddr("203.0.113.9")), "empty allowlist allows any address")
	require.True(t, settings.TrustsIssuer("https://login.example.com/tenant", []string{"other", "api://profilehooks"}))
	require.False(t, settings.TrustsIssuer("https://login.example.com/tenant", []string{"other"}))
	require.True(t, settings.AllowsOrigin("https://console.example.com"))
}

func TestSecuritySettingsValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	env.Must(t, updateSettings, map[string]any{"input": map[string]any{"corsOrigins": []string{"https://keep.example.com"}}}, nil)
	tests := []struct {
		name      string
		input     map[string]any
		wantField string
	}{
		{name: "lifetime too short", input: map[string]any{"accessTokenLifetime": "PT30S"}, wantField: "input.accessTokenLifetime"},
		{name: "lifetime too long", input: map[string]any{"accessTokenLifetime": "P2D"}, wantField: "input.accessTokenLifetime"},
		{name: "not a CIDR", input: map[string]any{"inboundAllowlist": []string{"10.0.0.0/8", "10.0.0.0/33"}}, wantField: "input.inboundAllowlist[1]"},
		{name: "host bits set", input: map[string]any{"inboundAllowlist": []string{"10.1.2.3/8"}}, wantField: "input.inboundAllowlist[0]"},
		{name: "hostname", input: map[string]any{"inboundAllowlist": []string{"example.com"}}, wantField: "input.inboundAllowlist[0]"},
		{name: "duplicate prefix", input: map[string]any{"inboundAllowlist": []string{"192.0.2.1", "192.0.2.1/32"}}, wantField: "input.inboundAllowlist[1]"},
		{name: "origin with a path", input: map[string]any{"corsOrigins": []string{"https://console.example.com/app"}}, wantField: "input.corsOrigins[0]"},
		{name: "wildcard origin", input: map[string]any{"corsOrigins": []string{"*"}}, wantField: "input.corsOrigins[0]"},
		{name: "origin without scheme", input: map[string]any{"corsOrigins": []string{"console.example.com"}}, wantField: "input.corsOrigins[0]"},
		{name: "issuer over http", input: map[string]any{"trustedIssuers": []map[string]any{{"issuer": "http://idp.example.com", "audience": "a"}}}, wantField: "input.trustedIssuers[0].issuer"},
		{name: "issuer without audience", input: map[string]any{"trustedIssuers": []map[string]any{{"issuer": "https://idp.example.com", "audience": " "}}}, wantField: "input.trustedIssuers[0].audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := env.Fail(t, "BAD_USER_INPUT", updateSettings, map[string]any{"input": tt.input})
			require.Equal(t, tt.wantField, e.Field(), e.Message)
		})
	}
	settings, err := access.LoadSettings(context.Background(), env.DB.Client)
	require.NoError(t, err)
	require.Equal(t, []string{"https://keep.example.com"}, settings.CORSOrigins, "nothing was written")
}

func TestCORSOrigins(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	const console = "https://console.example.com"
	bearer := "Bearer " + apitest.AdminToken
	query := `{ viewer { role } }`

	// Scripts send no Origin; the service's own origin needs no CORS.
	resp, _ := post(t, env, bearer, query, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = post(t, env, bearer, query, map[string]string{"Origin": env.URL})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	// Another origin is refused until an admin allows it.
	resp, r := post(t, env, bearer, query, map[string]string{"Origin": console})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, "FORBIDDEN", errorCode(t, r))
	require.Equal(t, http.StatusForbidden, preflight(t, env, console).StatusCode)

	env.Must(t, updateSettings, map[string]any{"input": map[string]any{"corsOrigins": []string{console}}}, nil)
	pre := preflight(t, env, console)
	require.Equal(t, http.StatusNoContent, pre.StatusCode)
	require.Equal(t, console, pre.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, pre.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	require.Contains(t, pre.Header.Get("Access-Control-Allow-Methods"), "POST")

	resp, r = post(t, env, bearer, query, map[string]string{"Origin": console})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%+v", r.Errors)
	require.Equal(t, console, resp.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, resp.Header.Values("Vary"), "Origin")
	resp, _ = post(t, env, bearer, query, map[string]string{"Origin": "https://evil.example.com"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Websockets: the allowed origin connects, others are refused before
	// the upgrade.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", &websocket.DialOptions{
			Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader:   http.Header{"Origin": []string{origin}},
		})
	}
	_, resp, err := dial("https://evil.example.com")
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	conn, _, err := dial(console)
	require.NoError(t, err)
	defer conn.CloseNow()
	require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": bearer}}))
	var msg wsMessage
	require.NoError(t, wsjson.Read(ctx, conn, &msg))
	require.Equal(t, "connection_ack", msg.Type)
}

func preflight(t *testing.T, env *apitest.Env, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, env.URL+"/graphql", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	resp, err := env.HTTP.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}
