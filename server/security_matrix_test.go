package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/graph"
	"github.com/profilehooks/profilehooks/graph/generated"
)

// credentials are the callers every mutation is tried with: their bearer
// credential and what the API must answer.
type credential struct {
	name          string
	authorization string
	// want is UNAUTHENTICATED, FORBIDDEN, or "" for "neither".
	want string
}

// credentialMatrix starts a server that accepts the admin token, API tokens
// and ID tokens of an OIDC provider, and returns a caller of each kind.
func credentialMatrix(t *testing.T) (*apitest.Env, []credential) {
	t.Helper()
	provider := newOIDCProvider(t)
	clock := newTestClock()
	env := oidcEnv(t, provider, clock)

	soon := clock.Now().Add(time.Minute)
	_, expiredToken := createToken(t, env, "expiring", "ADMIN", &soon)
	revokedID, revokedToken := createToken(t, env, "revoked", "ADMIN", nil)
	env.Must(t, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": revokedID}, nil)
	_, viewerToken := createToken(t, env, "viewer", "VIEWER", nil)
	_, adminAPIToken := createToken(t, env, "admin", "ADMIN", nil)
	clock.Advance(2 * time.Minute) // the expiring token expires

	now := clock.Now()
	bearer := func(s string) string { return "Bearer " + s }
	return env, []credential{
		{name: "no credential", authorization: "", want: "UNAUTHENTICATED"},
		{name: "malformed", authorization: "Bearer", want: "UNAUTHENTICATED"},
		{name: "unknown token", authorization: bearer("phk_" + strings.Repeat("A", 43)), want: "UNAUTHENTICATED"},
		{name: "expired API token", authorization: bearer(expiredToken), want: "UNAUTHENTICATED"},
		{name: "revoked API token", authorization: bearer(revokedToken), want: "UNAUTHENTICATED"},
		{name: "expired ID token", authorization: bearer(provider.idToken(t, now, "u-admin", []string{oidcAdminGroup}, func(c map[string]any) {
			c["exp"] = now.Add(-time.Second).Unix()
		})), want: "UNAUTHENTICATED"},
		{name: "ID token for another audience", authorization: bearer(provider.idToken(t, now, "u-admin", []string{oidcAdminGroup}, func(c map[string]any) {
			c["aud"] = "someone-else"
		})), want: "UNAUTHENTICATED"},
		{name: "ID token of another issuer", authorization: bearer(provider.idToken(t, now, "u-admin", []string{oidcAdminGroup}, func(c map[string]any) {
			c["iss"] = "https://idp.example.com"
		})), want: "UNAUTHENTICATED"},
		{name: "viewer API token", authorization: bearer(viewerToken), want: "FORBIDDEN"},
		{name: "viewer ID token", authorization: bearer(provider.idToken(t, now, "u-viewer", []string{oidcViewerGroup})), want: "FORBIDDEN"},
		{name: "admin token", authorization: bearer(apitest.AdminToken), want: ""},
		{name: "admin API token", authorization: bearer(adminAPIToken), want: ""},
		{name: "admin ID token", authorization: bearer(provider.idToken(t, now, "u-admin", []string{oidcAdminGroup})), want: ""},
	}
}

// mutationDocuments returns, for every field of the schema's Mutation
// type, a document calling it with placeholder values for its required
// arguments. New mutations are covered without changing this test.
func mutationDocuments(t *testing.T) map[string]string {
	t.Helper()
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{}}).Schema()
	require.NotNil(t, schema.Mutation)
	docs := map[string]string{}
	for _, f := range schema.Mutation.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		var args []string
		for _, a := range f.Arguments {
			if a.Type.NonNull && a.DefaultValue == nil {
				args = append(args, a.Name+": "+placeholder(schema, a.Type, 0))
			}
		}
		call := f.Name
		if len(args) > 0 {
			call += "(" + strings.Join(args, ", ") + ")"
		}
		switch schema.Types[f.Type.Name()].Kind {
		case ast.Object, ast.Interface, ast.Union:
			call += " { __typename }"
		}
		docs[f.Name] = "mutation { " + call + " }"
	}
	require.NotEmpty(t, docs)
	return docs
}

