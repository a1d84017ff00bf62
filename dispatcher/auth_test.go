package dispatcher_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/credential/credentialtest"
	"github.com/profilehooks/profilehooks/dispatcher"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

func createCredential(t *testing.T, env *apitest.Env, input map[string]any) string {
	t.Helper()
	var out struct{ CreateWebhookCredential struct{ ID string } }
	env.Must(t, `mutation($input: CreateWebhookCredentialInput!) { createWebhookCredential(input: $input) { id } }`,
		map[string]any{"input": input}, &out)
	return out.CreateWebhookCredential.ID
}

func oauthCredential(t *testing.T, env *apitest.Env, tokens *credentialtest.TokenServer) string {
	t.Helper()
	return createCredential(t, env, map[string]any{
		"name": "HR OAuth", "type": "OAUTH2_CLIENT_CREDENTIALS", "tokenUrl": tokens.URL,
		"clientId": "profilehooks", "clientSecret": "client-secret-0123456789",
	})
}

// header returns the recorded value of a request header of a.
func header(a *ent.DeliveryAttempt, name string) string {
	for _, h := range a.RequestHeaders {
		if http.CanonicalHeaderKey(h.Name) == http.CanonicalHeaderKey(name) {
			return h.Value
		}
	}
	return ""
}

func TestOAuth2TokenIsSharedByEveryDelivery(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	tokens := credentialtest.NewTokenServer(t)
	rcv := tokens.NewReceiver(t)
	log := attempts(t, env)
	createHook(t, env, map[string]any{
		"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"}, "credentialId": oauthCredential(t, env, tokens),
	})
	const users = 8
	for i := range users {
		createUser(t, env, map[string]any{"email": fmt.Sprintf("u%d@example.com", i)})
	}
	for range users {
		a := nextAttempt(t, log)
		require.Equal(t, 200, *a.ResponseStatus)
		require.Equal(t, "[redacted]", header(a, "Authorization"))
	}
	require.Equal(t, 1, tokens.Count(), "one token for every delivery")
	for _, got := range rcv.Authorizations() {
		require.Equal(t, "Bearer tok-1", got)
	}
}

func TestStaleTokenIsRefreshedOnceWithinTheAttempt(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	tokens := credentialtest.NewTokenServer(t)
	rcv := tokens.NewReceiver(t)
	log := attempts(t, env)
	createHook(t, env, map[string]any{
		"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"}, "credentialId": oauthCredential(t, env, tokens),
	})
	createUser(t, env, map[string]any{"email": "first@example.com"})
	require.Equal(t, 200, *nextAttempt(t, log).ResponseStatus)

	// The receiver stops accepting tok-1 before it expires.
	tokens.Revoke()
	createUser(t, env, map[string]any{"email": "second@example.com"})
	a := nextAttempt(t, log)
	require.Equal(t, 1, a.Number, "the refresh and re-send are not a retry")
	require.Equal(t, 200, *a.ResponseStatus, "the attempt records the final answer")
	require.Nil(t, a.ErrorClass)
	dl := getDelivery(t, env, a.DeliveryID)
	require.Equal(t, schematype.DeliverySucceeded, dl.Status)
	require.Equal(t, 1, dl.AttemptCount)
	require.Equal(t, 2, tokens.Count())
	require.Equal(t, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}, rcv.Authorizations())
}

func TestReceiverRefusingAFreshTokenFailsAfterOneRefresh(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	tokens := credentialtest.NewTokenServer(t)
	rcv := apitest.NewReceiver(t)
	rcv.SetFallback(apitest.Answer{Status: http.StatusUnauthorized, Body: `{"error":"invalid_token"}`})
	log := attempts(t, env)
	createHook(t, env, map[string]any{
		"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"}, "credentialId": oauthCredential(t, env, tokens),
	})
	createUser(t, env, map[string]any{"email": "e@example.com"})
	a := nextAttempt(t, log)
	require.Equal(t, 401, *a.ResponseStatus)
	require.Equal(t, dispatcher.ClassHTTPStatus, *a.ErrorClass)
	dl := getDelivery(t, env, a.DeliveryID)
	require.Equal(t, schematype.DeliveryFailed, dl.Status, "401 fails at once, as without a credential")
	require.Equal(t, 1, dl.AttemptCount)
	require.Contains(t, dl.LastError, "401 Unauthorized after a token refresh")
	require.Equal(t, 2, tokens.Count(), "one refresh, not one per retry")
	require.Len(t, rcv.All(), 2)
}

