package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/server"
)

func TestGraphQLRequiresCredentials(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	for _, auth := range []string{"", "Bearer wrong-token", "Basic dGVzdA==", "Bearer", apitest.AdminToken} {
		req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(`{"query":"{ profileFields { key } }"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "Authorization %q", auth)
		require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
		var out apitest.Response
		require.NoError(t, json.Unmarshal(body, &out))
		require.Len(t, out.Errors, 1)
		require.Equal(t, "UNAUTHENTICATED", out.Errors[0].Code())
	}
	before := counts(t, env)
	env.Token = "wrong"
	r := env.Do(t, createUser, map[string]any{"input": map[string]any{"email": "x@example.com"}})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, before, counts(t, env))

	env.Token = apitest.AdminToken
	env.Must(t, `{ profileFields { key } }`, nil, nil)
}

func TestDevModeAnswersLoopbackOnly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{DevMode: true})
	env.Must(t, `{ profileFields { key } }`, nil, nil)

	auth := server.NewAuthenticator("")
	require.True(t, auth.DevMode())
	for _, addr := range []string{"127.0.0.1:5000", "[::1]:5000"} {
		_, err := auth.Authenticate("", addr)
		require.NoError(t, err, addr)
	}
	for _, addr := range []string{"10.0.0.7:5000", "192.168.1.2:80", "[2001:db8::1]:443", "garbage"} {
		_, err := auth.Authenticate("", addr)
		require.ErrorIs(t, err, server.ErrUnauthenticated, addr)
	}
	// With an admin token, the address does not matter but the token does.
	auth = server.NewAuthenticator("s3cret")
	p, err := auth.Authenticate("Bearer s3cret", "10.0.0.7:5000")
	require.NoError(t, err)
	require.Equal(t, server.RoleAdmin, p.Role)
	_, err = auth.Authenticate("Bearer s3cret2", "127.0.0.1:1")
	require.ErrorIs(t, err, server.ErrUnauthenticated)
}

func TestConfig(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c server.Config)
	}{
		{name: "defaults", check: func(t *testing.T, c server.Config) {
			require.Equal(t, "127.0.0.1:8080", c.Addr)
			require.Equal(t, "sqlite://data/profilehooks.db", c.DatabaseURL)
			require.True(t, c.DevMode())
			require.Equal(t, "http://127.0.0.1:8080", c.PublicBaseURL())
			require.Equal(t, server.DefaultRetrySchedule, c.RetrySchedule)
			require.False(t, c.AllowPrivateTargets)
		}},
		{name: "environment", env: map[string]string{
			"PROFILEHOOKS_ADDR": "0.0.0.0:9000", "PROFILEHOOKS_ADMIN_TOKEN": "t", "PROFILEHOOKS_PUBLIC_URL": "https://hooks.example.com/",
			"PROFILEHOOKS_ALLOW_PRIVATE_TARGETS": "true", "PROFILEHOOKS_RETRY_SCHEDULE": "0s, 10ms,1s",
		}, check: func(t *testing.T, c server.Config) {
			require.Equal(t, "0.0.0.0:9000", c.Addr)
			require.False(t, c.DevMode())
			require.Equal(t, "https://hooks.example.com", c.PublicBaseURL())
			require.True(t, c.AllowPrivateTargets)
			require.Equal(t, []time.Duration{0, 10 * time.Millisecond, time.Second}, c.RetrySchedule)
		}},
		{name: "flag wins over environment", args: []string{"--addr", "127.0.0.1:7000"}, env: map[string]string{"PROFILEHOOKS_ADDR": "127.0.0.1:9000"},
			check: func(t *testing.T, c server.Config) { require.Equal(t, "127.0.0.1:7000", c.Addr) }},
		{name: "dev mode refuses a public address", args: []string{"--addr", "0.0.0.0:8080"}, wantErr: "refusing to listen"},
		{name: "bad retry schedule", args: []string{"--retry-schedule", "5s,soon"}, wantErr: "retry-schedule"},
		{name: "bad environment value", env: map[string]string{"PROFILEHOOKS_ALLOW_PRIVATE_TARGETS": "perhaps"}, wantErr: "PROFILEHOOKS_ALLOW_PRIVATE_TARGETS"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "log-format"},
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

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	env.Must(t, `{ profileFields { key } }`, nil, nil)
	for path, want := range map[string]string{
		"/healthz":    `"ok"`,
		"/readyz":     `"ready"`,
		"/metrics":    "profilehooks_graphql_operation_duration_seconds",
		"/playground": "<html",
	} {
		resp, err := http.Get(env.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, string(body), want, path)
	}
	require.NoError(t, env.DB.SQL.Close())
	resp, err := http.Get(env.URL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func TestGETAndComplexityLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	req, err := http.NewRequest(http.MethodGet, env.URL+"/graphql?query="+url.QueryEscape("{ profileFields { key } }"), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+apitest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var out apitest.Response
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	require.Empty(t, out.Errors)
	require.Contains(t, string(out.Data), `"email"`)

	// Mutations over GET are refused by gqlgen's GET transport.
	r := env.Do(t, `{ users(first: 1000) { edges { node { events(first: 1000) { edges { node { user { events(first: 1000) { totalCount } } } } } } } } }`, nil)
	require.NotEmpty(t, r.Errors)
	require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.Errors[0].Code())
}

func TestWebsocketAuthenticatesInConnectionInit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(token string) *websocket.Conn {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", &websocket.DialOptions{
			Subprotocols: []string{"graphql-transport-ws"},
		})
		require.NoError(t, err)
		require.Equal(t, "graphql-transport-ws", c.Subprotocol())
		require.NoError(t, wsjson.Write(ctx, c, map[string]any{
			"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token},
		}))
		return c
	}

	c := dial(apitest.AdminToken)
	defer c.CloseNow()
	var msg struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	require.NoError(t, wsjson.Read(ctx, c, &msg))
	require.Equal(t, "connection_ack", msg.Type)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{
		"id": "1", "type": "subscribe", "payload": map[string]any{"query": "{ profileFields { key } }"},
	}))
	require.NoError(t, wsjson.Read(ctx, c, &msg))
	require.Equal(t, "next", msg.Type)
	require.True(t, bytes.Contains(msg.Payload, []byte(`"employeeId"`)), "%s", msg.Payload)

	bad := dial("wrong")
	defer bad.CloseNow()
	err := wsjson.Read(ctx, bad, &msg)
	if err == nil {
		// gqlgen may send connection_error before closing.
		require.Equal(t, "connection_error", msg.Type)
		err = wsjson.Read(ctx, bad, &msg)
	}
	require.Error(t, err, "an unauthenticated websocket is closed")
}

func TestConsoleIsServedWithClientRoutes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	for _, path := range []string{"/", "/webhooks", "/deliveries?status=FAILED", "/users/usr_01J/edit"} {
		resp, err := http.Get(env.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, string(body), `<div id="root">`, path)
		require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"), path)
	}
	// An asset named by index.html is served as a file, cached for good.
	resp, err := http.Get(env.URL + "/")
	require.NoError(t, err)
	index, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`/assets/[^"]+\.js`).Find(index)
	require.NotNil(t, m)
	resp, err = http.Get(env.URL + string(m))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
	require.Contains(t, resp.Header.Get("Content-Type"), "javascript")
}
