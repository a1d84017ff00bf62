package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/apitest"
)

func TestAPITokens(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now})
	expires := clock.Now().Add(2 * time.Hour)
	id, token := createToken(t, env, "ci deploy", "VIEWER", &expires)

	require.True(t, strings.HasPrefix(token, "phk_"), token)
	require.Len(t, token, len("phk_")+43, "256 bits in unpadded base64url")
	require.True(t, strings.HasPrefix(id, "tok_"), id)

	// Only the hash is stored; the list shows a hint, never the token.
	row, err := env.DB.Client.APIToken.Get(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, access.HashToken(token), row.TokenHash)
	require.NotContains(t, row.String(), token)
	r := env.Do(t, `{ apiTokens(first: 10) { totalCount edges { node { id name role hint createdBy expiresAt lastUsedAt revokedAt } } } }`, nil)
	require.Empty(t, r.Errors)
	require.NotContains(t, string(r.Data), token)
	require.Contains(t, string(r.Data), `"hint":"`+token[len(token)-4:]+`"`)
	require.Contains(t, string(r.Data), `"createdBy":"admin-token"`)
	require.Contains(t, string(r.Data), `"lastUsedAt":null`)

	// The token works as a viewer: queries yes, mutations no.
	viewer := as(env, token)
	var me struct {
		Viewer struct{ Subject, Name, Role, Credential string }
	}
	viewer.Must(t, `{ viewer { subject name role credential } }`, nil, &me)
	require.Equal(t, id, me.Viewer.Subject)
	require.Equal(t, "ci deploy", me.Viewer.Name)
	require.Equal(t, "VIEWER", me.Viewer.Role)
	require.Equal(t, "API_TOKEN", me.Viewer.Credential)
	viewer.Fail(t, "FORBIDDEN", `mutation { createUser(input: {email: "x@example.com"}) { id } }`, nil)

	// An admin token may mutate.
	_, adminToken := createToken(t, env, "provisioning", "ADMIN", nil)
	as(env, adminToken).Must(t, `mutation { createUser(input: {email: "y@example.com"}) { id } }`, nil, nil)

	// Expired on the clock.
	clock.Advance(2 * time.Hour)
	r = viewer.Do(t, `{ viewer { subject } }`, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status)

	// Revoked at once, and revoking again changes nothing.
	var revoked struct {
		RevokeAPIToken struct{ RevokedAt *time.Time } `json:"revokeApiToken"`
	}
	env.Must(t, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, map[string]any{"id": id}, &revoked)
	require.NotNil(t, revoked.RevokeAPIToken.RevokedAt)
	first := *revoked.RevokeAPIToken.RevokedAt
	clock.Advance(time.Minute)
	env.Must(t, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, map[string]any{"id": id}, &revoked)
	require.True(t, first.Equal(*revoked.RevokeAPIToken.RevokedAt))
	env.Fail(t, "NOT_FOUND", `mutation { revokeApiToken(id: "tok_missing") { id } }`, nil)

	adminID, adminToken2 := createToken(t, env, "short-lived", "ADMIN", nil)
	as(env, adminToken2).Must(t, `{ viewer { subject } }`, nil, nil)
	env.Must(t, `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": adminID}, nil)
	r = as(env, adminToken2).Do(t, `{ viewer { subject } }`, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Equal(t, "UNAUTHENTICATED", errorCode(t, r))
}

func TestAPITokenValidation(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now})
	createToken(t, env, "taken", "ADMIN", nil)
	past := clock.Now().Add(-time.Second).Format(time.RFC3339)
	tests := []struct {
		name      string
		input     map[string]any
		wantCode  string
		wantField string
	}{
		{name: "empty name", input: map[string]any{"name": "  ", "role": "ADMIN"}, wantCode: "BAD_USER_INPUT", wantField: "input.name"},
		{name: "long name", input: map[string]any{"name": strings.Repeat("n", 101), "role": "ADMIN"}, wantCode: "BAD_USER_INPUT", wantField: "input.name"},
		{name: "expiry in the past", input: map[string]any{"name": "old", "role": "ADMIN", "expiresAt": past}, wantCode: "BAD_USER_INPUT", wantField: "input.expiresAt"},
		{name: "unknown role", input: map[string]any{"name": "r", "role": "OWNER"}, wantCode: "GRAPHQL_VALIDATION_FAILED"},
		{name: "name of an active token", input: map[string]any{"name": "taken", "role": "VIEWER"}, wantCode: "CONFLICT", wantField: "input.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := env.Fail(t, tt.wantCode, `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }`, map[string]any{"input": tt.input})
			require.Equal(t, tt.wantField, e.Field())
		})
	}
}

func TestAPITokenLastUsedAtIsWrittenOncePerMinute(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now})
	id, token := createToken(t, env, "poller", "VIEWER", nil)
	lastUsed := func() *time.Time {
		row, err := env.DB.Client.APIToken.Get(context.Background(), id)
		require.NoError(t, err)
		return row.LastUsedAt
	}
	require.Nil(t, lastUsed())
	viewer := as(env, token)

	start := clock.Now()
	viewer.Must(t, `{ viewer { subject } }`, nil, nil)
	require.NotNil(t, lastUsed())
	require.True(t, start.Equal(*lastUsed()))

	// Within the minute: no write.
	clock.Advance(30 * time.Second)
	viewer.Must(t, `{ viewer { subject } }`, nil, nil)
	require.True(t, start.Equal(*lastUsed()))

	clock.Advance(31 * time.Second)
	viewer.Must(t, `{ viewer { subject } }`, nil, nil)
	require.True(t, clock.Now().Equal(*lastUsed()))
}
