package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/server"
)

// nested returns a query whose deepest field is at depth levels: users →
// edges → node → events → edges → node → user → events → …
func nested(depth int) string {
	path := []string{"users(first: 1)", "edges", "node"}
	for len(path) < depth-1 {
		path = append(path, "events(first: 1)", "edges", "node", "user")
	}
	path = path[:depth-1]
	return "{ " + strings.Join(path, " { ") + " { id }" + strings.Repeat(" }", depth-2) + " }"
}

func TestDepthLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	r := env.Do(t, nested(server.DefaultDepthLimit), nil)
	require.Empty(t, r.Errors, nested(server.DefaultDepthLimit))

	e := env.Fail(t, "DEPTH_LIMIT_EXCEEDED", nested(server.DefaultDepthLimit+1), nil)
	require.Contains(t, e.Message, "15 levels")

	// Fragments count as the fields they hold.
	e = env.Fail(t, "DEPTH_LIMIT_EXCEEDED", `fragment F on User { events(first: 1) { edges { node { user { events(first: 1) { edges { node { user { events(first: 1) { edges { node { user { id } } } } } } } } } } } } }
		query { users(first: 1) { edges { node { ...F } } } }`, nil)
	require.NotEmpty(t, e.Message)

	// Introspection is bounded by the schema, not by the limit.
	env.Must(t, introspectionQuery, nil, nil)
}

func TestQuerySizeLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{Configure: func(c *server.Config) { c.QuerySizeLimit = 200 }})
	env.Must(t, `{ viewer { role } }`, nil, nil)
	big := `{ viewer { role } }` + strings.Repeat(" ", 300)
	e := env.Fail(t, "QUERY_TOO_LARGE", big, nil)
	require.Contains(t, e.Message, "limit of 200 bytes")

	// A persisted query is checked before it is kept: sending its hash
	// alone afterwards finds nothing.
	sum := sha256.Sum256([]byte(big))
	apq := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	r := postRaw(t, env, map[string]any{"query": big, "extensions": apq})
	require.Equal(t, "QUERY_TOO_LARGE", errorCode(t, r))
	r = postRaw(t, env, map[string]any{"extensions": apq})
	require.Equal(t, "PERSISTED_QUERY_NOT_FOUND", errorCode(t, r))

	// Small persisted queries work as before.
	small := `{ viewer { subject } }`
	sum = sha256.Sum256([]byte(small))
	apq = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	require.Empty(t, postRaw(t, env, map[string]any{"query": small, "extensions": apq}).Errors)
	r = postRaw(t, env, map[string]any{"extensions": apq})
	require.Empty(t, r.Errors)
	require.Contains(t, string(r.Data), "admin-token")
}

// postRaw posts body as the admin and decodes the answer.
func postRaw(t *testing.T, env *apitest.Env, body map[string]any) apitest.Response {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apitest.AdminToken)
	resp, err := env.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := apitest.Response{Status: resp.StatusCode}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		off  bool
	}{{name: "on by default"}, {name: "off", off: true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, apitest.Options{Configure: func(c *server.Config) { c.NoIntrospection = tt.off }})
			r := env.Do(t, `{ __schema { queryType { name } } }`, nil)
			if tt.off {
				require.Equal(t, "INTROSPECTION_DISABLED", errorCode(t, r))
				require.Contains(t, r.Errors[0].Message, "introspection is disabled")
				env.Must(t, `{ viewer { __typename } }`, nil, nil)
				return
			}
			require.Empty(t, r.Errors)
			require.Contains(t, string(r.Data), `"Query"`)
		})
	}
}

func TestFailedAuthenticationRateLimit(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now, Configure: func(c *server.Config) {
		c.AuthFailureLimit = 3
		c.AuthFailurePeriod = time.Minute // one failure more every 20 s
	}})
	query := `{ viewer { role } }`
	bad := "Bearer not-the-token"
	good := "Bearer " + apitest.AdminToken
	for i := range 2 {
		resp, _ := post(t, env, bad, query, nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "failure %d", i+1)
	}

	// A websocket's connection_init counts as well: the third failure.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	defer conn.CloseNow()
	require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": bad}}))
	var msg wsMessage
	require.Error(t, wsjson.Read(ctx, conn, &msg), "the connection is closed")

	resp, r := post(t, env, bad, query, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "20", resp.Header.Get("Retry-After"))
	require.Equal(t, "RATE_LIMITED", errorCode(t, r))
	resp, _ = post(t, env, "", query, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "a missing credential is a failure too")

	// Successful authentication is neither limited nor counted.
	for range 5 {
		resp, _ = post(t, env, good, query, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	clock.Advance(19 * time.Second)
	resp, _ = post(t, env, bad, query, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
	clock.Advance(time.Second)
	resp, _ = post(t, env, bad, query, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "one failure refilled")
	resp, _ = post(t, env, bad, query, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
}

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogsHoldNoCredentials(t *testing.T) {
	t.Parallel()
	provider := newOIDCProvider(t)
	clock := newTestClock()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env := apitest.New(t, apitest.Options{Now: clock.Now, Logger: logger, Configure: func(c *server.Config) {
		c.OIDC = server.OIDCConfig{Issuer: provider.URL, ClientID: oidcClientID, RolesClaim: "groups", AdminValues: []string{oidcAdminGroup}}
	}})

	_, apiToken := createToken(t, env, "logged", "ADMIN", nil)
	revokedID, revokedToken := createToken(t, env, "revoked", "ADMIN", nil)
	env.Must(t, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": revokedID}, nil)
	idToken := provider.idToken(t, clock.Now(), "u-admin", []string{oidcAdminGroup})
	badAudience := provider.idToken(t, clock.Now(), "u-admin", []string{oidcAdminGroup}, func(c map[string]any) { c["aud"] = "x" })
	noRole := provider.idToken(t, clock.Now(), "u-none", []string{"staff"})
	var hook struct {
		CreateProfileWebhook struct{ SigningSecret string }
	}
	as(env, apiToken).Must(t, `mutation { createProfileWebhook(input: {name: "HR", url: "https://hr.example.com/hook", triggers: [CREATE_USER]}) { signingSecret } }`, nil, &hook)
	as(env, idToken).Must(t, `{ viewer { role } }`, nil, nil)
	unknown := "phk_" + strings.Repeat("Z", 43)
	for _, cred := range []string{revokedToken, badAudience, noRole, unknown, "wrong-admin-token", idToken + "x"} {
		resp, _ := post(t, env, "Bearer "+cred, `{ viewer { role } }`, nil)
		require.GreaterOrEqual(t, resp.StatusCode, 400, cred)
	}
	// A failing mutation whose error is logged as internal would show its
	// arguments; none of these are secrets, but the log must stay clean.
	env.Fail(t, "NOT_FOUND", `mutation { revokeApiToken(id: "tok_x") { id } }`, nil)

	out := logs.String()
	require.Contains(t, out, "authentication failed", "failures are logged")
	for _, secret := range []string{apitest.AdminToken, apiToken, revokedToken, idToken, badAudience, noRole, unknown,
		"wrong-admin-token", hook.CreateProfileWebhook.SigningSecret, "Bearer", "Authorization", apiToken[4:20]} {
		require.NotContains(t, out, secret)
	}
}

// introspectionQuery is the query GraphiQL sends.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
