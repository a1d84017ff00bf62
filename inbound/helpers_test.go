package inbound_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/profileevent"
)

// endpoint is an incoming endpoint made by createEndpoint.
type endpoint struct {
	ID     string
	URL    string
	Secret string // the whsec_ HMAC secret
}

// payroll are the input parameters most tests use.
var payroll = []map[string]any{
	{"apiField": "emp.id", "profileField": "employeeId", "userIdentifier": true},
	{"apiField": "emp.mail", "profileField": "email", "userIdentifier": true},
	{"apiField": "emp.title", "profileField": "jobTitle"},
	{"apiField": "emp.active", "profileField": "active"},
	{"apiField": "lastName", "profileField": "lastName"},
}

// createEndpoint creates an endpoint with the payroll rows; overrides
// replace input fields.
func createEndpoint(t testing.TB, env *apitest.Env, overrides map[string]any) endpoint {
	t.Helper()
	input := map[string]any{"name": "Payroll", "inputParameters": payroll, "onUnknownUser": "CREATE"}
	for k, v := range overrides {
		input[k] = v
	}
	var out struct {
		CreateInboundEndpoint struct {
			SigningSecret   string
			InboundEndpoint struct{ ID, URL string }
		}
	}
	env.Must(t, `mutation($input: CreateInboundEndpointInput!) { createInboundEndpoint(input: $input) { signingSecret inboundEndpoint { id url } } }`,
		map[string]any{"input": input}, &out)
	c := out.CreateInboundEndpoint
	return endpoint{ID: c.InboundEndpoint.ID, URL: c.InboundEndpoint.URL, Secret: c.SigningSecret}
}

// oauthEndpoint creates an OAUTH2 endpoint and a client token for it.
func oauthEndpoint(t testing.TB, env *apitest.Env, overrides map[string]any) (endpoint, string) {
	t.Helper()
	ep := createEndpoint(t, env, overrides)
	c := env.CreateOAuthClient(t, "Payroll client", ep.ID)
	return ep, env.OAuthToken(t, c.ClientID, c.ClientSecret)
}

func createUser(t testing.TB, env *apitest.Env, input map[string]any) string {
	t.Helper()
	var out struct{ CreateUser struct{ ID string } }
	env.Must(t, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, map[string]any{"input": input}, &out)
	return out.CreateUser.ID
}

// state is what a failed request must leave untouched: every user's
// version and active flag, the events and the deliveries.
type state struct {
	Users      map[string]int64
	Events     int
	Deliveries int
}

func snapshot(t testing.TB, env *apitest.Env) state {
	t.Helper()
	ctx := context.Background()
	users, err := env.DB.Client.User.Query().All(ctx)
	require.NoError(t, err)
	s := state{Users: map[string]int64{}}
	for _, u := range users {
		s.Users[u.ID] = u.Version
	}
	s.Events, err = env.DB.Client.ProfileEvent.Query().Count(ctx)
	require.NoError(t, err)
	s.Deliveries, err = env.DB.Client.Delivery.Query().Count(ctx)
	require.NoError(t, err)
	return s
}

// events returns the user's events, oldest first.
func events(t testing.TB, env *apitest.Env, userID string) []*ent.ProfileEvent {
	t.Helper()
	evs, err := env.DB.Client.ProfileEvent.Query().
		Where(profileevent.UserID(userID)).
		Order(ent.Asc(profileevent.FieldOccurredAt), ent.Asc(profileevent.FieldID)).
		All(context.Background())
	require.NoError(t, err)
	return evs
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
