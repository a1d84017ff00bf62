package server_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/server"
)

// oidcProvider is a real OpenID Connect provider on loopback: discovery
// document and JWKS, and ID tokens signed with its current key. rotate
// replaces the key the JWKS publishes.
type oidcProvider struct {
	URL string

	mu      sync.Mutex
	key     *ecdsa.PrivateKey
	kid     string
	serial  int
	fetches int
}

func newOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	p := &oidcProvider{}
	p.rotate(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                p.URL,
			"authorization_endpoint":                p.URL + "/authorize",
			"token_endpoint":                        p.URL + "/token",
			"jwks_uri":                              p.URL + "/jwks",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"ES256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.fetches++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: string(jose.ES256), Use: "sig",
		}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// rotate makes the provider sign with a new key and publish only that one.
func (p *oidcProvider) rotate(t *testing.T) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serial++
	p.key, p.kid = key, "key-"+strconv.Itoa(p.serial)
	p.fetches = 0
}

// sign returns a JWT of claims signed with key (the current key when nil).
func (p *oidcProvider) sign(t *testing.T, claims map[string]any, key *ecdsa.PrivateKey, kid string) string {
	t.Helper()
	if key == nil {
		p.mu.Lock()
		key, kid = p.key, p.kid
		p.mu.Unlock()
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	obj, err := signer.Sign(payload)
	require.NoError(t, err)
	raw, err := obj.CompactSerialize()
	require.NoError(t, err)
	return raw
}

// idToken returns an ID token for subject with the given groups, valid for
// an hour from now, signed with the current key. Options change claims.
func (p *oidcProvider) idToken(t *testing.T, now time.Time, subject string, groups []string, change ...func(map[string]any)) string {
	t.Helper()
	claims := map[string]any{
		"iss":    p.URL,
		"aud":    oidcClientID,
		"sub":    subject,
		"name":   "User " + subject,
		"groups": groups,
		"iat":    now.Unix(),
		"exp":    now.Add(time.Hour).Unix(),
	}
	for _, c := range change {
		c(claims)
	}
	return p.sign(t, claims, nil, "")
}

const (
	oidcClientID    = "profilehooks-console"
	oidcAdminGroup  = "ph-admins"
	oidcViewerGroup = "ph-viewers"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Now().UTC().Truncate(time.Second)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// oidcEnv starts a server that accepts ID tokens of p (roles in the groups
// claim) besides the admin token, on clock.
func oidcEnv(t *testing.T, p *oidcProvider, clock *testClock, configure ...func(*server.Config)) *apitest.Env {
	t.Helper()
	return apitest.New(t, apitest.Options{Now: clock.Now, Configure: func(c *server.Config) {
		c.OIDC = server.OIDCConfig{
			Issuer: p.URL, ClientID: oidcClientID, RolesClaim: "groups",
			AdminValues: []string{oidcAdminGroup}, ViewerValues: []string{oidcViewerGroup, "ph-auditors"},
		}
		for _, f := range configure {
			f(c)
		}
	}})
}

// as returns a copy of env that sends token as its bearer credential.
func as(env *apitest.Env, token string) *apitest.Env {
	c := *env
	c.Token = token
	return &c
}

// createToken creates an API token through the API and returns its ID and
// secret.
func createToken(t *testing.T, env *apitest.Env, name, role string, expiresAt *time.Time) (id, token string) {
	t.Helper()
	input := map[string]any{"name": name, "role": role}
	if expiresAt != nil {
		input["expiresAt"] = expiresAt.Format(time.RFC3339)
	}
	var out struct {
		CreateAPIToken struct {
			Token    string
			APIToken struct{ ID string } `json:"apiToken"`
		} `json:"createApiToken"`
	}
	env.Must(t, `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id } } }`,
		map[string]any{"input": input}, &out)
	return out.CreateAPIToken.APIToken.ID, out.CreateAPIToken.Token
}

// post sends a GraphQL request with an Authorization header value (none
// when empty) and extra headers, and returns the response and its body.
func post(t *testing.T, env *apitest.Env, authorization, query string, header map[string]string) (*http.Response, apitest.Response) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := env.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := apitest.Response{Status: resp.StatusCode}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	}
	return resp, out
}

// errorCode returns the code of the only error of r, or "" when r has no
// errors.
func errorCode(t *testing.T, r apitest.Response) string {
	t.Helper()
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code()
}
