package dispatcher_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// clock is a settable clock for the services under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRedeliverCancelAndReplay(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{RetrySchedule: []time.Duration{0}})
	rcv := apitest.NewReceiver(t, apitest.Answer{Status: 400}, apitest.Answer{Status: 400})
	log := attempts(t, env)
	h := createHook(t, env, map[string]any{"name": "x", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	createUser(t, env, map[string]any{"email": "r@example.com"})
	first := nextAttempt(t, log)
	id := first.DeliveryID
	firstID := rcv.Next(t, wait).Header.Get("webhook-id")

	var out struct {
		Redeliver struct {
			ID     string
			Status string
		}
	}
	env.Must(t, `mutation($id: ID!) { redeliver(deliveryId: $id) { id status } }`, map[string]any{"id": id}, &out)
	require.Equal(t, id, out.Redeliver.ID)
	require.Equal(t, "PENDING", out.Redeliver.Status)
	second := nextAttempt(t, log)
	require.Equal(t, 2, second.Number)
	require.Equal(t, firstID, rcv.Next(t, wait).Header.Get("webhook-id"), "a redelivery keeps the webhook-id")
	require.Equal(t, schematype.DeliveryFailed, getDelivery(t, env, id).Status)

	// Finished deliveries cannot be cancelled.
	env.Fail(t, "CONFLICT", `mutation($id: ID!) { cancelDelivery(id: $id) { id } }`, map[string]any{"id": id})
	env.Fail(t, "NOT_FOUND", `mutation { redeliver(deliveryId: "dlv_01J0000000000000000000000") { id } }`, nil)

	// Replay queues the failed ones; now the receiver accepts.
	var replay struct{ ReplayDeliveries int }
	env.Must(t, `mutation($w: ID!, $since: Time!) { replayDeliveries(webhookId: $w, since: $since) }`,
		map[string]any{"w": h.ID, "since": time.Now().Add(-time.Hour).Format(time.RFC3339)}, &replay)
	require.Equal(t, 1, replay.ReplayDeliveries)
	third := nextAttempt(t, log)
	require.Equal(t, 3, third.Number)
	require.Equal(t, 200, *third.ResponseStatus)
	env.Must(t, `mutation($w: ID!, $since: Time!) { replayDeliveries(webhookId: $w, since: $since) }`,
		map[string]any{"w": h.ID, "since": time.Now().Add(-time.Hour).Format(time.RFC3339)}, &replay)
	require.Equal(t, 0, replay.ReplayDeliveries, "nothing failed any more")
	e := env.Fail(t, "BAD_USER_INPUT", `mutation($w: ID!, $since: Time!) { replayDeliveries(webhookId: $w, since: $since, statuses: [PENDING]) }`,
		map[string]any{"w": h.ID, "since": time.Now().Format(time.RFC3339)})
	require.Equal(t, "statuses[0]", e.Field())

	// The delivery lists its attempts, and the webhook its deliveries.
	var got struct {
		Node struct {
			Deliveries struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Status   string
						Attempts []struct{ Number int }
						Event    struct{ ID string }
						User     struct{ Email string }
					}
				}
			}
		}
	}
	env.Must(t, `query($id: ID!) { node(id: $id) { ... on ProfileWebhook { deliveries(first: 10) { totalCount edges { node {
	  status attempts { number } event { id } user { email } } } } } } }`, map[string]any{"id": h.ID}, &got)
	require.Equal(t, 1, got.Node.Deliveries.TotalCount)
	d := got.Node.Deliveries.Edges[0].Node
	require.Equal(t, "SUCCEEDED", d.Status)
	require.Len(t, d.Attempts, 3)
	require.Equal(t, "r@example.com", d.User.Email)
}

