package oauthserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/inbound"
)

const inputRows = `[{apiField: "id", profileField: "employeeId", userIdentifier: true}]`

func createEndpoint(t *testing.T, env *apitest.Env, name string) string {
	t.Helper()
	var out struct {
		CreateInboundEndpoint struct{ InboundEndpoint struct{ ID string } }
	}
	env.Must(t, `mutation($name: String!) { createInboundEndpoint(input: {name: $name, inputParameters: `+inputRows+`}) { inboundEndpoint { id } } }`,
		map[string]any{"name": name}, &out)
	return out.CreateInboundEndpoint.InboundEndpoint.ID
}

// jwks fetches the service's key set.
func jwks(t *testing.T, env *apitest.Env) (jose.JSONWebKeySet, http.Header) {
	t.Helper()
	resp, err := env.HTTP.Get(env.URL + "/oauth/jwks.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var set jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	return set, resp.Header
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	a, b := createEndpoint(t, env, "A"), createEndpoint(t, env, "B")
	c := env.CreateOAuthClient(t, "Payroll", a, b)
	revoked := env.CreateOAuthClient(t, "Old", a)
	env.Must(t, `mutation($id: ID!) { revokeOAuthClient(id: $id) { id } }`, map[string]any{"id": revoked.ID}, nil)
	grant := url.Values{"grant_type": {"client_credentials"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}

	tests := []struct {
		name        string
		form        url.Values
		basicID     string
		basicSecret string
		contentType string
		status      int
		code        string
		scope       string
	}{
		{name: "basic", form: grant, basicID: c.ClientID, basicSecret: c.ClientSecret, status: 200},
		{name: "form", form: with("grant_type", "client_credentials", "client_id", c.ClientID, "client_secret", c.ClientSecret), status: 200},
		{name: "basic with matching client_id", form: with("grant_type", "client_credentials", "client_id", c.ClientID), basicID: c.ClientID, basicSecret: c.ClientSecret, status: 200},
		{name: "scope narrows", form: with("grant_type", "client_credentials", "scope", b), basicID: c.ClientID, basicSecret: c.ClientSecret, status: 200, scope: b},
		{name: "wrong secret basic", form: grant, basicID: c.ClientID, basicSecret: c.ClientSecret + "x", status: 401, code: "invalid_client"},
		{name: "wrong secret form", form: with("grant_type", "client_credentials", "client_id", c.ClientID, "client_secret", "nope"), status: 401, code: "invalid_client"},
		{name: "unknown client", form: grant, basicID: "phc_nobody", basicSecret: c.ClientSecret, status: 401, code: "invalid_client"},
		{name: "no client authentication", form: grant, status: 401, code: "invalid_client"},
		{name: "revoked client", form: grant, basicID: revoked.ClientID, basicSecret: revoked.ClientSecret, status: 401, code: "invalid_client"},
		{name: "unsupported grant", form: with("grant_type", "password", "username", "u", "password", "p"), basicID: c.ClientID, basicSecret: c.ClientSecret, status: 400, code: "unsupported_grant_type"},
		{name: "no grant type", form: url.Values{}, basicID: c.ClientID, basicSecret: c.ClientSecret, status: 400, code: "invalid_request"},
		{name: "repeated parameter", form: with("grant_type", "client_credentials", "grant_type", "client_credentials"), basicID: c.ClientID, basicSecret: c.ClientSecret, status: 400, code: "invalid_request"},
		{name: "two authentication methods", form: with("grant_type", "client_credentials", "client_secret", c.ClientSecret), basicID: c.ClientID, basicSecret: c.ClientSecret, status: 400, code: "invalid_request"},
		{name: "not a form", form: grant, basicID: c.ClientID, basicSecret: c.ClientSecret, contentType: "application/json", status: 400, code: "invalid_request"},
		{name: "scope of another client", form: with("grant_type", "client_credentials", "scope", "inb_other"), basicID: c.ClientID, basicSecret: c.ClientSecret, status: 400, code: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodPost, env.URL+"/oauth/token", strings.NewReader(tt.form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.basicID != "" {
				req.SetBasicAuth(url.QueryEscape(tt.basicID), url.QueryEscape(tt.basicSecret))
			}
			resp, err := env.HTTP.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tt.status, resp.StatusCode, "%s", raw)
			require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
			var body map[string]any
			require.NoError(t, json.Unmarshal(raw, &body))
			if tt.status != http.StatusOK {
				require.Equal(t, tt.code, body["error"], "%s", raw)
				require.NotEmpty(t, body["error_description"])
				require.NotContains(t, body, "access_token")
				if tt.status == http.StatusUnauthorized {
					require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
				}
				return
			}
			require.Equal(t, "Bearer", body["token_type"])
			require.Equal(t, float64(3600), body["expires_in"])
			claims := verifyToken(t, env, body["access_token"].(string))
			require.Equal(t, c.ID, claims.Subject)
			require.Equal(t, c.ClientID, claims.ClientID)
			want := []string{a, b}
			if tt.scope != "" {
				want = []string{tt.scope}
				require.Equal(t, tt.scope, body["scope"])
			}
			require.ElementsMatch(t, want, claims.EndpointIDs)
		})
	}
}

type accessClaims struct {
	jwt.Claims
	ClientID    string   `json:"client_id"`
	EndpointIDs []string `json:"endpoint_ids"`
}

// verifyToken checks an access token with the published key set, as a
// third party could, and returns its claims.
func verifyToken(t *testing.T, env *apitest.Env, raw string) accessClaims {
	t.Helper()
	set, header := jwks(t, env)
	require.Contains(t, header.Get("Cache-Control"), "max-age")
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Equal(t, "at+jwt", tok.Headers[0].ExtraHeaders["typ"])
	keys := set.Key(tok.Headers[0].KeyID)
	require.Len(t, keys, 1, "the token's key is published")
	require.Equal(t, "ES256", keys[0].Algorithm)
	require.True(t, keys[0].IsPublic())
	var claims accessClaims
	require.NoError(t, tok.Claims(keys[0].Key, &claims))
	require.NoError(t, claims.ValidateWithLeeway(jwt.Expected{Issuer: "https://hooks.example.test", AnyAudience: jwt.Audience{"https://hooks.example.test"}}, 0))
	return claims
}

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep := createEndpoint(t, env, "A")
	const create = `mutation($input: CreateOAuthClientInput!) { createOAuthClient(input: $input) { clientSecret oauthClient { id name clientId createdAt revokedAt endpoints { id } } } }`

	e := env.Fail(t, "BAD_USER_INPUT", create, map[string]any{"input": map[string]any{"name": "x", "endpointIds": []string{}}})
	require.Equal(t, "input.endpointIds", e.Field())
	e = env.Fail(t, "BAD_USER_INPUT", create, map[string]any{"input": map[string]any{"name": "x", "endpointIds": []string{ep, "inb_nope"}}})
	require.Equal(t, "input.endpointIds[1]", e.Field())
	e = env.Fail(t, "BAD_USER_INPUT", create, map[string]any{"input": map[string]any{"name": " ", "endpointIds": []string{ep}}})
	require.Equal(t, "input.name", e.Field())

	var out struct {
		CreateOAuthClient struct {
			ClientSecret string
			OauthClient  struct {
				ID, Name, ClientID string
				RevokedAt          *time.Time
				Endpoints          []struct{ ID string }
			}
		}
	}
	env.Must(t, create, map[string]any{"input": map[string]any{"name": "Payroll", "endpointIds": []string{ep}}}, &out)
	c := out.CreateOAuthClient
	require.True(t, strings.HasPrefix(c.ClientSecret, "phs_"))
	require.True(t, strings.HasPrefix(c.OauthClient.ClientID, "phc_"))
	require.Nil(t, c.OauthClient.RevokedAt)
	require.Equal(t, ep, c.OauthClient.Endpoints[0].ID)

	// Only a hash of the secret is stored.
	stored, err := env.DB.Client.OAuthClient.Get(context.Background(), c.OauthClient.ID)
	require.NoError(t, err)
	require.NotContains(t, stored.SecretHash, c.ClientSecret)
	require.Len(t, stored.SecretHash, 64)

	// Listed, with no secret in sight.
	var list struct {
		OauthClients struct {
			TotalCount int
			Edges      []struct{ Node map[string]any }
		}
	}
	env.Must(t, `{ oauthClients(first: 10, where: {revokedAtIsNil: true}) { totalCount edges { node { id name clientId endpoints { id } } } } }`, nil, &list)
	require.Equal(t, 1, list.OauthClients.TotalCount)

	// Rotation: the old secret stops working, the new one works.
	var rot struct {
		RotateOAuthClientSecret struct{ ClientSecret string }
	}
	env.Must(t, `mutation($id: ID!) { rotateOAuthClientSecret(id: $id) { clientSecret oauthClient { id } } }`, map[string]any{"id": c.OauthClient.ID}, &rot)
	require.NotEqual(t, c.ClientSecret, rot.RotateOAuthClientSecret.ClientSecret)
	old := env.TokenRequest(t, url.Values{"grant_type": {"client_credentials"}}, c.OauthClient.ClientID, c.ClientSecret)
	require.Equal(t, http.StatusUnauthorized, old.Status)
	env.OAuthToken(t, c.OauthClient.ClientID, rot.RotateOAuthClientSecret.ClientSecret)

	// Revocation is idempotent; a revoked client cannot be rotated.
	var rev struct {
		RevokeOAuthClient struct{ RevokedAt *time.Time }
	}
	for range 2 {
		env.Must(t, `mutation($id: ID!) { revokeOAuthClient(id: $id) { revokedAt } }`, map[string]any{"id": c.OauthClient.ID}, &rev)
		require.NotNil(t, rev.RevokeOAuthClient.RevokedAt)
	}
	env.Fail(t, "CONFLICT", `mutation($id: ID!) { rotateOAuthClientSecret(id: $id) { clientSecret } }`, map[string]any{"id": c.OauthClient.ID})
	env.Fail(t, "NOT_FOUND", `mutation($id: ID!) { revokeOAuthClient(id: $id) { id } }`, map[string]any{"id": "oac_nope"})
	r := env.TokenRequest(t, url.Values{"grant_type": {"client_credentials"}}, c.OauthClient.ClientID, rot.RotateOAuthClientSecret.ClientSecret)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, "invalid_client", r.Error)
}

