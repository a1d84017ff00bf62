package inbound_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/inbound"
)

func TestHMACMode(t *testing.T) {
	t.Parallel()
	clock := newClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now})
	ep := createEndpoint(t, env, map[string]any{"authMode": "HMAC"})
	replica := env.Replica(t)
	body := []byte(`{"emp": {"id": "E1", "mail": "ada@example.com"}}`)

	r := env.Inbound(t, ep.URL, body, apitest.HMACHeaders(t, ep.Secret, "msg_1", clock.Now(), body)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "created", r.Results[0].Status)

	other := createEndpoint(t, env, map[string]any{"authMode": "HMAC"})
	tests := []struct {
		name   string
		env    *apitest.Env
		body   []byte
		header []string
	}{
		{name: "replayed webhook-id", env: env, body: body, header: apitest.HMACHeaders(t, ep.Secret, "msg_1", clock.Now(), body)},
		{name: "replayed on another replica", env: replica, body: body, header: apitest.HMACHeaders(t, ep.Secret, "msg_1", clock.Now(), body)},
		{name: "another endpoint's secret", env: env, body: body, header: apitest.HMACHeaders(t, other.Secret, "msg_2", clock.Now(), body)},
		{name: "body changed after signing", env: env, body: []byte(`{"emp": {"id": "E1", "title": "x"}}`), header: apitest.HMACHeaders(t, ep.Secret, "msg_3", clock.Now(), body)},
		{name: "timestamp 6 minutes old", env: env, body: body, header: apitest.HMACHeaders(t, ep.Secret, "msg_4", clock.Now().Add(-6*time.Minute), body)},
		{name: "timestamp 6 minutes ahead", env: env, body: body, header: apitest.HMACHeaders(t, ep.Secret, "msg_5", clock.Now().Add(6*time.Minute), body)},
		{name: "no signature", env: env, body: body, header: []string{"webhook-id", "msg_6", "webhook-timestamp", "1"}},
		{name: "bearer instead", env: env, body: body, header: apitest.Bearer("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, env)
			r := tt.env.Inbound(t, ep.URL, tt.body, tt.header...)
			require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
			require.Equal(t, "unauthenticated", r.Error.Code)
			require.Equal(t, before, snapshot(t, env))
		})
	}

	// Within the tolerance is fine, and a new webhook-id is a new message.
	old := clock.Now().Add(-4 * time.Minute)
	r = replica.Inbound(t, ep.URL, body, apitest.HMACHeaders(t, ep.Secret, "msg_7", old, body)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "unchanged", r.Results[0].Status)

	// A request refused before the webhook-id was recorded (bad body) does
	// not use the id up; one that failed on its content does.
	bad := []byte(`{"emp": `)
	r = env.Inbound(t, ep.URL, bad, apitest.HMACHeaders(t, ep.Secret, "msg_8", clock.Now(), bad)...)
	require.Equal(t, http.StatusBadRequest, r.Status)
	r = env.Inbound(t, ep.URL, bad, apitest.HMACHeaders(t, ep.Secret, "msg_8", clock.Now(), bad)...)
	require.Equal(t, http.StatusUnauthorized, r.Status, "the webhook-id was received: %s", r.Body)

	// After the nonce expired the timestamp check refuses an old message.
	clock.Advance(11 * time.Minute)
	r = env.Inbound(t, ep.URL, body, apitest.HMACHeaders(t, ep.Secret, "msg_1", clock.Now().Add(-11*time.Minute), body)...)
	require.Equal(t, http.StatusUnauthorized, r.Status)
}

// idp is an OpenID Connect identity provider on a loopback port: a
// discovery document, a key set, and tokens signed with its ES256 key.
type idp struct {
	URL    string
	signer jose.Signer
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	jwk := jose.JSONWebKey{Key: key, KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jwk}, (&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(t, err)
	p := &idp{signer: signer}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.URL, "jwks_uri": p.URL + "/jwks", "authorization_endpoint": p.URL + "/authorize",
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk.Public()}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *idp) token(t *testing.T, iss, aud string, exp time.Time) string {
	t.Helper()
	tok, err := jwt.Signed(p.signer).Claims(jwt.Claims{
		Issuer: iss, Audience: jwt.Audience{aud}, Subject: "hr-system",
		IssuedAt: jwt.NewNumericDate(exp.Add(-time.Hour)), Expiry: jwt.NewNumericDate(exp),
	}).Serialize()
	require.NoError(t, err)
	return tok
}