func TestFailingTokenEndpointIsRetriedOnTheSchedule(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	tokens := credentialtest.NewTokenServer(t)
	rcv := tokens.NewReceiver(t)
	down := credentialtest.Failure{Status: http.StatusServiceUnavailable, Body: `{"error":"temporarily_unavailable"}`}
	// golang.org/x/oauth2 tries basic auth, then the client in the form.
	tokens.Fail(down, down)
	log := attempts(t, env)
	createHook(t, env, map[string]any{
		"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"}, "credentialId": oauthCredential(t, env, tokens),
	})
	createUser(t, env, map[string]any{"email": "e@example.com"})

	first := nextAttempt(t, log)
	require.Equal(t, dispatcher.ClassOAuthToken, *first.ErrorClass)
	require.Nil(t, first.ResponseStatus, "nothing was sent to the receiver")
	require.Contains(t, first.Error, "answered 503 Service Unavailable: temporarily_unavailable")
	require.NotContains(t, first.Error, "client-secret")
	require.Empty(t, rcv.Authorizations())

	second := nextAttempt(t, log)
	require.Equal(t, 2, second.Number)
	require.Equal(t, 200, *second.ResponseStatus)
	dl := getDelivery(t, env, second.DeliveryID)
	require.Equal(t, schematype.DeliverySucceeded, dl.Status)
	require.Equal(t, 2, dl.AttemptCount)
}

func TestStaticCredentialsAreSentAndRedacted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		input  map[string]any
		header string
		want   string
	}{
		{"bearer", map[string]any{"type": "BEARER", "token": "static-token-0001"}, "Authorization", "Bearer static-token-0001"},
		{"basic", map[string]any{"type": "BASIC", "username": "ada", "password": "s3cret"}, "Authorization", "Basic YWRhOnMzY3JldA=="},
		{"api key header", map[string]any{"type": "API_KEY_HEADER", "headerName": "X-Partner-Key", "token": "pk-0001"}, "X-Partner-Key", "pk-0001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, apitest.Options{})
			rcv := apitest.NewReceiver(t)
			log := attempts(t, env)
			tc.input["name"] = tc.name
			h := createHook(t, env, map[string]any{
				"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"}, "credentialId": createCredential(t, env, tc.input),
			})
			createUser(t, env, map[string]any{"email": "e@example.com"})
			got := rcv.Next(t, wait)
			require.Equal(t, tc.want, got.Header.Get(tc.header))
			verify(t, h.Secret, got.Header, got.Body)
			a := nextAttempt(t, log)
			require.Equal(t, 200, *a.ResponseStatus)
			require.Equal(t, "[redacted]", header(a, tc.header), "the attempt log hides the credential")
		})
	}
}

func TestTestProfileWebhookSendsTheCredential(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	tokens := credentialtest.NewTokenServer(t)
	rcv := tokens.NewReceiver(t)
	h := createHook(t, env, map[string]any{
		"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"}, "enabled": false, "credentialId": oauthCredential(t, env, tokens),
	})
	uid := createUser(t, env, map[string]any{"email": "e@example.com"})
	var out struct {
		TestProfileWebhook struct {
			ResponseStatus int
			RequestHeaders []struct{ Name, Value string }
		}
	}
	env.Must(t, `mutation($id: ID!, $user: ID!) { testProfileWebhook(id: $id, userId: $user, trigger: CREATE_USER) { responseStatus requestHeaders { name value } } }`,
		map[string]any{"id": h.ID, "user": uid}, &out)
	require.Equal(t, 200, out.TestProfileWebhook.ResponseStatus)
	require.Equal(t, []string{"Bearer tok-1"}, rcv.Authorizations())
	for _, hd := range out.TestProfileWebhook.RequestHeaders {
		require.NotContains(t, hd.Value, "tok-1")
	}
}

// Attempts are bounded by the webhook's timeout, token request included.
func TestSlowTokenEndpointTimesOutAsOAuthToken(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{RetrySchedule: []time.Duration{0}})
	tokens := credentialtest.NewTokenServer(t)
	rcv := tokens.NewReceiver(t)
	arrived, release := tokens.Hold()
	defer release()
	log := attempts(t, env)
	createHook(t, env, map[string]any{
		"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"}, "timeoutSeconds": 1, "credentialId": oauthCredential(t, env, tokens),
	})
	createUser(t, env, map[string]any{"email": "e@example.com"})
	<-arrived
	a := nextAttempt(t, log)
	release()
	require.Equal(t, dispatcher.ClassOAuthToken, *a.ErrorClass)
	require.Contains(t, a.Error, "no token in time")
	require.Equal(t, schematype.DeliveryFailed, getDelivery(t, env, a.DeliveryID).Status)
}
