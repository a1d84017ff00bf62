package dispatcher_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/store"
)

// laneRow is a delivery of a lane as the claim sees it.
type laneRow struct {
	ID      string
	Status  string
	Waiting bool
}

// lane returns the deliveries of hookID for userID in sequence order.
func lane(t *testing.T, env *apitest.Env, hookID, userID string) []laneRow {
	t.Helper()
	dls, err := env.DB.Client.Delivery.Query().
		Where(delivery.WebhookID(hookID), delivery.UserID(userID)).
		Order(ent.Asc(delivery.FieldSequence)).
		All(context.Background())
	require.NoError(t, err)
	rows := make([]laneRow, len(dls))
	for i, dl := range dls {
		rows[i] = laneRow{ID: dl.ID, Status: string(dl.Status), Waiting: dl.Waiting}
	}
	return rows
}

// waitingFlags returns the waiting flag of each of rows.
func waitingFlags(rows []laneRow) []bool {
	out := make([]bool, len(rows))
	for i, r := range rows {
		out[i] = r.Waiting
	}
	return out
}

// failingHook starts a server with a webhook on UPDATE_USER_PROFILE whose
// receiver answers 500 to every request, with the retry an hour away: a
// lane's head, once attempted, stays open (RETRYING) until it is cancelled.
// It returns the receiver and a subscription to the recorded attempts.
func failingHook(t *testing.T) (*apitest.Env, *apitest.Receiver, hook, <-chan *ent.DeliveryAttempt) {
	t.Helper()
	env := apitest.New(t, apitest.Options{RetrySchedule: []time.Duration{0, time.Hour}})
	rcv := apitest.NewReceiver(t)
	rcv.SetFallback(apitest.Answer{Status: 500})
	h := createHook(t, env, map[string]any{"name": "hr", "url": rcv.URL, "triggers": []string{"UPDATE_USER_PROFILE"}})
	return env, rcv, h, attempts(t, env)
}

func cancelDelivery(t *testing.T, env *apitest.Env, id string) {
	t.Helper()
	env.Must(t, `mutation($id: ID!) { cancelDelivery(id: $id) { id } }`, map[string]any{"id": id}, nil)
}

// TestLaneQueuesBehindItsHead follows one lane (webhook, user) through the
// ways its head can leave: later deliveries are written waiting and are
// never sent while an earlier one is open; cancelling the head lets the
// next one go; a redelivered old delivery queues behind the open head and
// goes next, before newer ones. Another user's lane is not held up.
func TestLaneQueuesBehindItsHead(t *testing.T) {
	t.Parallel()
	env, rcv, h, log := failingHook(t)
	// sent waits for the next request and for its attempt to be recorded,
	// and returns its delivery ID.
	sent := func() string {
		t.Helper()
		id := rcv.Next(t, wait).Header.Get("webhook-id")
		require.Equal(t, id, nextAttempt(t, log).DeliveryID)
		return id
	}
	uid := createUser(t, env, map[string]any{"email": "lane@example.com"})
	other := createUser(t, env, map[string]any{"email": "other@example.com"})
	for _, city := range []string{"Oslo", "Rome", "Lima"} {
		updateUser(t, env, uid, map[string]any{"city": city})
	}
	first := sent()
	rows := lane(t, env, h.ID, uid)
	require.Len(t, rows, 3)
	require.Equal(t, rows[0].ID, first, "the oldest delivery goes first")
	require.Equal(t, []bool{false, true, true}, waitingFlags(rows))
	require.Equal(t, "RETRYING", rows[0].Status)

	updateUser(t, env, other, map[string]any{"city": "Kyiv"})
	require.Equal(t, lane(t, env, h.ID, other)[0].ID, sent(), "another user's lane goes at once")
	require.Equal(t, []bool{false}, waitingFlags(lane(t, env, h.ID, other)))

	cancelDelivery(t, env, rows[0].ID)
	require.Equal(t, rows[1].ID, sent(), "the next delivery goes once the head is cancelled")
	require.Equal(t, []laneRow{
		{rows[0].ID, "CANCELLED", false}, {rows[1].ID, "RETRYING", false}, {rows[2].ID, "PENDING", true},
	}, lane(t, env, h.ID, uid))

	// Redelivering the cancelled first delivery puts it back in the lane:
	// it waits for the open head, then goes before the newer third one.
	env.Must(t, `mutation($id: ID!) { redeliver(deliveryId: $id) { id } }`, map[string]any{"id": rows[0].ID}, nil)
	require.Equal(t, []bool{true, false, true}, waitingFlags(lane(t, env, h.ID, uid)))
	cancelDelivery(t, env, rows[1].ID)
	require.Equal(t, rows[0].ID, sent(), "the redelivered oldest delivery goes next")
	require.Equal(t, []bool{false, false, true}, waitingFlags(lane(t, env, h.ID, uid)))
	require.Len(t, rcv.All(), 4, "nothing else was sent")
}