func TestCancelAnOpenDelivery(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{RetrySchedule: []time.Duration{0, time.Hour}})
	rcv := apitest.NewReceiver(t, apitest.Answer{Status: 500})
	log := attempts(t, env)
	createHook(t, env, map[string]any{"name": "x", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	createUser(t, env, map[string]any{"email": "s@example.com"})
	a := nextAttempt(t, log)
	require.Equal(t, schematype.DeliveryRetrying, getDelivery(t, env, a.DeliveryID).Status)
	var out struct{ CancelDelivery struct{ Status string } }
	env.Must(t, `mutation($id: ID!) { cancelDelivery(id: $id) { status } }`, map[string]any{"id": a.DeliveryID}, &out)
	require.Equal(t, "CANCELLED", out.CancelDelivery.Status)
	dl := getDelivery(t, env, a.DeliveryID)
	require.Nil(t, dl.NextAttemptAt)
	require.NotNil(t, dl.FinishedAt)
}

func TestTestAndPreview(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	rcv := apitest.NewReceiver(t, apitest.Answer{Status: 200, Body: `{"id":"EXT-1"}`}, apitest.Answer{Status: 200, Body: `{"id":"EXT-2"}`})
	h := createHook(t, env, map[string]any{"name": "x", "url": rcv.URL, "triggers": []string{"UPDATE_USER_PROFILE"},
		"requestParameters":  []map[string]any{{"apiField": "mail", "profileField": "email"}, {"apiField": "kind", "profileField": "event.type"}},
		"responseParameters": []map[string]any{{"apiField": "id", "profileField": "externalId"}}})
	uid := createUser(t, env, map[string]any{"email": "t@example.com"})

	var prev struct {
		PreviewProfileWebhookPayload struct {
			URL     string
			Body    string
			Headers []struct{ Name, Value string }
		}
	}
	env.Must(t, `mutation($id: ID!, $u: ID!) { previewProfileWebhookPayload(id: $id, userId: $u, trigger: UPDATE_USER_PROFILE) { url body headers { name value } } }`,
		map[string]any{"id": h.ID, "u": uid}, &prev)
	require.Equal(t, rcv.URL, prev.PreviewProfileWebhookPayload.URL)
	require.JSONEq(t, `{"mail":"t@example.com","kind":"user.updated"}`, prev.PreviewProfileWebhookPayload.Body)
	names := map[string]string{}
	for _, hd := range prev.PreviewProfileWebhookPayload.Headers {
		names[hd.Name] = hd.Value
	}
	require.Equal(t, "user.updated", names["Profilehooks-Event"])
	require.Contains(t, names["Webhook-Signature"], "v1,")
	require.Empty(t, rcv.All(), "a preview sends nothing")

	test := `mutation($id: ID!, $u: ID!, $apply: Boolean) { testProfileWebhook(id: $id, userId: $u, trigger: UPDATE_USER_PROFILE, applyResponse: $apply) {
	  number responseStatus responseBody requestBody delivery { status test } } }`
	var out struct {
		TestProfileWebhook struct {
			Number         int
			ResponseStatus int
			ResponseBody   string
			RequestBody    string
			Delivery       struct {
				Status string
				Test   bool
			}
		}
	}
	env.Must(t, test, map[string]any{"id": h.ID, "u": uid}, &out)
	require.Equal(t, 200, out.TestProfileWebhook.ResponseStatus)
	require.Equal(t, `{"id":"EXT-1"}`, out.TestProfileWebhook.ResponseBody)
	require.True(t, out.TestProfileWebhook.Delivery.Test)
	require.Equal(t, "SUCCEEDED", out.TestProfileWebhook.Delivery.Status)
	got := rcv.Next(t, wait)
	verify(t, h.Secret, got.Header, got.Body)
	u, err := env.DB.Client.User.Get(context.Background(), uid)
	require.NoError(t, err)
	require.Nil(t, u.ExternalID, "no write-back without applyResponse")

	env.Must(t, test, map[string]any{"id": h.ID, "u": uid, "apply": true}, &out)
	u, err = env.DB.Client.User.Get(context.Background(), uid)
	require.NoError(t, err)
	require.Equal(t, "EXT-2", *u.ExternalID)

	env.Fail(t, "BAD_USER_INPUT", test, map[string]any{"id": h.ID, "u": "usr_01J0000000000000000000000"})
	env.Fail(t, "NOT_FOUND", test, map[string]any{"id": "whk_01J0000000000000000000000", "u": uid})
}

func TestRotatedSecretSignsWithBothDuringGrace(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	rcv := apitest.NewReceiver(t)
	h := createHook(t, env, map[string]any{"name": "x", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	var rot struct {
		RotateProfileWebhookSecret struct {
			SigningSecret           string
			PreviousSecretExpiresAt *time.Time
		}
	}
	env.Must(t, `mutation($id: ID!) { rotateProfileWebhookSecret(id: $id) { signingSecret previousSecretExpiresAt } }`, map[string]any{"id": h.ID}, &rot)
	require.NotEqual(t, h.Secret, rot.RotateProfileWebhookSecret.SigningSecret)
	require.WithinDuration(t, time.Now().Add(24*time.Hour), *rot.RotateProfileWebhookSecret.PreviousSecretExpiresAt, time.Minute)
	createUser(t, env, map[string]any{"email": "u@example.com"})
	got := rcv.Next(t, wait)
	require.Len(t, strings.Fields(got.Header.Get("webhook-signature")), 2)
	verify(t, h.Secret, got.Header, got.Body)
	verify(t, rot.RotateProfileWebhookSecret.SigningSecret, got.Header, got.Body)

	// Without a grace period only the new secret signs.
	env.Must(t, `mutation($id: ID!) { rotateProfileWebhookSecret(id: $id, gracePeriod: "PT0S") { signingSecret } }`, map[string]any{"id": h.ID}, &rot)
	createUser(t, env, map[string]any{"email": "v@example.com"})
	got = rcv.Next(t, wait)
	require.Len(t, strings.Fields(got.Header.Get("webhook-signature")), 1)
	verify(t, rot.RotateProfileWebhookSecret.SigningSecret, got.Header, got.Body)
}

func TestFailingWebhookIsDisabledAfterTheWindow(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	env := apitest.New(t, apitest.Options{Now: c.Now, RetrySchedule: []time.Duration{0, time.Minute, time.Minute, time.Minute}})
	rcv := apitest.NewReceiver(t)
	rcv.SetFallback(apitest.Answer{Status: 503})
	log := attempts(t, env)
	h := createHook(t, env, map[string]any{"name": "down", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	createUser(t, env, map[string]any{"email": "w@example.com"})
	a := nextAttempt(t, log)
	hook, err := env.DB.Client.ProfileWebhook.Get(context.Background(), h.ID)
	require.NoError(t, err)
	require.True(t, hook.FailingSince.Equal(c.Now()))
	require.True(t, hook.Enabled)

	c.Advance(5*24*time.Hour + time.Minute)
	env.Server.Dispatcher().Wake()
	require.Equal(t, 2, nextAttempt(t, log).Number)
	hook, err = env.DB.Client.ProfileWebhook.Get(context.Background(), h.ID)
	require.NoError(t, err)
	require.False(t, hook.Enabled)
	require.Contains(t, hook.DisabledReason, "failing without a success since 2026-12-01T09:00:00Z")
	require.Equal(t, schematype.DeliveryRetrying, getDelivery(t, env, a.DeliveryID).Status, "its deliveries wait for the webhook to be enabled again")

	// Enabling it again clears the reason.
	var upd struct {
		UpdateProfileWebhook struct {
			Enabled        bool
			DisabledReason *string
		}
	}
	env.Must(t, `mutation($id: ID!) { updateProfileWebhook(id: $id, input: {enabled: true}) { enabled disabledReason } }`, map[string]any{"id": h.ID}, &upd)
	require.True(t, upd.UpdateProfileWebhook.Enabled)
	require.Empty(t, *upd.UpdateProfileWebhook.DisabledReason)
}

func TestRetentionDeletesOldAttemptsAndFinishedDeliveries(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	env := apitest.New(t, apitest.Options{Now: c.Now})
	rcv := apitest.NewReceiver(t)
	log := attempts(t, env)
	createHook(t, env, map[string]any{"name": "x", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	createUser(t, env, map[string]any{"email": "x@example.com"})
	nextAttempt(t, log)
	ctx := context.Background()
	n, err := env.Server.Dispatcher().Prune(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is old yet")
	c.Advance(31 * 24 * time.Hour)
	n, err = env.Server.Dispatcher().Prune(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n, "one attempt and one delivery")
	left, err := env.DB.Client.Delivery.Query().Count(ctx)
	require.NoError(t, err)
	require.Zero(t, left)
}

func TestDeliveryLogOverWebsocket(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	rcv := apitest.NewReceiver(t)
	h := createHook(t, env, map[string]any{"name": "x", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + apitest.AdminToken}}))
	var msg struct {
		Type    string
		Payload struct {
			Data struct {
				DeliveryLog struct {
					Number         int
					ResponseStatus int
					Delivery       struct {
						Status  string
						Webhook struct{ ID string }
					}
				}
			}
		}
	}
	require.NoError(t, wsjson.Read(ctx, c, &msg))
	require.Equal(t, "connection_ack", msg.Type)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($w: ID) { deliveryLog(webhookId: $w) { number responseStatus delivery { status webhook { id } } } }`,
		"variables": map[string]any{"w": h.ID},
	}}))
	// The subscribe message is handled asynchronously: wait until the
	// subscription is registered before causing the event.
	require.Eventually(t, func() bool { return env.Server.Dispatcher().Subscribers() == 1 }, wait, time.Millisecond)
	createUser(t, env, map[string]any{"email": "y@example.com"})
	require.NoError(t, wsjson.Read(ctx, c, &msg))
	require.Equal(t, "next", msg.Type)
	require.Equal(t, 1, msg.Payload.Data.DeliveryLog.Number)
	require.Equal(t, 200, msg.Payload.Data.DeliveryLog.ResponseStatus)
	require.Equal(t, "SUCCEEDED", msg.Payload.Data.DeliveryLog.Delivery.Status)
	require.Equal(t, h.ID, msg.Payload.Data.DeliveryLog.Delivery.Webhook.ID)
}
