package credential_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/credential/credentialtest"
)

const createCredential = `mutation($input: CreateWebhookCredentialInput!) {
  createWebhookCredential(input: $input) { id name type tokenUrl clientId clientSecretHint username passwordHint scopes audience tokenHint headerName }
}`

type credentialData struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Type             string   `json:"type"`
	TokenURL         string   `json:"tokenUrl"`
	ClientID         string   `json:"clientId"`
	ClientSecretHint string   `json:"clientSecretHint"`
	Username         string   `json:"username"`
	PasswordHint     string   `json:"passwordHint"`
	Scopes           []string `json:"scopes"`
	Audience         string   `json:"audience"`
	TokenHint        string   `json:"tokenHint"`
	HeaderName       string   `json:"headerName"`
}

func create(t *testing.T, env *apitest.Env, input map[string]any) credentialData {
	t.Helper()
	var out struct{ CreateWebhookCredential credentialData }
	env.Must(t, createCredential, map[string]any{"input": input}, &out)
	return out.CreateWebhookCredential
}

func clientCredentialsInput(tokenURL string) map[string]any {
	return map[string]any{
		"name": "HR OAuth", "type": "OAUTH2_CLIENT_CREDENTIALS", "tokenUrl": tokenURL,
		"clientId": "profilehooks", "clientSecret": "cs-0123456789-WXYZ", "scopes": []string{"users:write"},
	}
}

func TestCreateWebhookCredentialValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	with := func(base map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	cc := clientCredentialsInput("https://auth.example.test/oauth/token")
	pw := map[string]any{"name": "P", "type": "OAUTH2_PASSWORD", "tokenUrl": "https://auth.example.test/token", "clientId": "c", "username": "u", "password": "p"}
	bearer := map[string]any{"name": "B", "type": "BEARER", "token": "t-123"}
	basic := map[string]any{"name": "Basic", "type": "BASIC", "username": "ada", "password": "pw"}
	apiKey := map[string]any{"name": "K", "type": "API_KEY_HEADER", "headerName": "X-Partner-Key", "token": "k-1"}

	for _, tc := range []struct {
		name  string
		input map[string]any
		field string // "" means valid
	}{
		{"client credentials", cc, ""},
		{"client credentials without scopes", with(cc, "scopes", nil), ""},
		{"client credentials with audience", with(cc, "audience", "https://api.example.test"), ""},
		{"token url missing", with(cc, "tokenUrl", nil), "input.tokenUrl"},
		{"token url relative", with(cc, "tokenUrl", "/oauth/token"), "input.tokenUrl"},
		{"token url ftp", with(cc, "tokenUrl", "ftp://auth.example.test/token"), "input.tokenUrl"},
		{"token url with credentials", with(cc, "tokenUrl", "https://a:b@auth.example.test/token"), "input.tokenUrl"},
		{"client id missing", with(cc, "clientId", nil), "input.clientId"},
		{"client secret missing", with(cc, "clientSecret", nil), "input.clientSecret"},
		{"client secret empty", with(cc, "clientSecret", ""), "input.clientSecret"},
		{"client credentials with a token", with(cc, "token", "x"), "input.token"},
		{"client credentials with a user", with(cc, "username", "u"), "input.username"},
		{"scope with a space", with(cc, "scopes", []string{"a b"}), "input.scopes[0]"},
		{"scope twice", with(cc, "scopes", []string{"a", "a"}), "input.scopes[1]"},
		{"name empty", with(cc, "name", " "), "input.name"},
		{"password grant", pw, ""},
		{"password grant with client secret", with(pw, "clientSecret", "s"), ""},
		{"password grant without password", with(pw, "password", nil), "input.password"},
		{"password grant without client", with(pw, "clientId", nil), "input.clientId"},
		{"password grant with audience", with(pw, "audience", "x"), "input.audience"},
		{"bearer", bearer, ""},
		{"bearer without token", with(bearer, "token", nil), "input.token"},
		{"bearer with line break", with(bearer, "token", "a\r\nX-Evil: 1"), "input.token"},
		{"bearer with trailing space", with(bearer, "token", "abc "), "input.token"},
		{"bearer with token url", with(bearer, "tokenUrl", "https://auth.example.test/token"), "input.tokenUrl"},
		{"bearer with header name", with(bearer, "headerName", "X-Key"), "input.headerName"},
		{"basic", basic, ""},
		{"basic without password", with(basic, "password", nil), "input.password"},
		{"basic user with colon", with(basic, "username", "a:b"), "input.username"},
		{"basic with scopes", with(basic, "scopes", []string{"a"}), "input.scopes"},
		{"api key header", apiKey, ""},
		{"api key without header", with(apiKey, "headerName", nil), "input.headerName"},
		{"api key without token", with(apiKey, "token", nil), "input.token"},
		{"api key header invalid", with(apiKey, "headerName", "X Key"), "input.headerName"},
		{"api key header reserved", with(apiKey, "headerName", "Content-Type"), "input.headerName"},
		{"api key header of the service", with(apiKey, "headerName", "Profilehooks-Event"), "input.headerName"},
		{"api key header signature", with(apiKey, "headerName", "webhook-signature"), "input.headerName"},
		{"api key in authorization", with(apiKey, "headerName", "Authorization"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.field == "" {
				require.NotEmpty(t, create(t, env, tc.input).ID)
				return
			}
			e := env.Fail(t, "BAD_USER_INPUT", createCredential, map[string]any{"input": tc.input})
			require.Equal(t, tc.field, e.Field(), e.Message)
		})
	}
}

