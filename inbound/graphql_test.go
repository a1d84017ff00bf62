package inbound_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

const testEndpoint = `mutation($id: ID!, $payload: JSON!, $dryRun: Boolean) {
  testInboundEndpoint(id: $id, payload: $payload, dryRun: $dryRun) {
    dryRun status user { id jobTitle active }
    mappedValues { apiField profileField present value }
    changes { profileField from to }
    changedFields ignoredFields
    error { code message field }
  }
}`

type testResult struct {
	TestInboundEndpoint struct {
		DryRun bool
		Status *string
		User   *struct {
			ID       string
			JobTitle *string
			Active   bool
		}
		MappedValues []struct {
			APIField, ProfileField string
			Present                bool
			Value                  any
		}
		Changes []struct {
			ProfileField string
			From, To     any
		}
		ChangedFields []string
		IgnoredFields []string
		Error         *struct {
			Code, Message string
			Field         *string
		}
	}
}

func TestTestInboundEndpoint(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep := createEndpoint(t, env, map[string]any{"onUnknownUser": "REJECT"})
	ada := createUser(t, env, map[string]any{"employeeId": "E1", "email": "ada@example.com", "jobTitle": "Engineer"})
	payload := map[string]any{"emp": map[string]any{"id": "E1", "title": "Lead", "active": false}, "note": "x"}

	// A dry run (the default) shows everything and writes nothing.
	before := snapshot(t, env)
	var out testResult
	env.Must(t, testEndpoint, map[string]any{"id": ep.ID, "payload": payload}, &out)
	res := out.TestInboundEndpoint
	require.True(t, res.DryRun)
	require.Equal(t, "updated", *res.Status)
	require.Equal(t, ada, res.User.ID)
	require.Equal(t, "Engineer", *res.User.JobTitle, "the user as stored")
	require.Len(t, res.MappedValues, len(payroll))
	require.Equal(t, "emp.id", res.MappedValues[0].APIField)
	require.True(t, res.MappedValues[0].Present)
	require.Equal(t, "E1", res.MappedValues[0].Value)
	require.False(t, res.MappedValues[1].Present)
	require.Equal(t, []string{"active", "jobTitle"}, res.ChangedFields)
	require.Equal(t, []string{"note"}, res.IgnoredFields)
	require.Len(t, res.Changes, 2)
	require.Equal(t, "jobTitle", res.Changes[0].ProfileField)
	require.Equal(t, "Engineer", res.Changes[0].From)
	require.Equal(t, "Lead", res.Changes[0].To)
	require.Equal(t, "active", res.Changes[1].ProfileField)
	require.Equal(t, true, res.Changes[1].From)
	require.Equal(t, false, res.Changes[1].To)
	require.Nil(t, res.Error)
	require.Equal(t, before, snapshot(t, env))

	// An error is shown as a request would answer it.
	env.Must(t, testEndpoint, map[string]any{"id": ep.ID, "payload": map[string]any{"emp": map[string]any{"id": "E9"}}}, &out)
	res = out.TestInboundEndpoint
	require.Nil(t, res.Status)
	require.Equal(t, "user_not_found", res.Error.Code)
	require.Equal(t, "emp.id", *res.Error.Field)
	require.Equal(t, before, snapshot(t, env))

	// Not a dry run: applied with the endpoint as the source.
	env.Must(t, testEndpoint, map[string]any{"id": ep.ID, "payload": payload, "dryRun": false}, &out)
	res = out.TestInboundEndpoint
	require.False(t, res.DryRun)
	require.Equal(t, "Lead", *res.User.JobTitle)
	require.False(t, res.User.Active)
	evs := events(t, env, ada)
	require.Len(t, evs, 3)
	require.Equal(t, ep.ID, evs[2].SourceID)

	// Bad arguments are GraphQL errors.
	e := env.Fail(t, "BAD_USER_INPUT", testEndpoint, map[string]any{"id": ep.ID, "payload": []any{payload}})
	require.Equal(t, "payload", e.Field())
	env.Fail(t, "NOT_FOUND", testEndpoint, map[string]any{"id": "inb_nope", "payload": payload})
}

func TestInboundLogSubscription(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	ep, token := oauthEndpoint(t, env, nil)
	other, otherToken := oauthEndpoint(t, env, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + apitest.AdminToken}}))
	var msg struct {
		Type    string
		Payload struct {
			Data struct {
				InboundLog struct {
					Status   int
					UserIds  []string
					Endpoint struct{ ID string }
				}
			}
		}
	}
	require.NoError(t, wsjson.Read(ctx, c, &msg))
	require.Equal(t, "connection_ack", msg.Type)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($e: ID) { inboundLog(endpointId: $e) { status userIds endpoint { id } } }`,
		"variables": map[string]any{"e": ep.ID},
	}}))
	require.Eventually(t, func() bool { return env.Server.Inbound().Subscribers() == 1 }, 5*time.Second, time.Millisecond)

	// Another endpoint's request is not streamed; this endpoint's are.
	require.Equal(t, http.StatusOK, env.Inbound(t, other.URL, []byte(`{"emp": {"id": "E2", "mail": "g@example.com"}}`), apitest.Bearer(otherToken)...).Status)
	r := env.Inbound(t, ep.URL, []byte(`{"emp": {"id": "E1", "mail": "ada@example.com"}}`), apitest.Bearer(token)...)
	require.Equal(t, http.StatusOK, r.Status)
	require.NoError(t, wsjson.Read(ctx, c, &msg))
	require.Equal(t, "next", msg.Type)
	require.Equal(t, 200, msg.Payload.Data.InboundLog.Status)
	require.Equal(t, []string{r.Results[0].UserID}, msg.Payload.Data.InboundLog.UserIds)
	require.Equal(t, ep.ID, msg.Payload.Data.InboundLog.Endpoint.ID)
	require.Equal(t, http.StatusUnauthorized, env.Inbound(t, ep.URL, []byte(`{}`)).Status)
	require.NoError(t, wsjson.Read(ctx, c, &msg))
	require.Equal(t, 401, msg.Payload.Data.InboundLog.Status)
}