func TestJWTMode(t *testing.T) {
	t.Parallel()
	provider, stranger := newIDP(t), newIDP(t)
	const audience = "https://hooks.example.test"
	env := apitest.New(t, apitest.Options{InboundSettings: settingsWith(t, nil, []inbound.TrustedIssuer{
		{Issuer: provider.URL, Audience: "someone-else"},
		{Issuer: provider.URL, Audience: audience},
	})})
	ep := createEndpoint(t, env, map[string]any{"authMode": "JWT"})
	body := []byte(`{"emp": {"id": "E1", "mail": "ada@example.com"}}`)
	hour := time.Now().Add(time.Hour)

	r := env.Inbound(t, ep.URL, body, apitest.Bearer(provider.token(t, provider.URL, audience, hour))...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	// Access tokens of the service's own token endpoint are not JWT mode's.
	c := env.CreateOAuthClient(t, "Own", ep.ID)
	own := env.OAuthToken(t, c.ClientID, c.ClientSecret)

	tests := []struct {
		name  string
		token string
	}{
		{name: "wrong audience", token: provider.token(t, provider.URL, "https://other.example", hour)},
		{name: "expired", token: provider.token(t, provider.URL, audience, time.Now().Add(-time.Minute))},
		{name: "untrusted issuer", token: stranger.token(t, stranger.URL, audience, hour)},
		{name: "signed by another key", token: stranger.token(t, provider.URL, audience, hour)},
		{name: "the service's own token", token: own},
		{name: "garbage", token: "a.b.c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, env)
			r := env.Inbound(t, ep.URL, body, apitest.Bearer(tt.token)...)
			require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
			require.Contains(t, r.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
			require.Equal(t, before, snapshot(t, env))
		})
	}

	var out struct {
		Node struct {
			Requests struct {
				Edges []struct{ Node struct{ Client string } }
			}
		}
	}
	env.Must(t, `query($id: ID!) { node(id: $id) { ... on InboundEndpoint { requests(first: 1) { edges { node { client } } } } } }`,
		map[string]any{"id": ep.ID}, &out)
	require.Equal(t, "hr-system ("+provider.URL+")", out.Node.Requests.Edges[0].Node.Client)
}

func TestOAuth2ModeRefusesRevokedAndExpiredTokens(t *testing.T) {
	t.Parallel()
	clock := newClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now})
	ep := createEndpoint(t, env, nil)
	c := env.CreateOAuthClient(t, "Payroll", ep.ID)
	token := env.OAuthToken(t, c.ClientID, c.ClientSecret)
	body := []byte(`{"emp": {"id": "E1", "mail": "ada@example.com"}}`)
	require.Equal(t, http.StatusOK, env.Inbound(t, ep.URL, body, apitest.Bearer(token)...).Status)

	// A token outlives neither its hour (give or take 30 s of clock skew)...
	clock.Advance(time.Hour + time.Minute)
	r := env.Inbound(t, ep.URL, body, apitest.Bearer(token)...)
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
	require.Contains(t, r.Error.Message, "expired")

	// ... nor its client.
	token = env.OAuthToken(t, c.ClientID, c.ClientSecret)
	require.Equal(t, http.StatusOK, env.Inbound(t, ep.URL, body, apitest.Bearer(token)...).Status)
	env.Must(t, `mutation($id: ID!) { revokeOAuthClient(id: $id) { id revokedAt } }`, map[string]any{"id": c.ID}, nil)
	before := snapshot(t, env)
	r = env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "title": "x"}}`), apitest.Bearer(token)...)
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
	require.Equal(t, before, snapshot(t, env))
}