func TestSecretsAreWriteOnly(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	in := map[string]any{
		"name": "Payroll", "type": "OAUTH2_PASSWORD", "tokenUrl": "https://auth.example.test/token",
		"clientId": "console", "clientSecret": "client-secret-0123456789", "username": "sync", "password": "pw-short",
	}
	c := create(t, env, in)
	require.Equal(t, "…6789", c.ClientSecretHint)
	require.Equal(t, "…", c.PasswordHint, "a short secret shows no characters")
	require.Empty(t, c.TokenHint)
	require.Equal(t, "OAUTH2_PASSWORD", c.Type)

	// No query returns a secret, in any shape.
	r := env.Do(t, `query { webhookCredentials(first: 10) { totalCount edges { node { id name clientSecretHint passwordHint } } } }`, nil)
	require.Empty(t, r.Errors)
	raw := string(r.Data)
	for _, s := range []string{"client-secret-0123456789", "pw-short"} {
		require.NotContains(t, raw, s)
	}
	for _, field := range []string{"clientSecret", "password", "token"} {
		r = env.Do(t, `query($id: ID!) { node(id: $id) { ... on WebhookCredential { `+field+` } } }`, map[string]any{"id": c.ID})
		require.NotEmpty(t, r.Errors, "%s must not be queryable", field)
	}

	// At rest the secrets are sealed.
	stored, err := env.DB.Client.WebhookCredential.Get(context.Background(), c.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(stored.ClientSecret, "v1:"))
	require.True(t, strings.HasPrefix(stored.Password, "v1:"))
	require.NotContains(t, stored.ClientSecret+stored.Password, "client-secret")
	blob, err := json.Marshal(stored)
	require.NoError(t, err)
	require.NotContains(t, string(blob), stored.ClientSecret, "sealed values stay out of JSON too")
}

func TestUpdateWebhookCredential(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	c := create(t, env, clientCredentialsInput("https://auth.example.test/token"))
	before, err := env.DB.Client.WebhookCredential.Get(context.Background(), c.ID)
	require.NoError(t, err)

	update := `mutation($id: ID!, $input: UpdateWebhookCredentialInput!) {
	  updateWebhookCredential(id: $id, input: $input) { id name clientSecretHint scopes audience tokenUrl }
	}`
	var out struct{ UpdateWebhookCredential credentialData }
	env.Must(t, update, map[string]any{"id": c.ID, "input": map[string]any{"name": "Renamed", "scopes": []string{}, "audience": "aud"}}, &out)
	got := out.UpdateWebhookCredential
	require.Equal(t, "Renamed", got.Name)
	require.Empty(t, got.Scopes)
	require.Equal(t, "aud", got.Audience)
	require.Equal(t, "…WXYZ", got.ClientSecretHint, "a secret left out is kept")
	after, err := env.DB.Client.WebhookCredential.Get(context.Background(), c.ID)
	require.NoError(t, err)
	require.Equal(t, before.ClientSecret, after.ClientSecret)
	require.Equal(t, before.Version+1, after.Version, "every change makes a new version")

	env.Must(t, update, map[string]any{"id": c.ID, "input": map[string]any{"clientSecret": "another-secret-9876", "audience": ""}}, &out)
	require.Equal(t, "…9876", out.UpdateWebhookCredential.ClientSecretHint)
	require.Empty(t, out.UpdateWebhookCredential.Audience, "an empty string clears")

	// The result is validated as a whole.
	e := env.Fail(t, "BAD_USER_INPUT", update, map[string]any{"id": c.ID, "input": map[string]any{"clientSecret": ""}})
	require.Equal(t, "input.clientSecret", e.Field())
	e = env.Fail(t, "BAD_USER_INPUT", update, map[string]any{"id": c.ID, "input": map[string]any{"token": "t"}})
	require.Equal(t, "input.token", e.Field())
	env.Fail(t, "NOT_FOUND", update, map[string]any{"id": "wcr_missing", "input": map[string]any{"name": "x"}})
}