func TestSigningKeyIsSharedByReplicas(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	replica := env.Replica(t)
	ep := createEndpoint(t, env, "A")
	c := env.CreateOAuthClient(t, "Payroll", ep)

	// Both replicas publish and sign with the one key made on first use,
	// stored sealed.
	setA, _ := jwks(t, env)
	setB, _ := jwks(t, replica)
	require.Len(t, setA.Keys, 1)
	require.Equal(t, setA.Keys[0].KeyID, setB.Keys[0].KeyID)
	row, err := env.DB.Client.OAuthSigningKey.Query().Only(context.Background())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(row.PrivateKey, "v1:"), "sealed")
	token := replica.OAuthToken(t, c.ClientID, c.ClientSecret)
	verifyToken(t, env, token)
}

func TestTokenLifetimeFollowsSettings(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{InboundSettings: func(context.Context) (inbound.Settings, error) {
		return inbound.Settings{TokenLifetime: 5 * time.Minute}, nil
	}})
	c := env.CreateOAuthClient(t, "Payroll", createEndpoint(t, env, "A"))
	r := env.TokenRequest(t, url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, int64(300), r.ExpiresIn)
	claims := verifyToken(t, env, r.AccessToken)
	require.Equal(t, 5*time.Minute, claims.Expiry.Time().Sub(claims.IssuedAt.Time()))
}