// TestLaneHeadFinishingUnseenIsRechecked makes, on PostgreSQL, the race
// that lanes are checked again for: a writer finds the lane busy and
// writes a waiting delivery while the head is cancelled in another
// transaction, which commits first and, not seeing the new delivery,
// promotes nothing. The writer's recheck after its commit must let the new
// delivery go. (SQLite runs one transaction at a time, so the race cannot
// happen there.)
func TestLaneHeadFinishingUnseenIsRechecked(t *testing.T) {
	t.Parallel()
	if !apitest.Postgres() {
		t.Skip("SQLite serializes transactions; the race needs two at once")
	}
	env := apitest.New(t, apitest.Options{RetrySchedule: []time.Duration{0, time.Hour}})
	rcv := apitest.NewReceiver(t, apitest.Answer{Status: 500})
	h := createHook(t, env, map[string]any{"name": "hr", "url": rcv.URL, "triggers": []string{"UPDATE_USER_PROFILE"}})
	uid := createUser(t, env, map[string]any{"email": "race@example.com"})
	updateUser(t, env, uid, map[string]any{"city": "Oslo"})
	head := rcv.Next(t, wait).Header.Get("webhook-id")

	city := "Rome"
	err := store.WithTx(context.Background(), env.DB.Client, func(ctx context.Context) error {
		_, err := env.Server.Profiles().UpdateProfile(ctx, uid, []profile.Change{{Key: "city", Value: &city, Path: "city"}}, profile.AdminAPI)
		if err != nil {
			return err
		}
		rows := lane(t, env, h.ID, uid) // outside the transaction: the new delivery is not visible yet
		require.Len(t, rows, 1)
		cancelDelivery(t, env, head)
		return nil
	})
	require.NoError(t, err)
	rows := lane(t, env, h.ID, uid)
	require.Len(t, rows, 2)
	require.Equal(t, rows[1].ID, rcv.Next(t, wait).Header.Get("webhook-id"), "the waiting delivery went after all")
}

// TestSweepReleasesAStuckLane: on PostgreSQL, a lane whose head is waiting
// with nothing ahead of it (a crash between a commit and its recheck) is
// released by the sweep that runs every minute.
func TestSweepReleasesAStuckLane(t *testing.T) {
	t.Parallel()
	if !apitest.Postgres() {
		t.Skip("the sweep runs on PostgreSQL only; SQLite promotes in the same transaction, always")
	}
	clock := &clock{now: time.Now()}
	env := apitest.New(t, apitest.Options{Now: clock.Now, RetrySchedule: []time.Duration{0, time.Hour}})
	rcv := apitest.NewReceiver(t, apitest.Answer{Status: 500})
	h := createHook(t, env, map[string]any{"name": "hr", "url": rcv.URL, "triggers": []string{"UPDATE_USER_PROFILE"}})
	uid := createUser(t, env, map[string]any{"email": "stuck@example.com"})
	updateUser(t, env, uid, map[string]any{"city": "Oslo"})
	id := rcv.Next(t, wait).Header.Get("webhook-id")

	// The crash's outcome: the only open delivery of the lane waits.
	require.NoError(t, env.DB.Client.Delivery.UpdateOneID(id).SetWaiting(true).Exec(context.Background()))
	clock.Advance(2 * time.Hour) // past the retry and the next sweep
	require.Equal(t, id, rcv.Next(t, wait).Header.Get("webhook-id"), "the sweep released the lane and the retry went")
	require.Equal(t, []bool{false}, waitingFlags(lane(t, env, h.ID, uid)))
}