// placeholder is a GraphQL literal of type typ: not necessarily a
// meaningful value, the point being the auth decision.
func placeholder(schema *ast.Schema, typ *ast.Type, depth int) string {
	if typ.Elem != nil {
		return "[]"
	}
	def := schema.Types[typ.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		var fields []string
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil && depth < 5 {
				fields = append(fields, f.Name+": "+placeholder(schema, f.Type, depth+1))
			}
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	switch def.Name {
	case "Int":
		return "1"
	case "Float":
		return "1.5"
	case "Boolean":
		return "false"
	case "Time":
		return `"2030-01-01T00:00:00Z"`
	case "Date":
		return `"2030-01-01"`
	case "Duration":
		return `"PT1H"`
	case "Map":
		return "{}"
	}
	return `"placeholder"`
}

func TestEveryMutationChecksTheCaller(t *testing.T) {
	t.Parallel()
	env, creds := credentialMatrix(t)
	docs := mutationDocuments(t)
	t.Run("matrix", func(t *testing.T) {
		for name, doc := range docs {
			for _, c := range creds {
				t.Run(name+"/"+c.name, func(t *testing.T) {
					t.Parallel()
					resp, r := post(t, env, c.authorization, doc, nil)
					codes := make([]string, len(r.Errors))
					for i, e := range r.Errors {
						codes[i] = e.Code()
					}
					switch c.want {
					case "UNAUTHENTICATED":
						require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s: %+v", doc, r.Errors)
						require.Equal(t, []string{"UNAUTHENTICATED"}, codes)
						require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
					case "FORBIDDEN":
						require.Equal(t, []string{"FORBIDDEN"}, codes, "%s", doc)
					default:
						require.NotContains(t, codes, "UNAUTHENTICATED", doc)
						require.NotContains(t, codes, "FORBIDDEN", doc)
					}
				})
			}
		}
	})

	// Every refused attempt is in the audit log, whatever its arguments.
	var out struct {
		AuditLog struct {
			Edges []struct {
				Node struct{ Operation, Actor, Outcome, Credential string }
			}
		}
	}
	env.Must(t, `{ auditLog(first: 500, where: {outcome: "FORBIDDEN"}) { edges { node { operation actor outcome credential } } } }`, nil, &out)
	refused := map[string]int{}
	for _, e := range out.AuditLog.Edges {
		refused[e.Node.Operation]++
	}
	for name := range docs {
		require.Equal(t, 2, refused[name], "refusals of %s recorded (an API token and an ID token viewer)", name)
	}
}

func TestWebsocketChecksTheCaller(t *testing.T) {
	t.Parallel()
	env, creds := credentialMatrix(t)
	for _, c := range creds {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", &websocket.DialOptions{
				Subprotocols: []string{"graphql-transport-ws"},
			})
			require.NoError(t, err)
			defer conn.CloseNow()
			payload := map[string]any{}
			if c.authorization != "" {
				payload["Authorization"] = c.authorization
			}
			require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": payload}))
			var msg wsMessage
			err = wsjson.Read(ctx, conn, &msg)
			if c.want == "UNAUTHENTICATED" {
				if err == nil {
					require.Equal(t, "connection_error", msg.Type, "%s", msg.Payload)
					err = wsjson.Read(ctx, conn, &msg)
				}
				require.Error(t, err, "the connection is closed")
				return
			}
			require.NoError(t, err)
			require.Equal(t, "connection_ack", msg.Type)

			subscribe := func(id, query string) wsMessage {
				require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query}}))
				for {
					var m wsMessage
					require.NoError(t, wsjson.Read(ctx, conn, &m))
					if m.ID == id {
						return m
					}
				}
			}
			m := subscribe("1", `{ viewer { role } }`)
			require.Equal(t, "next", m.Type, "%s", m.Payload)

			m = subscribe("2", `mutation { revokeApiToken(id: "tok_none") { id } }`)
			var errs []apitest.Error
			switch m.Type {
			case "error":
				require.NoError(t, json.Unmarshal(m.Payload, &errs))
			case "next":
				var r apitest.Response
				require.NoError(t, json.Unmarshal(m.Payload, &r))
				errs = r.Errors
			default:
				t.Fatalf("unexpected message %s: %s", m.Type, m.Payload)
			}
			require.Len(t, errs, 1)
			want := c.want
			if want == "" {
				want = "NOT_FOUND"
			}
			require.Equal(t, want, errs[0].Code(), fmt.Sprint(errs))
		})
	}
}

type wsMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

func TestWebsocketEndsWhenTheCredentialExpires(t *testing.T) {
	t.Parallel()
	provider := newOIDCProvider(t)
	clock := newTestClock()
	env := oidcEnv(t, provider, clock)
	token := provider.idToken(t, clock.Now(), "u-viewer", []string{oidcViewerGroup}, func(c map[string]any) {
		c["exp"] = clock.Now().Add(time.Second).Unix()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
	})
	require.NoError(t, err)
	defer conn.CloseNow()
	require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}))
	var msg wsMessage
	require.NoError(t, wsjson.Read(ctx, conn, &msg))
	require.Equal(t, "connection_ack", msg.Type)
	for {
		if err := wsjson.Read(ctx, conn, &msg); err != nil {
			require.NoError(t, ctx.Err(), "closed by the service, not by the test's timeout")
			require.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err), "%v", err)
			return
		}
	}
}
