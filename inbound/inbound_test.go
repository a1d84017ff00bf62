package inbound_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/server"
)

func TestObjectCreatesUpdatesAndActivates(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	post := func(body string) apitest.InboundResponse {
		t.Helper()
		r := env.Inbound(t, ep.URL, []byte(body), apitest.Bearer(token)...)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Len(t, r.Results, 1)
		require.Nil(t, r.Results[0].Error)
		return r
	}

	// Unknown under CREATE: created from the mapped fields; the rest is
	// listed as ignored.
	r := post(`{"emp": {"id": "E1", "mail": "Ada@Example.com", "title": "Engineer", "age": 36}, "source": {"system": "hr"}}`)
	created := r.Results[0]
	require.Equal(t, "created", created.Status)
	require.Equal(t, []string{"active", "email", "employeeId", "jobTitle"}, created.ChangedFields)
	require.Equal(t, []string{"emp.age", "source"}, created.IgnoredFields)
	u, err := env.DB.Client.User.Get(context.Background(), created.UserID)
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", *u.Email)
	require.True(t, u.Active)
	evs := events(t, env, u.ID)
	require.Len(t, evs, 1)
	require.Equal(t, schematype.TriggerCreateUser, evs[0].Trigger)
	require.Equal(t, schematype.SourceInboundEndpoint, evs[0].Source)
	require.Equal(t, ep.ID, evs[0].SourceID)

	// Known: updated; a JSON number keeps its digits; null clears.
	r = post(`{"emp": {"id": "E1", "title": 42}, "lastName": null}`)
	require.Equal(t, apitest.InboundResult{UserID: u.ID, Status: "updated", ChangedFields: []string{"jobTitle"}, IgnoredFields: []string{}}, r.Results[0])
	u, err = env.DB.Client.User.Get(context.Background(), u.ID)
	require.NoError(t, err)
	require.Equal(t, "42", *u.JobTitle)

	// The same again changes nothing and records no event.
	r = post(`{"emp": {"id": "E1", "title": 42}}`)
	require.Equal(t, "unchanged", r.Results[0].Status)
	require.Empty(t, r.Results[0].ChangedFields)
	require.Len(t, events(t, env, u.ID), 2)

	// A later identifier row finds the user when the first has no value;
	// active deactivates through SetActive.
	r = post(`{"emp": {"mail": "ada@example.com", "active": false}}`)
	require.Equal(t, apitest.InboundResult{UserID: u.ID, Status: "updated", ChangedFields: []string{"active"}, IgnoredFields: []string{}}, r.Results[0])
	evs = events(t, env, u.ID)
	require.Len(t, evs, 3)
	require.Equal(t, schematype.TriggerActivateDeactivateUser, evs[2].Trigger)
	require.Equal(t, schematype.EventUserDeactivated, evs[2].Type)
	require.Equal(t, ep.ID, evs[2].SourceID)

	// A profile change and an activation in one object: two events.
	r = post(`{"emp": {"id": "E1", "title": "Lead", "active": "true"}}`)
	require.Equal(t, []string{"active", "jobTitle"}, r.Results[0].ChangedFields)
	evs = events(t, env, u.ID)
	require.Len(t, evs, 5)
	require.Equal(t, schematype.EventUserUpdated, evs[3].Type)
	require.Equal(t, schematype.EventUserActivated, evs[4].Type)
}

func TestErrorsWriteNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{Configure: func(c *server.Config) { c.InboundMaxBody = 64 << 10 }})
	ep, token := oauthEndpoint(t, env, map[string]any{"onUnknownUser": "REJECT"})
	_, otherToken := oauthEndpoint(t, env, nil)
	disabled := createEndpoint(t, env, map[string]any{"enabled": false})
	disabledClient := env.CreateOAuthClient(t, "Disabled", disabled.ID)
	disabledToken := env.OAuthToken(t, disabledClient.ClientID, disabledClient.ClientSecret)
	ada := createUser(t, env, map[string]any{"employeeId": "E1", "email": "ada@example.com"})
	createUser(t, env, map[string]any{"employeeId": "E2", "email": "grace@example.com"})
	auth := apitest.Bearer(token)

	tests := []struct {
		name   string
		url    string
		body   string
		header []string
		status int
		code   string
		field  string
	}{
		{name: "malformed JSON", body: `{"emp": {"id": "E1"`, header: auth, status: 400, code: "invalid_json"},
		{name: "trailing data", body: `{"emp": {"id": "E1"}} {}`, header: auth, status: 400, code: "invalid_json"},
		{name: "empty body", body: ``, header: auth, status: 400, code: "invalid_json"},
		{name: "not JSON", body: `emp.id=E1`, header: append([]string{"Content-Type", "application/x-www-form-urlencoded"}, auth...), status: 415, code: "unsupported_media_type"},
		{name: "no content type", body: `{}`, header: append([]string{"Content-Type", ""}, auth...), status: 415, code: "unsupported_media_type"},
		{name: "no credentials", body: `{"emp": {"id": "E1", "title": "x"}}`, status: 401, code: "unauthenticated"},
		{name: "bad token", body: `{"emp": {"id": "E1", "title": "x"}}`, header: apitest.Bearer("not.a.token"), status: 401, code: "unauthenticated"},
		{name: "basic instead of bearer", body: `{"emp": {"id": "E1", "title": "x"}}`, header: []string{"Authorization", "Basic dXNlcjpwYXNz"}, status: 401, code: "unauthenticated"},
		{name: "client of another endpoint", body: `{"emp": {"id": "E1", "title": "x"}}`, header: apitest.Bearer(otherToken), status: 403, code: "forbidden"},
		{name: "endpoint disabled", url: disabled.URL, body: `{"emp": {"id": "E1", "title": "x"}}`, header: apitest.Bearer(disabledToken), status: 403, code: "endpoint_disabled"},
		{name: "unknown endpoint", url: "https://hooks.example.test/inbound/nope", body: `{"emp": {"id": "E1"}}`, header: auth, status: 404, code: "not_found"},
		{name: "body over the limit", body: `{"emp": {"id": "E1", "title": "` + strings.Repeat("x", 65<<10) + `"}}`, header: auth, status: 413, code: "payload_too_large"},
		{name: "batch over 1000 objects", body: "[" + strings.Repeat(`{},`, 1000) + `{}]`, header: auth, status: 413, code: "too_many_objects"},
		{name: "a scalar", body: `"E1"`, header: auth, status: 422, code: "invalid_payload"},
		{name: "no identifier value", body: `{"emp": {"title": "x", "id": null, "mail": " "}}`, header: auth, status: 422, code: "no_identifier", field: "emp.id"},
		{name: "invalid identifier", body: `{"emp": {"mail": "not-an-email", "title": "x"}}`, header: auth, status: 422, code: "invalid_value", field: "emp.mail"},
		{name: "invalid value", body: `{"emp": {"id": "E1", "title": {"text": "x"}}}`, header: auth, status: 422, code: "invalid_value", field: "emp.title"},
		{name: "value too long", body: `{"emp": {"id": "E1", "title": "` + strings.Repeat("x", 2000) + `"}}`, header: auth, status: 422, code: "invalid_value", field: "emp.title"},
		{name: "invalid active", body: `{"emp": {"id": "E1", "active": "maybe"}}`, header: auth, status: 422, code: "invalid_value", field: "emp.active"},
		{name: "unknown user under REJECT", body: `{"emp": {"id": "E9", "title": "x"}}`, header: auth, status: 422, code: "user_not_found", field: "emp.id"},
		{name: "identifiers of two users", body: `{"emp": {"id": "E1", "mail": "grace@example.com", "title": "x"}}`, header: auth, status: 409, code: "identifier_conflict", field: "emp.mail"},
		{name: "identifier of another user after one of nobody", body: `{"emp": {"id": "E9", "mail": "grace@example.com"}}`, header: auth, status: 409, code: "identifier_conflict", field: "emp.mail"},
		{name: "bad atomic", url: "?atomic=perhaps", body: `[{"emp": {"id": "E1", "title": "x"}}]`, header: auth, status: 400, code: "invalid_request", field: "atomic"},
		{name: "bad idempotency key", body: `{"emp": {"id": "E1", "title": "x"}}`, header: append([]string{"Idempotency-Key", strings.Repeat("k", 300)}, auth...), status: 400, code: "invalid_request", field: "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, env)
			url := ep.URL
			switch {
			case strings.HasPrefix(tt.url, "?"):
				url += tt.url
			case tt.url != "":
				url = tt.url
			}
			r := env.Inbound(t, url, []byte(tt.body), tt.header...)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			require.NotNil(t, r.Error, "%s", r.Body)
			require.Equal(t, tt.code, r.Error.Code, "%s", r.Body)
			require.NotEmpty(t, r.Error.Message)
			if tt.field == "" {
				require.Nil(t, r.Error.Field, "%s", r.Body)
			} else {
				require.NotNil(t, r.Error.Field, "%s", r.Body)
				require.Equal(t, tt.field, *r.Error.Field)
			}
			if tt.status == http.StatusUnauthorized && tt.header == nil {
				require.Equal(t, `Bearer realm="profilehooks"`, r.Header.Get("WWW-Authenticate"))
			}
			require.Equal(t, before, snapshot(t, env), "nothing may change")
		})
	}
	// A valid request still works afterwards.
	r := env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "title": "x"}}`), auth...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, ada, r.Results[0].UserID)
}

func TestBatchAppliesTheValidObjects(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	ada := createUser(t, env, map[string]any{"employeeId": "E1", "email": "ada@example.com"})
	body := `[
	  {"emp": {"id": "E1", "title": "Engineer"}},
	  {"emp": {"mail": "bad"}},
	  "not an object",
	  {"emp": {"id": "E2", "mail": "grace@example.com"}},
	  {"emp": {"id": "E3", "mail": "ada@example.com"}}
	]`
	before := snapshot(t, env)
	r := env.Inbound(t, ep.URL, []byte(body), apitest.Bearer(token)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Len(t, r.Results, 5)
	require.Equal(t, "updated", r.Results[0].Status)
	require.Equal(t, ada, r.Results[0].UserID)
	require.Equal(t, "invalid_value", r.Results[1].Error.Code)
	require.Equal(t, "emp.mail", *r.Results[1].Error.Field)
	require.Equal(t, "invalid_payload", r.Results[2].Error.Code)
	require.Equal(t, "created", r.Results[3].Status)
	require.Equal(t, "identifier_conflict", r.Results[4].Error.Code)
	after := snapshot(t, env)
	require.Len(t, after.Users, len(before.Users)+1, "only grace is new")
	require.Equal(t, before.Events+2, after.Events, "one update, one creation")
	for i, res := range r.Results {
		if res.Error != nil {
			require.Empty(t, res.UserID, "object %d", i)
			require.Empty(t, res.Status, "object %d", i)
		}
	}
}

func TestAtomicBatchIsAllOrNothing(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	createUser(t, env, map[string]any{"employeeId": "E1", "email": "ada@example.com"})
	before := snapshot(t, env)
	body := `[{"emp": {"id": "E1", "title": "Engineer"}}, {"emp": {"id": "E2", "mail": "grace@example.com"}}, {"emp": {"id": "E3", "mail": "nope"}}]`
	r := env.Inbound(t, ep.URL+"?atomic=true", []byte(body), apitest.Bearer(token)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	require.Equal(t, "invalid_value", r.Error.Code)
	require.Equal(t, "emp.mail", *r.Error.Field)
	require.Equal(t, 2, *r.Error.Index)
	require.Equal(t, before, snapshot(t, env), "an atomic batch that fails writes nothing")

	good := `[{"emp": {"id": "E1", "title": "Engineer"}}, {"emp": {"id": "E2", "mail": "grace@example.com"}}]`
	r = env.Inbound(t, ep.URL+"?atomic=true", []byte(good), apitest.Bearer(token)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "updated", r.Results[0].Status)
	require.Equal(t, "created", r.Results[1].Status)
	require.Equal(t, before.Events+2, snapshot(t, env).Events)
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	replica := env.Replica(t)
	headers := func(key string) []string { return append([]string{"Idempotency-Key", key}, apitest.Bearer(token)...) }
	body := []byte(`{"emp": {"id": "E1", "mail": "ada@example.com", "title": "Engineer"}}`)

	first := env.Inbound(t, ep.URL, body, headers("k-1")...)
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Body)
	require.Equal(t, "created", first.Results[0].Status)
	require.Empty(t, first.Header.Get("Idempotent-Replayed"))
	after := snapshot(t, env)

	// The same key and body, on this replica or another: the first answer,
	// nothing applied again.
	for _, e := range []*apitest.Env{env, replica} {
		again := e.Inbound(t, ep.URL, body, headers("k-1")...)
		require.Equal(t, first.Status, again.Status)
		require.JSONEq(t, string(first.Body), string(again.Body))
		require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		require.Equal(t, after, snapshot(t, env))
	}

	// The same key with another body is refused.
	other := env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "title": "Lead"}}`), headers("k-1")...)
	require.Equal(t, http.StatusUnprocessableEntity, other.Status, "%s", other.Body)
	require.Equal(t, "idempotency_key_reused", other.Error.Code)
	require.Equal(t, after, snapshot(t, env))

	// Error answers are kept too; another key is another request.
	bad := []byte(`{"emp": {"mail": "nope"}}`)
	r1 := env.Inbound(t, ep.URL, bad, headers("k-2")...)
	require.Equal(t, http.StatusUnprocessableEntity, r1.Status)
	r2 := replica.Inbound(t, ep.URL, bad, headers("k-2")...)
	require.Equal(t, http.StatusUnprocessableEntity, r2.Status)
	require.Equal(t, "true", r2.Header.Get("Idempotent-Replayed"))
	r3 := env.Inbound(t, ep.URL, body, headers("k-3")...)
	require.Equal(t, "unchanged", r3.Results[0].Status)
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clock := newClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now, Configure: func(c *server.Config) {
		c.InboundRateLimit, c.InboundBurst = 1, 2
	}})
	ep, token := oauthEndpoint(t, env, nil)
	body := []byte(`{"emp": {"id": "E1", "mail": "ada@example.com"}}`)
	for range 2 {
		require.Equal(t, http.StatusOK, env.Inbound(t, ep.URL, body, apitest.Bearer(token)...).Status)
	}
	before := snapshot(t, env)
	r := env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "title": "x"}}`), apitest.Bearer(token)...)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	require.Equal(t, "rate_limited", r.Error.Code)
	require.Equal(t, "1", r.Header.Get("Retry-After"))
	require.Equal(t, before, snapshot(t, env))

	// Another endpoint has a bucket of its own.
	other, otherToken := oauthEndpoint(t, env, nil)
	require.Equal(t, http.StatusOK, env.Inbound(t, other.URL, body, apitest.Bearer(otherToken)...).Status)

	clock.Advance(1100 * time.Millisecond)
	require.Equal(t, http.StatusOK, env.Inbound(t, ep.URL, body, apitest.Bearer(token)...).Status)
}

func TestAllowlist(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		list   []string
		status int
	}{
		{name: "empty allows all", status: http.StatusOK},
		{name: "loopback listed", list: []string{"10.0.0.0/8", "127.0.0.0/8"}, status: http.StatusOK},
		{name: "loopback not listed", list: []string{"10.0.0.0/8", "::1/128"}, status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, apitest.Options{InboundSettings: settingsWith(t, tt.list, nil)})
			ep, token := oauthEndpoint(t, env, nil)
			before := snapshot(t, env)
			r := env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "mail": "ada@example.com"}}`), apitest.Bearer(token)...)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			if tt.status == http.StatusForbidden {
				require.Equal(t, "address_not_allowed", r.Error.Code)
				require.Equal(t, before, snapshot(t, env))
			}
		})
	}
}