// TestTidyLanesOrdersAnOldBacklog: deliveries written before lanes
// existed are all claimable; TidyLanes (run at start) queues each behind
// the earlier open ones of its lane, and releases a lane whose head waits
// with nothing ahead of it.
func TestTidyLanesOrdersAnOldBacklog(t *testing.T) {
	t.Parallel()
	env, _, h, log := failingHook(t)
	old := createUser(t, env, map[string]any{"email": "old@example.com"})
	stuck := createUser(t, env, map[string]any{"email": "stuck@example.com"})
	for _, city := range []string{"Oslo", "Rome", "Lima"} {
		updateUser(t, env, old, map[string]any{"city": city})
		updateUser(t, env, stuck, map[string]any{"city": city})
	}
	nextAttempt(t, log)
	nextAttempt(t, log)
	// Disabled, so that nothing is claimed while the test rewrites lanes.
	env.Must(t, `mutation($id: ID!) { updateProfileWebhook(id: $id, input: {enabled: false}) { id } }`, map[string]any{"id": h.ID}, nil)
	ctx := context.Background()
	// The old backlog: nothing waits. The stuck lane: everything waits.
	require.NoError(t, env.DB.Client.Delivery.Update().Where(delivery.UserID(old)).SetWaiting(false).Exec(ctx))
	require.NoError(t, env.DB.Client.Delivery.Update().Where(delivery.UserID(stuck)).SetWaiting(true).Exec(ctx))

	require.NoError(t, env.Server.Dispatcher().TidyLanes(ctx))
	require.Equal(t, []bool{false, true, true}, waitingFlags(lane(t, env, h.ID, old)))
	require.Equal(t, []bool{false, true, true}, waitingFlags(lane(t, env, h.ID, stuck)))
	require.NoError(t, env.Server.Dispatcher().TidyLanes(ctx), "tidying tidy lanes changes nothing")
	require.Equal(t, []bool{false, true, true}, waitingFlags(lane(t, env, h.ID, old)))
}

// TestAttemptsReachSubscribersOnEveryReplica: on PostgreSQL, two replicas
// share the work; a live subscriber on each sees every attempt, those the
// other replica recorded too (relayed through NOTIFY, loaded in batches).
func TestAttemptsReachSubscribersOnEveryReplica(t *testing.T) {
	t.Parallel()
	if !apitest.Postgres() {
		t.Skip("replicas share a PostgreSQL database")
	}
	a := apitest.New(t, apitest.Options{})
	b := a.Replica(t)
	logA, logB := attempts(t, a), attempts(t, b)
	rcv := apitest.NewReceiver(t)
	createHook(t, a, map[string]any{"name": "hr", "url": rcv.URL, "triggers": []string{"CREATE_USER"}})
	const users = 40
	for i := range users {
		createUser(t, []*apitest.Env{a, b}[i%2], map[string]any{"email": fmt.Sprintf("relay-%d@example.com", i)})
	}
	seen := func(log <-chan *ent.DeliveryAttempt) map[string]bool {
		ids := map[string]bool{}
		for len(ids) < users {
			ids[nextAttempt(t, log).ID] = true
		}
		return ids
	}
	fromA, fromB := seen(logA), seen(logB)
	require.Equal(t, fromA, fromB, "both subscribers saw the same attempts")
	n, err := a.DB.Client.DeliveryAttempt.Query().Count(context.Background())
	require.NoError(t, err)
	require.Equal(t, users, n)
}
