package dispatcher_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

const wait = 5 * time.Second

// verify checks a webhook-signature header as the Standard Webhooks spec
// describes it, independently of package signing: HMAC-SHA256 over
// "<id>.<timestamp>.<body>" keyed with the base64-decoded part of the
// whsec_ secret, "v1," + base64, several space-separated.
func verify(t *testing.T, secret string, h http.Header, body []byte) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	require.NotEmpty(t, id)
	sec, err := strconv.ParseInt(ts, 10, 64)
	require.NoError(t, err)
	require.InDelta(t, time.Now().Unix(), sec, 300, "timestamp within 5 minutes")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	require.Contains(t, strings.Fields(h.Get("webhook-signature")), want, "no signature matches")
}

type hook struct {
	ID     string
	Secret string
}

func createHook(t *testing.T, env *apitest.Env, input map[string]any) hook {
	t.Helper()
	var out struct {
		CreateProfileWebhook struct {
			SigningSecret  string
			ProfileWebhook struct{ ID string }
		}
	}
	env.Must(t, `mutation($input: CreateProfileWebhookInput!) { createProfileWebhook(input: $input) { signingSecret profileWebhook { id } } }`,
		map[string]any{"input": input}, &out)
	return hook{ID: out.CreateProfileWebhook.ProfileWebhook.ID, Secret: out.CreateProfileWebhook.SigningSecret}
}

func createUser(t *testing.T, env *apitest.Env, input map[string]any) string {
	t.Helper()
	var out struct{ CreateUser struct{ ID string } }
	env.Must(t, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, map[string]any{"input": input}, &out)
	return out.CreateUser.ID
}

func updateUser(t *testing.T, env *apitest.Env, id string, input map[string]any) {
	t.Helper()
	env.Must(t, `mutation($id: ID!, $input: UpdateUserProfileInput!) { updateUserProfile(id: $id, input: $input) { id } }`,
		map[string]any{"id": id, "input": input}, nil)
}

// attempts subscribes to the recorded attempts of env's dispatcher.
func attempts(t *testing.T, env *apitest.Env) <-chan *ent.DeliveryAttempt {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return env.Server.Dispatcher().Subscribe(ctx, nil, nil)
}

func nextAttempt(t *testing.T, ch <-chan *ent.DeliveryAttempt) *ent.DeliveryAttempt {
	t.Helper()
	select {
	case a, ok := <-ch:
		require.True(t, ok, "subscription closed")
		return a
	case <-time.After(wait):
		require.FailNow(t, "no attempt recorded in time")
		return nil
	}
}

func getDelivery(t *testing.T, env *apitest.Env, id string) *ent.Delivery {
	t.Helper()
	dl, err := env.DB.Client.Delivery.Query().Where(delivery.ID(id)).WithWebhook().Only(context.Background())
	require.NoError(t, err)
	return dl
}