func TestLinkedWebhooksDoNotGetTheirOwnChanges(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	hook := func(name string) string {
		var out struct {
			CreateProfileWebhook struct{ ProfileWebhook struct{ ID string } }
		}
		env.Must(t, `mutation($input: CreateProfileWebhookInput!) { createProfileWebhook(input: $input) { profileWebhook { id } } }`,
			map[string]any{"input": map[string]any{"name": name, "url": "http://127.0.0.1:9/hook", "enabled": false,
				"triggers": []string{"CREATE_USER", "UPDATE_USER_PROFILE"}}}, &out)
		return out.CreateProfileWebhook.ProfileWebhook.ID
	}
	payrollHook, hr := hook("Payroll"), hook("HR")
	// Enabled only now, with the dispatcher unable to reach them: the
	// deliveries stay in the outbox where the test can see them.
	for _, id := range []string{payrollHook, hr} {
		env.Must(t, `mutation($id: ID!) { updateProfileWebhook(id: $id, input: {enabled: true}) { id } }`, map[string]any{"id": id}, nil)
	}
	e := env.Fail(t, "BAD_USER_INPUT", `mutation($input: CreateInboundEndpointInput!) { createInboundEndpoint(input: $input) { signingSecret } }`,
		map[string]any{"input": map[string]any{"name": "x", "inputParameters": payroll, "linkedWebhookIds": []string{payrollHook, "whk_nope"}}})
	require.Equal(t, "input.linkedWebhookIds[1]", e.Field())

	ep, token := oauthEndpoint(t, env, map[string]any{"linkedWebhookIds": []string{payrollHook}})
	var got struct {
		Node struct{ LinkedWebhookIds []string }
	}
	env.Must(t, `query($id: ID!) { node(id: $id) { ... on InboundEndpoint { linkedWebhookIds } } }`, map[string]any{"id": ep.ID}, &got)
	require.Equal(t, []string{payrollHook}, got.Node.LinkedWebhookIds)

	r := env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "mail": "ada@example.com"}}`), apitest.Bearer(token)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, []string{hr}, deliveryWebhooks(t, env, r.Results[0].UserID), "the change came from payroll: only HR hears of it")

	// A change made by an admin goes to both.
	env.Must(t, `mutation($id: ID!) { updateUserProfile(id: $id, input: {jobTitle: "Lead"}) { id } }`, map[string]any{"id": r.Results[0].UserID}, nil)
	require.ElementsMatch(t, []string{hr, hr, payrollHook}, deliveryWebhooks(t, env, r.Results[0].UserID))

	// Unlinking makes payroll hear of endpoint changes again.
	env.Must(t, `mutation($id: ID!) { updateInboundEndpoint(id: $id, input: {linkedWebhookIds: []}) { id } }`, map[string]any{"id": ep.ID}, nil)
	r = env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "title": "CTO"}}`), apitest.Bearer(token)...)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.ElementsMatch(t, []string{hr, hr, hr, payrollHook, payrollHook}, deliveryWebhooks(t, env, r.Results[0].UserID))
}