func TestDeleteIsRefusedWhileAWebhookUsesTheCredential(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	c := create(t, env, map[string]any{"name": "B", "type": "BEARER", "token": "static-token-0001"})

	e := env.Fail(t, "BAD_USER_INPUT", `mutation($input: CreateProfileWebhookInput!) { createProfileWebhook(input: $input) { signingSecret } }`,
		map[string]any{"input": map[string]any{"name": "HR", "url": "https://hr.example.test/hook", "triggers": []string{"CREATE_USER"}, "credentialId": "wcr_missing"}})
	require.Equal(t, "input.credentialId", e.Field())

	var created struct {
		CreateProfileWebhook struct {
			ProfileWebhook struct {
				ID         string
				Credential struct{ ID, Name, TokenHint string }
			}
		}
	}
	env.Must(t, `mutation($input: CreateProfileWebhookInput!) { createProfileWebhook(input: $input) { profileWebhook { id credential { id name tokenHint } } } }`,
		map[string]any{"input": map[string]any{"name": "HR", "url": "https://hr.example.test/hook", "triggers": []string{"CREATE_USER"}, "credentialId": c.ID}}, &created)
	hook := created.CreateProfileWebhook.ProfileWebhook
	require.Equal(t, c.ID, hook.Credential.ID)
	require.Equal(t, "…0001", hook.Credential.TokenHint)

	var used struct {
		WebhookCredentials struct {
			Edges []struct {
				Node struct {
					Webhooks struct{ TotalCount int }
				}
			}
		}
	}
	env.Must(t, `query($id: ID!) { webhookCredentials(first: 1, where: {id: $id}) { edges { node { webhooks { totalCount } } } } }`, map[string]any{"id": c.ID}, &used)
	require.Len(t, used.WebhookCredentials.Edges, 1)
	require.Equal(t, 1, used.WebhookCredentials.Edges[0].Node.Webhooks.TotalCount)

	del := `mutation($id: ID!) { deleteWebhookCredential(id: $id) }`
	e = env.Fail(t, "CONFLICT", del, map[string]any{"id": c.ID})
	require.Contains(t, e.Message, hook.ID)

	// Detaching the credential (an empty ID) lets it go.
	var upd struct {
		UpdateProfileWebhook struct{ Credential *struct{ ID string } }
	}
	env.Must(t, `mutation($id: ID!) { updateProfileWebhook(id: $id, input: {credentialId: ""}) { credential { id } } }`, map[string]any{"id": hook.ID}, &upd)
	require.Nil(t, upd.UpdateProfileWebhook.Credential)
	var deleted struct{ DeleteWebhookCredential string }
	env.Must(t, del, map[string]any{"id": c.ID}, &deleted)
	require.Equal(t, c.ID, deleted.DeleteWebhookCredential)
	env.Fail(t, "NOT_FOUND", del, map[string]any{"id": c.ID})
}

func TestTestWebhookCredential(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	tokens := credentialtest.NewTokenServer(t)
	good := create(t, env, clientCredentialsInput(tokens.URL))
	static := create(t, env, map[string]any{"name": "K", "type": "API_KEY_HEADER", "headerName": "X-Key", "token": "k"})

	test := `mutation($id: ID!) { testWebhookCredential(id: $id) { ok error } }`
	type result struct {
		TestWebhookCredential struct {
			OK    bool `json:"ok"`
			Error *string
		}
	}
	var out result
	env.Must(t, test, map[string]any{"id": good.ID}, &out)
	require.True(t, out.TestWebhookCredential.OK)
	require.Nil(t, out.TestWebhookCredential.Error)
	require.Equal(t, 1, tokens.Count())

	bad := `{"error":"invalid_client","error_description":"client authentication failed"}`
	tokens.Fail(credentialtest.Failure{Status: 401, Body: bad}, credentialtest.Failure{Status: 401, Body: bad})
	out = result{}
	env.Must(t, test, map[string]any{"id": good.ID}, &out)
	require.False(t, out.TestWebhookCredential.OK)
	require.NotNil(t, out.TestWebhookCredential.Error)
	require.Contains(t, *out.TestWebhookCredential.Error, "invalid_client (client authentication failed)")

	out = result{}
	env.Must(t, test, map[string]any{"id": static.ID}, &out)
	require.True(t, out.TestWebhookCredential.OK)
	env.Fail(t, "NOT_FOUND", test, map[string]any{"id": "wcr_missing"})
}

func TestTestWebhookCredentialAppliesTheSSRFGuard(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{BlockPrivateTargets: true})
	tokens := credentialtest.NewTokenServer(t)
	c := create(t, env, clientCredentialsInput(tokens.URL))
	var out struct {
		TestWebhookCredential struct {
			OK    bool `json:"ok"`
			Error *string
		}
	}
	env.Must(t, `mutation($id: ID!) { testWebhookCredential(id: $id) { ok error } }`, map[string]any{"id": c.ID}, &out)
	require.False(t, out.TestWebhookCredential.OK)
	require.Contains(t, *out.TestWebhookCredential.Error, "destination address not allowed")
	require.Zero(t, tokens.Count())
}