func TestDeliversTheMappedBodySigned(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	rcv := apitest.NewReceiver(t)
	log := attempts(t, env)
	h := createHook(t, env, map[string]any{
		"name": "HR", "url": rcv.URL, "triggers": []string{"CREATE_USER"},
		"requestParameters": []map[string]any{
			{"apiField": "name.first", "profileField": "firstName"},
			{"apiField": "name.last", "profileField": "lastName"},
			{"apiField": "contact.email", "profileField": "email"},
			{"apiField": "active", "profileField": "active"},
			{"apiField": "started", "profileField": "hireDate"},
			{"apiField": "dept", "profileField": "department"},
			{"apiField": "meta.event", "profileField": "event.type"},
		},
		"headers": []map[string]any{{"name": "X-Tenant", "value": "acme"}},
	})
	uid := createUser(t, env, map[string]any{"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "hireDate": "2024-03-01"})

	got := rcv.Next(t, wait)
	require.JSONEq(t, `{"name":{"first":"Ada","last":"Lovelace"},"contact":{"email":"ada@example.com"},
		"active":true,"started":"2024-03-01","dept":null,"meta":{"event":"user.created"}}`, string(got.Body))
	require.Equal(t, "application/json", got.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "profilehooks/"))
	require.Equal(t, "user.created", got.Header.Get("Profilehooks-Event"))
	require.Equal(t, "acme", got.Header.Get("X-Tenant"))
	verify(t, h.Secret, got.Header, got.Body)

	a := nextAttempt(t, log)
	require.Equal(t, 1, a.Number)
	require.Equal(t, 200, *a.ResponseStatus)
	require.Nil(t, a.ErrorClass)
	require.Equal(t, rcv.URL, a.RequestURL)
	require.Equal(t, string(got.Body), a.RequestBody)
	dl := getDelivery(t, env, a.DeliveryID)
	require.Equal(t, got.Header.Get("webhook-id"), dl.ID, "webhook-id is the delivery's id")
	require.Equal(t, schematype.DeliverySucceeded, dl.Status)
	require.Equal(t, 1, dl.AttemptCount)
	require.Equal(t, uid, dl.UserID)
	require.Nil(t, dl.NextAttemptAt)
}

func TestDefaultBodyWithoutRequestParameters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	rcv := apitest.NewReceiver(t)
	createHook(t, env, map[string]any{"name": "all", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	env.Must(t, `mutation { createCustomProfileField(input: {key: "badge", label: "Badge", type: NUMBER}) { id } }`, nil, nil)
	createUser(t, env, map[string]any{"email": "b@example.com", "customFields": []map[string]any{{"key": "badge", "value": "7"}}})
	var body struct {
		Type      string
		Timestamp string
		Data      map[string]any
	}
	require.NoError(t, json.Unmarshal(rcv.Next(t, wait).Body, &body))
	require.Equal(t, "user.created", body.Type)
	_, err := time.Parse(time.RFC3339Nano, body.Timestamp)
	require.NoError(t, err)
	require.Equal(t, "b@example.com", body.Data["email"])
	require.Equal(t, true, body.Data["active"])
	require.Contains(t, body.Data, "lastName")
	require.Equal(t, map[string]any{"badge": 7.0}, body.Data["customFields"])
}

func TestUpdatesFanOutOnlyWhenAMappedFieldChanged(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	titles := apitest.NewReceiver(t)
	everything := apitest.NewReceiver(t)
	log := attempts(t, env)
	createHook(t, env, map[string]any{"name": "titles", "url": titles.URL, "triggers": []string{"UPDATE_USER_PROFILE"},
		"requestParameters": []map[string]any{{"apiField": "title", "profileField": "jobTitle"}}})
	createHook(t, env, map[string]any{"name": "all", "url": everything.URL, "triggers": []string{"UPDATE_USER_PROFILE"}})
	uid := createUser(t, env, map[string]any{"email": "c@example.com"})

	updateUser(t, env, uid, map[string]any{"city": "Porto"})
	require.Contains(t, string(everything.Next(t, wait).Body), "Porto")
	nextAttempt(t, log)
	updateUser(t, env, uid, map[string]any{"jobTitle": "Engineer"})
	require.JSONEq(t, `{"title":"Engineer"}`, string(titles.Next(t, wait).Body))
	everything.Next(t, wait)
	nextAttempt(t, log)
	nextAttempt(t, log)
	require.Len(t, titles.All(), 1, "the city change did not go to the titles webhook")
	n, err := env.DB.Client.Delivery.Query().Count(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, n)
}

func TestRetriesKeepTheDeliveryID(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	rcv := apitest.NewReceiver(t, apitest.Answer{Status: 503}, apitest.Answer{Status: 429})
	log := attempts(t, env)
	h := createHook(t, env, map[string]any{"name": "flaky", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	createUser(t, env, map[string]any{"email": "d@example.com"})

	var ids []string
	for range 3 {
		got := rcv.Next(t, wait)
		verify(t, h.Secret, got.Header, got.Body)
		ids = append(ids, got.Header.Get("webhook-id"))
	}
	require.Equal(t, ids[0], ids[1])
	require.Equal(t, ids[0], ids[2])
	a1, a2, a3 := nextAttempt(t, log), nextAttempt(t, log), nextAttempt(t, log)
	require.Equal(t, []int{1, 2, 3}, []int{a1.Number, a2.Number, a3.Number})
	require.Equal(t, "http_status", *a1.ErrorClass)
	require.Equal(t, 503, *a1.ResponseStatus)
	require.Equal(t, 429, *a2.ResponseStatus)
	dl := getDelivery(t, env, a3.DeliveryID)
	require.Equal(t, schematype.DeliverySucceeded, dl.Status)
	require.Equal(t, 3, dl.AttemptCount)
}

func TestFinalOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		answers      []apitest.Answer
		attempts     int
		wantStatus   schematype.DeliveryStatus
		wantDisabled bool
	}{
		{"422 fails at once", []apitest.Answer{{Status: 422}}, 1, schematype.DeliveryFailed, false},
		{"401 fails at once", []apitest.Answer{{Status: 401}}, 1, schematype.DeliveryFailed, false},
		{"redirects are not followed", []apitest.Answer{{Status: 302, Header: map[string]string{"Location": "/elsewhere"}}}, 1, schematype.DeliveryFailed, false},
		{"410 fails and disables", []apitest.Answer{{Status: 410}}, 1, schematype.DeliveryFailed, true},
		{"5xx until the schedule runs out", []apitest.Answer{{Status: 500}, {Status: 502}, {Status: 500}}, 3, schematype.DeliveryFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, apitest.Options{})
			rcv := apitest.NewReceiver(t, tt.answers...)
			log := attempts(t, env)
			h := createHook(t, env, map[string]any{"name": "x", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
			createUser(t, env, map[string]any{"email": "e@example.com"})
			var last *ent.DeliveryAttempt
			for range tt.attempts {
				last = nextAttempt(t, log)
			}
			dl := getDelivery(t, env, last.DeliveryID)
			require.Equal(t, tt.wantStatus, dl.Status)
			require.Equal(t, tt.attempts, dl.AttemptCount)
			require.NotEmpty(t, dl.LastError)
			require.Len(t, rcv.All(), tt.attempts)
			require.Equal(t, !tt.wantDisabled, dl.Edges.Webhook.Enabled)
			if tt.wantDisabled {
				require.Contains(t, dl.Edges.Webhook.DisabledReason, "410")
			}
			_ = h
		})
	}
}

func TestSSRFGuardBlocksLoopback(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{BlockPrivateTargets: true, RetrySchedule: []time.Duration{0}})
	rcv := apitest.NewReceiver(t)
	log := attempts(t, env)
	createHook(t, env, map[string]any{"name": "inside", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	createUser(t, env, map[string]any{"email": "f@example.com"})
	a := nextAttempt(t, log)
	require.Equal(t, "ssrf_blocked", *a.ErrorClass)
	require.Nil(t, a.ResponseStatus)
	require.Empty(t, rcv.All(), "the receiver was never reached")
	require.Equal(t, schematype.DeliveryFailed, getDelivery(t, env, a.DeliveryID).Status)
}

func TestResponseParametersWriteBack(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	hr := apitest.NewReceiver(t, apitest.Answer{Status: 201, Body: `{"data":{"id":"HR-42","title":"CTO","started":"not a date"}}`})
	directory := apitest.NewReceiver(t)
	log := attempts(t, env)
	hrHook := createHook(t, env, map[string]any{"name": "hr", "url": hr.URL, "triggers": []string{"CREATE_USER", "UPDATE_USER_PROFILE"},
		"requestParameters": []map[string]any{{"apiField": "email", "profileField": "email"}, {"apiField": "ext", "profileField": "externalId"}},
		"responseParameters": []map[string]any{
			{"apiField": "data.id", "profileField": "externalId"},
			{"apiField": "data.title", "profileField": "jobTitle"},
			{"apiField": "data.started", "profileField": "hireDate"},
			{"apiField": "data.missing", "profileField": "city"},
		}})
	createHook(t, env, map[string]any{"name": "directory", "url": directory.URL, "triggers": []string{"UPDATE_USER_PROFILE"},
		"requestParameters": []map[string]any{{"apiField": "ext", "profileField": "externalId"}}})
	uid := createUser(t, env, map[string]any{"email": "g@example.com"})

	hr.Next(t, wait)
	a := nextAttempt(t, log)
	require.Equal(t, "response_mapping", *a.ErrorClass)
	require.Contains(t, a.Error, "data.missing: missing from the response")
	require.Contains(t, a.Error, "data.started")
	require.Equal(t, schematype.DeliverySucceeded, getDelivery(t, env, a.DeliveryID).Status, "the third party got the data")

	u, err := env.DB.Client.User.Get(context.Background(), uid)
	require.NoError(t, err)
	require.Equal(t, "HR-42", *u.ExternalID)
	require.Equal(t, "CTO", *u.JobTitle)
	require.Nil(t, u.HireDate, "a value that does not fit is not written")
	require.Nil(t, u.City)

	// The write-back goes to the other webhook that maps externalId, never
	// back to the webhook it came from.
	require.JSONEq(t, `{"ext":"HR-42"}`, string(directory.Next(t, wait).Body))
	nextAttempt(t, log)
	evs, err := env.DB.Client.ProfileEvent.Query().Order(ent.Asc("occurred_at"), ent.Asc("id")).All(context.Background())
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, schematype.SourceWebhookResponse, evs[1].Source)
	require.Equal(t, hrHook.ID, evs[1].SourceID)
	require.Len(t, hr.All(), 1, "no echo to the webhook that wrote back")
}

func TestOrderingPerWebhookAndUser(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{RetrySchedule: []time.Duration{0, 30 * time.Millisecond, 30 * time.Millisecond}})
	// The first request fails, so the deactivation is retried; the
	// activation must wait for it.
	rcv := apitest.NewReceiver(t, apitest.Answer{Status: 500})
	createHook(t, env, map[string]any{"name": "idp", "url": rcv.URL, "triggers": []string{"ACTIVATE_DEACTIVATE_USER"}})
	uid := createUser(t, env, map[string]any{"email": "h@example.com"})
	env.Must(t, `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, map[string]any{"id": uid}, nil)
	env.Must(t, `mutation($id: ID!) { activateUser(id: $id) { id } }`, map[string]any{"id": uid}, nil)
	var events []string
	for range 3 {
		events = append(events, rcv.Next(t, wait).Header.Get("Profilehooks-Event"))
	}
	require.Equal(t, []string{"user.deactivated", "user.deactivated", "user.activated"}, events)
}

func TestDeliveryLogSubscriptionFilters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{RetrySchedule: []time.Duration{0}})
	ok := apitest.NewReceiver(t)
	bad := apitest.NewReceiver(t, apitest.Answer{Status: 400})
	good := createHook(t, env, map[string]any{"name": "ok", "url": ok.URL, "triggers": []string{"CREATE_USER"}})
	createHook(t, env, map[string]any{"name": "bad", "url": bad.URL, "triggers": []string{"CREATE_USER"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	onlyGood := env.Server.Dispatcher().Subscribe(ctx, &good.ID, nil)
	failed := env.Server.Dispatcher().Subscribe(ctx, nil, []schematype.DeliveryStatus{schematype.DeliveryFailed})
	createUser(t, env, map[string]any{"email": "i@example.com"})
	a := nextAttempt(t, onlyGood)
	require.Equal(t, 200, *a.ResponseStatus)
	f := nextAttempt(t, failed)
	require.Equal(t, 400, *f.ResponseStatus)
	// The published attempt is usable after its transaction: its delivery
	// edge loads.
	dl, err := f.QueryDelivery().Only(context.Background())
	require.NoError(t, err)
	require.Equal(t, schematype.DeliveryFailed, dl.Status)
}