func TestInboundLogRecordsEveryRequest(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	c := env.CreateOAuthClient(t, "Logged", ep.ID)
	tok := env.OAuthToken(t, c.ClientID, c.ClientSecret)
	ok := env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "mail": "ada@example.com", "title": "Eng"}}`), apitest.Bearer(tok)...)
	require.Equal(t, http.StatusOK, ok.Status)
	bad := env.Inbound(t, ep.URL, []byte(`{"emp": {"mail": "x"}}`), apitest.Bearer(token)...)
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	unauth := env.Inbound(t, ep.URL, []byte(`{"secret": "do not keep"}`))
	require.Equal(t, http.StatusUnauthorized, unauth.Status)

	var out struct {
		Node struct {
			Requests struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Status        int
						Client        *string
						RemoteAddr    string
						UserIds       []string
						ChangedFields []string
						Error         *string
						Body          string
						Objects       int
						Endpoint      struct{ ID string }
					}
				}
			}
		}
	}
	env.Must(t, `query($id: ID!) { node(id: $id) { ... on InboundEndpoint {
	  requests(first: 10, orderBy: {field: RECEIVED_AT, direction: ASC}) { totalCount edges { node {
	    status client remoteAddr userIds changedFields error body objects endpoint { id } } } } } } }`,
		map[string]any{"id": ep.ID}, &out)
	reqs := out.Node.Requests
	require.Equal(t, 3, reqs.TotalCount)
	first := reqs.Edges[0].Node
	require.Equal(t, 200, first.Status)
	require.Equal(t, c.ID, *first.Client)
	require.Equal(t, "127.0.0.1", first.RemoteAddr)
	require.Equal(t, []string{ok.Results[0].UserID}, first.UserIds)
	require.Equal(t, []string{"active", "email", "employeeId", "jobTitle"}, first.ChangedFields)
	require.Contains(t, first.Body, `"title": "Eng"`)
	require.Equal(t, 1, first.Objects)
	require.Equal(t, ep.ID, first.Endpoint.ID)
	second := reqs.Edges[1].Node
	require.Equal(t, 422, second.Status)
	require.Contains(t, *second.Error, "invalid_value")
	third := reqs.Edges[2].Node
	require.Equal(t, 401, third.Status)
	require.Empty(t, third.Body, "bodies of unauthenticated requests are not kept")
}

// deliveryWebhooks lists the webhook of every delivery of the user.
func deliveryWebhooks(t *testing.T, env *apitest.Env, userID string) []string {
	t.Helper()
	ds, err := env.DB.Client.Delivery.Query().All(context.Background())
	require.NoError(t, err)
	var out []string
	for _, d := range ds {
		if d.UserID == userID {
			out = append(out, d.WebhookID)
		}
	}
	return sorted(out)
}

func TestBatchOfManyObjects(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	var b strings.Builder
	b.WriteString("[")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"emp": {"id": "E%d", "mail": "u%d@example.com"}}`, i, i)
	}
	b.WriteString("]")
	r := env.Inbound(t, ep.URL, []byte(b.String()), apitest.Bearer(token)...)
	require.Equal(t, http.StatusOK, r.Status)
	require.Len(t, r.Results, 1000)
	for _, res := range r.Results {
		require.Equal(t, "created", res.Status)
	}
	require.Len(t, snapshot(t, env).Users, 1000)
}

// TestInboundLogReachesSubscribersOnEveryReplica: on PostgreSQL, a live
// inbound-log subscriber on one replica sees the requests another replica
// logged (announced with NOTIFY in the logging transaction), and its own.
func TestInboundLogReachesSubscribersOnEveryReplica(t *testing.T) {
	t.Parallel()
	if !apitest.Postgres() {
		t.Skip("replicas share a PostgreSQL database")
	}
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	replica := env.Replica(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	live := replica.Server.Inbound().Subscribe(ctx, &ep.ID)
	var sent []string
	for i, e := range []*apitest.Env{env, replica, env} {
		body := fmt.Sprintf(`{"emp": {"id": "E%d", "mail": "e%d@example.com"}}`, i, i)
		require.Equal(t, http.StatusOK, e.Inbound(t, ep.URL, []byte(body), apitest.Bearer(token)...).Status)
		sent = append(sent, body)
	}
	var got []string
	for range sent {
		select {
		case r := <-live:
			got = append(got, r.Body)
		case <-time.After(5 * time.Second):
			require.FailNow(t, "the subscriber on the replica missed a request", "got %d of %d", len(got), len(sent))
		}
	}
	require.ElementsMatch(t, sent, got)
}
