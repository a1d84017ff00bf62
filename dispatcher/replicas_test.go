package dispatcher_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

// The shape of TestReplicasShareOnePostgres.
const (
	replicaCount   = 3
	replicaHooks   = 4
	replicaUsers   = 50
	replicaWorkers = 12
	// replicaEvents is the number of profile events of the load, as the
	// issue asks: one creation per user, the rest updates; 40,000
	// deliveries in 200 (webhook, user) lanes, so each lane's backlog is
	// deep and the claim must read lane heads only.
	replicaEvents = 10000
)

// TestReplicasShareOnePostgres runs three server processes on one
// PostgreSQL schema and sends 10,000 profile events (replicaEvents)
// through them, spread over the replicas, to four
// webhooks, while one replica (the one with deliveries in flight) is killed
// with SIGKILL and started again. Every delivery must succeed, one user's
// deliveries must reach each webhook in order, a request may only be
// repeated under the same webhook-id with the same body and only for a
// delivery the killed replica held at its death, and a live deliveryLog
// subscription on each surviving replica must see every attempt, whichever
// replica recorded it.
//
// It always runs on PostgreSQL, whatever PROFILEHOOKS_TEST_DATABASE says,
// and fails when PostgreSQL is unreachable.
func TestReplicasShareOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three server processes on PostgreSQL")
	}
	started := time.Now()
	dbURL, schema, db := replicaDatabase(t)
	bin := buildBinary(t)
	built := time.Now()

	keyFile := filepath.Join(t.TempDir(), "secret.key")
	writeKeyFile(t, keyFile)
	replicas := make([]*child, replicaCount)
	for i := range replicas {
		replicas[i] = newReplica(t, bin, replicaURL(t, dbURL, schema, i), keyFile, i)
		replicas[i].start()
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 2 * replicaWorkers}
	t.Cleanup(transport.CloseIdleConnections)
	httpClient := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	envs := make([]*apitest.Env, replicaCount)
	for i, r := range replicas {
		envs[i] = &apitest.Env{URL: r.base, Token: crashToken, HTTP: httpClient}
	}
	running := time.Now()

	// The webhooks map the city, which the load changes on every update,
	// so every event goes to every webhook and its body carries the user's
	// counter; the short timeout makes the shortest lease.
	rcv := apitest.NewReceiver(t)
	secrets := map[string]string{} // webhook ID → signing secret
	for i := range replicaHooks {
		h := createHook(t, envs[i%replicaCount], map[string]any{
			"name": fmt.Sprintf("replica-%d", i), "url": rcv.URL, "timeoutSeconds": 1,
			"triggers": []string{"CREATE_USER", "UPDATE_USER_PROFILE"},
			"requestParameters": []map[string]any{
				{"apiField": "email", "profileField": "email"},
				{"apiField": "city", "profileField": "city"},
				{"apiField": "type", "profileField": "event.type"},
				{"apiField": "event", "profileField": "event.id"},
			},
		})
		secrets[h.ID] = h.Secret
	}

	// A live subscription on every replica, open before the load (the
	// killed replica's ends with it). Probe users are created until each
	// has seen an attempt, so all are registered before the load's first
	// event.
	lives := make([]*liveLog, replicaCount)
	for i, r := range replicas {
		lives[i] = subscribeDeliveryLog(t, r.base)
	}
	probes := map[string]bool{} // user ID of each probe
	probeDeadline := time.Now().Add(15 * time.Second)
	for i := 0; i < replicaCount; {
		probes[createUser(t, envs[0], map[string]any{"email": fmt.Sprintf("probe-%d@example.com", len(probes)), "city": "probe"})] = true
		for i < replicaCount && lives[i].waitAny(500*time.Millisecond) {
			i++
		}
		require.True(t, time.Now().Before(probeDeadline), "the live subscription on replica %d saw no attempt within 15s", i)
	}

	// The users, spread over the replicas.
	userIDs := make([]string, replicaUsers)
	emails := map[string]string{} // user ID → email
	for i := range userIDs {
		email := fmt.Sprintf("replica-%02d@example.com", i)
		userIDs[i] = createUser(t, envs[i%replicaCount], map[string]any{"email": email, "city": replicaCity(0)})
		emails[userIDs[i]] = email
	}

	// Each replica's lease owner, to tell which deliveries the killed one
	// held: testProfileWebhook leases its test delivery to the replica that
	// runs it while the request is out, and the receiver reads the lease.
	owners := leaseOwners(t, envs, db, userIDs[0])

	// The load: workers update the city of their own users to the user's
	// next counter, round-robin over the replicas. A request that fails in
	// transport (the replica is dead) is sent again, with the same city, to
	// the next replica once the dead replica's database sessions have
	// ended: its transaction was then committed, and the second request
	// changes nothing and records no event, or rolled back, and the second
	// one records it; so every counter is one event.
	load := &replicaLoad{client: httpClient, settled: make(chan struct{})}
	close(load.settled)
	for _, r := range replicas {
		load.bases = append(load.bases, r.base)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	const updates = replicaEvents - replicaUsers
	var (
		tickets atomic.Int64
		lastMu  sync.Mutex
		last    = map[string]int{} // user ID → last counter acknowledged
	)
	for w := range replicaWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string
			for i := w; i < replicaUsers; i += replicaWorkers {
				mine = append(mine, userIDs[i])
			}
			counters := make([]int, len(mine))
			defer func() {
				lastMu.Lock()
				defer lastMu.Unlock()
				for k, id := range mine {
					last[id] = counters[k]
				}
			}()
			for k := 0; tickets.Add(1) <= updates; k = (k + 1) % len(mine) {
				var out struct{ UpdateUserProfile struct{ ID string } }
				err := load.do(ctx, `mutation($id: ID!, $input: UpdateUserProfileInput!) { updateUserProfile(id: $id, input: $input) { id } }`,
					map[string]any{"id": mine[k], "input": map[string]any{"city": replicaCity(counters[k] + 1)}}, &out)
				if err != nil {
					load.fail(fmt.Sprintf("update %s to %d: %v", mine[k], counters[k]+1, err))
					return
				}
				counters[k]++
				load.acked.Add(1)
			}
		}()
	}
	loadDone := make(chan struct{})
	go func() { wg.Wait(); close(loadDone) }()

	// Kill replica 2 when 40% of the updates are acknowledged, note the
	// leases it held, and start it again on the same database and port.
	waitLoad := func(what string, timeout time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !ok() {
			select {
			case <-loadDone:
				require.FailNow(t, "the load ended before "+what, "failures: %v", load.failures())
			case <-time.After(5 * time.Millisecond):
			}
			require.True(t, time.Now().Before(deadline), "%s within %s", what, timeout)
		}
	}
	// The deadlines below are generous: under -race, beside the other
	// packages' tests on two cores, each phase takes about twice as long
	// as alone; they only bound a failure.
	waitLoad("40% of the updates were acknowledged", 180*time.Second, func() bool { return load.acked.Load() >= updates*2/5 })
	// Kill a replica while it holds leases, so that deliveries are in
	// flight: one replica's claim usually takes the head of every (webhook,
	// user) lane, and the others then hold none. The one holding most once
	// it holds at least 10, or any holding one once 75% of the updates are
	// acknowledged, or replica 2 at 90%.
	killed := 2
	for {
		counts := map[string]int{}
		rows, err := db.QueryContext(context.Background(), `SELECT lease_owner, count(*) FROM deliveries WHERE lease_owner IS NOT NULL GROUP BY 1`)
		require.NoError(t, err)
		for rows.Next() {
			var owner string
			var n int
			require.NoError(t, rows.Scan(&owner, &n))
			counts[owner] = n
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		acked := load.acked.Load()
		most := 0
		for i, owner := range owners.ids {
			if counts[owner] > counts[owners.ids[most]] {
				most = i
			}
		}
		if n := counts[owners.ids[most]]; n >= 10 || n > 0 && acked >= updates*3/4 {
			killed = most
			break
		}
		if acked >= updates*9/10 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	killedOwner := owners.ids[killed]
	ackedAtKill := load.acked.Load()
	load.unsettle()
	replicas[killed].kill()
	killedAt := time.Now()
	leasesAtKill := leases(t, db)
	require.Less(t, int(ackedAtKill), updates, "the replica was killed in the middle of the load")
	waitSessionsEnded(t, db, replicaAppName(schema, killed))
	load.settle()
	settledAt := time.Now()
	replicas[killed].start()
	restartedAt := time.Now()
	survivor := (killed + 1) % replicaCount // answers the queries below
	env := envs[survivor]

	select {
	case <-loadDone:
	case <-time.After(240 * time.Second):
		require.FailNow(t, "the load did not finish within 240s", "acknowledged %d of %d updates", load.acked.Load(), updates)
	}
	loadFinished := time.Now()
	t.Logf("load: %d updates in %s (replica %d killed after %d; its sessions ended after %s, restart took %s), %d transport errors retried",
		load.acked.Load(), loadFinished.Sub(load.startedAt()).Round(time.Millisecond), killed, ackedAtKill,
		settledAt.Sub(killedAt).Round(time.Millisecond), restartedAt.Sub(settledAt).Round(time.Millisecond), load.retried.Load())
	require.Empty(t, load.failures(), "every update was acknowledged in the end")
	require.Empty(t, load.answeredErrors(), "no replica answered an update with an error")
	if n := load.exhaustedErrors(); n > 0 {
		t.Logf("%d updates were answered that PostgreSQL had no connection left (other tests use it too) and were sent again", n)
	}
	require.EqualValues(t, updates, load.acked.Load())

	// Wait until no delivery is open: the killed replica's leases expire
	// (timeoutSeconds plus --lease-margin, 3s, after their claim) and the
	// other replicas take its deliveries over.
	deadline := time.Now().Add(90 * time.Second)
	lastReport := time.Now()
	for {
		var open struct{ Deliveries struct{ TotalCount int } }
		env.Must(t, `{ deliveries(where: {statusIn: [PENDING, RETRYING]}) { totalCount } }`, nil, &open)
		if open.Deliveries.TotalCount == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d deliveries still open 90s after the load", open.Deliveries.TotalCount)
		if time.Since(lastReport) > 10*time.Second {
			t.Logf("drain: %d deliveries open %s after the load", open.Deliveries.TotalCount, time.Since(loadFinished).Round(time.Second))
			lastReport = time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	drained := time.Now()

	// Read back what the replicas wrote.
	deliveries := allDeliveries(t, env)
	var events struct{ ProfileEvents struct{ TotalCount int } }
	env.Must(t, `{ profileEvents(where: {test: false}) { totalCount } }`, nil, &events)
	attemptsOf := map[string][]string{} // delivery ID → its attempts' IDs
	deliveryOf := map[string]string{}   // attempt ID → its delivery's ID
	rows, err := db.QueryContext(context.Background(), `SELECT id, delivery_id FROM delivery_attempts`)
	require.NoError(t, err)
	for rows.Next() {
		var id, dl string
		require.NoError(t, rows.Scan(&id, &dl))
		attemptsOf[dl] = append(attemptsOf[dl], id)
		deliveryOf[id] = dl
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())

	// One event per counter and user, one delivery per event and webhook,
	// every one succeeded.
	lastMu.Lock()
	wantEvents := len(probes)
	for _, id := range userIDs {
		wantEvents += 1 + last[id]
	}
	lastMu.Unlock()
	require.Equal(t, wantEvents, events.ProfileEvents.TotalCount, "one event per probe, creation and acknowledged update; "+
		"counters recorded twice: %v; requests that failed in transport: %v", repeatedCities(t, db), load.transportErrors())
	deliveries = slices.DeleteFunc(deliveries, func(d crashDelivery) bool { return d.Webhook.ID == owners.hook })
	require.Len(t, deliveries, replicaHooks*events.ProfileEvents.TotalCount, "one delivery per event and webhook")
	perEvent := map[string]map[string]bool{} // event ID → webhook IDs
	byID := map[string]crashDelivery{}
	for _, d := range deliveries {
		require.Equal(t, "SUCCEEDED", d.Status, "delivery %s (attempts %d)", d.ID, d.AttemptCount)
		_, ok := secrets[d.Webhook.ID]
		require.True(t, ok, "delivery %s goes to one of the test's webhooks", d.ID)
		require.Len(t, attemptsOf[d.ID], d.AttemptCount, "delivery %s counts its recorded attempts: %s", d.ID, attemptRows(t, db, d.ID))
		if perEvent[d.Event.ID] == nil {
			perEvent[d.Event.ID] = map[string]bool{}
		}
		require.False(t, perEvent[d.Event.ID][d.Webhook.ID], "event %s has one delivery to webhook %s", d.Event.ID, d.Webhook.ID)
		perEvent[d.Event.ID][d.Webhook.ID] = true
		byID[d.ID] = d
	}
	require.Len(t, perEvent, events.ProfileEvents.TotalCount)

	// The deliveries the killed replica held at its death: only those may
	// have been sent without their attempt being recorded.
	deadLeases := map[string]bool{} // delivery ID → held by the killed replica
	heldBy := make([]int, replicaCount)
	for id, owner := range leasesAtKill {
		i := slices.Index(owners.ids, owner)
		require.GreaterOrEqual(t, i, 0, "delivery %s was leased by %q, no replica's lease owner", id, owner)
		heldBy[i]++
		if owner == killedOwner {
			deadLeases[id] = true
		}
	}

	// The receiver got every delivery under its ID, signed, with the body
	// the delivery describes; a repeated request carries the same ID and
	// the same body, and only a delivery the killed replica held is
	// repeated, at most once.
	type request struct {
		id      string
		counter int
	}
	type lane struct{ webhook, user string }
	lanes := map[lane][]request{} // in arrival order
	bodies := map[string][]byte{} // delivery ID → body of its first request
	received := map[string]int{}  // delivery ID → requests
	all := rcv.All()
	for i, r := range all {
		id := r.Header.Get("webhook-id")
		d, ok := byID[id]
		require.True(t, ok, "request %d carries webhook-id %q, which is no delivery", i, id)
		received[id]++
		if first, ok := bodies[id]; ok {
			require.Equal(t, string(first), string(r.Body), "a repeated request of %s carries the same body", id)
		} else {
			bodies[id] = r.Body
			require.Equal(t, d.EventType, r.Header.Get("Profilehooks-Event"))
			verify(t, secrets[d.Webhook.ID], r.Header, r.Body)
			var body struct{ Email, City, Type, Event string }
			require.NoError(t, json.Unmarshal(r.Body, &body), "body of %s: %s", id, r.Body)
			require.Equal(t, d.User.Email, body.Email, "body of %s", id)
			require.Equal(t, d.EventType, body.Type, "body of %s", id)
			require.Equal(t, d.Event.ID, body.Event, "body of %s", id)
		}
		if probes[d.User.ID] {
			continue
		}
		var body struct{ City string }
		require.NoError(t, json.Unmarshal(r.Body, &body))
		counter, err := strconv.Atoi(strings.TrimPrefix(body.City, "city-"))
		require.NoError(t, err, "body of %s: %s", id, r.Body)
		k := lane{d.Webhook.ID, d.User.ID}
		lanes[k] = append(lanes[k], request{id: id, counter: counter})
	}
	require.Len(t, received, len(byID), "every delivery reached the receiver")
	duplicates := 0
	for id, n := range received {
		require.GreaterOrEqual(t, n, byID[id].AttemptCount, "every recorded attempt of %s was received", id)
		if n > 1 {
			duplicates += n - 1
			require.Equal(t, 2, n, "delivery %s was received at most twice", id)
			require.True(t, deadLeases[id], "delivery %s was received twice but the killed replica did not hold it", id)
		}
	}
	require.LessOrEqual(t, duplicates, len(deadLeases), "no more duplicates than deliveries the killed replica held")

	// One user's deliveries reach each webhook in the order of the user's
	// changes: the counters arrive in order, a repeated request before the
	// next delivery, and every counter arrives.
	require.Len(t, lanes, replicaHooks*replicaUsers)
	for k, reqs := range lanes {
		var counters []int
		for i, r := range reqs {
			if i > 0 {
				require.GreaterOrEqual(t, r.counter, reqs[i-1].counter, "webhook %s, user %s (%s): counter %d arrived after %d",
					k.webhook, k.user, emails[k.user], r.counter, reqs[i-1].counter)
				if r.id == reqs[i-1].id {
					continue
				}
				require.Greater(t, r.counter, reqs[i-1].counter, "webhook %s, user %s: two deliveries of one counter", k.webhook, k.user)
			}
			counters = append(counters, r.counter)
		}
		lastMu.Lock()
		n := last[k.user]
		lastMu.Unlock()
		require.Len(t, counters, n+1, "webhook %s, user %s (%s) got every counter from 0 to %d", k.webhook, k.user, emails[k.user], n)
		require.Equal(t, n, counters[n])
	}

	// The live subscriptions on the two replicas that were never killed
	// saw every attempt of the load, those the other replicas recorded too
	// (relayed through NOTIFY), each once, under its delivery's webhook-id.
	want := map[string]string{} // attempt ID → delivery ID
	for id, d := range byID {
		if probes[d.User.ID] {
			continue // their first attempts may precede the subscriptions
		}
		for _, a := range attemptsOf[id] {
			want[a] = id
		}
	}
	var caughtUp time.Time
	seenBy := map[int]int{} // surviving replica → attempts its subscription saw
	for i, live := range lives {
		if i == killed {
			continue
		}
		caughtUp = live.waitFor(want, 60*time.Second)
		seen, repeats, ended := live.snapshot()
		seenBy[i] = len(seen)
		require.Empty(t, ended, "the live subscription on replica %d ended early", i)
		require.Zero(t, repeats, "the live subscription on replica %d saw no attempt twice", i)
		var missing []string
		for a, dl := range want {
			got, ok := seen[a]
			if !ok {
				missing = append(missing, a+" ("+dl+")")
				continue
			}
			require.Equal(t, dl, got, "attempt %s carries its delivery's webhook-id", a)
		}
		slices.Sort(missing)
		require.Empty(t, missing, "the live subscription on replica %d missed %d of %d attempts", i, len(missing), len(want))
		for a := range seen {
			_, ok := deliveryOf[a]
			require.True(t, ok, "the live subscription on replica %d saw attempt %s, which is not recorded", i, a)
		}
	}
	checked := time.Now()

	t.Logf("%d events (%d updates, %d acknowledged before the kill), %d deliveries, %d attempts, %d requests received, %d transport errors retried",
		events.ProfileEvents.TotalCount, updates, ackedAtKill, len(deliveries), len(deliveryOf), len(all), load.retried.Load())
	t.Logf("kill: replica %d killed; leases held by replicas 0, 1, 2 at the kill: %v; %d duplicates (same webhook-id, same body); attempts the survivors' live subscriptions saw (by replica): %v, of %d attempts of the load and 3 of testProfileWebhook",
		killed, heldBy, duplicates, seenBy, len(want))
	t.Logf("timings: build %s, start replicas %s, set-up %s, load to the kill %s, restart %s, rest of the load %s, drain %s, subscription caught up %s, checks %s, total %s",
		built.Sub(started).Round(time.Millisecond), running.Sub(built).Round(time.Millisecond),
		load.startedAt().Sub(running).Round(time.Millisecond), killedAt.Sub(load.startedAt()).Round(time.Millisecond),
		restartedAt.Sub(killedAt).Round(time.Millisecond), loadFinished.Sub(restartedAt).Round(time.Millisecond),
		drained.Sub(loadFinished).Round(time.Millisecond), caughtUp.Sub(drained).Round(time.Millisecond),
		checked.Sub(caughtUp).Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
}

// replicaCity is the city of a user after its n-th update.
func replicaCity(n int) string { return fmt.Sprintf("city-%06d", n) }

// replicaDatabase creates a schema of its own in the test PostgreSQL
// (dropped when t ends) and returns the URL of the schema, its name and a
// small pool on it. An unreachable PostgreSQL fails the test.
func replicaDatabase(t *testing.T) (string, string, *sql.DB) {
	t.Helper()
	base := os.Getenv(apitest.PostgresURLEnv)
	if base == "" {
		base = apitest.DefaultPostgresURL
	}
	u, err := url.Parse(base)
	require.NoError(t, err, "%s", apitest.PostgresURLEnv)
	random := make([]byte, 8)
	_, err = rand.Read(random)
	require.NoError(t, err)
	schema := "t_" + hex.EncodeToString(random)

	lockReplicaTest(t, u)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	// Registered before the replicas start, so it runs after they are
	// killed. A killed replica's backend may still be running a statement
	// (holding locks the DROP waits for): the connections of this test
	// carry the schema in their application_name and are ended first.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE starts_with(application_name, $1) AND pid <> pg_backend_pid()`, schema); err != nil {
			t.Logf("end the connections to schema %s: %v", schema, err)
		}
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})

	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	require.NoError(t, err)
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = db.Close() })
	return u.String(), schema, db
}

// replicaTestLock is the PostgreSQL advisory lock that one run of
// TestReplicasShareOnePostgres holds ("phkrepl1").
const replicaTestLock int64 = 0x70686b7265706c31

// lockReplicaTest waits until no other run of the test (another go test
// process on the same PostgreSQL) holds the lock, and holds it until t
// ends: two runs at once would exhaust max_connections (each replica's pool
// opens up to 21 connections) and share the database-wide NOTIFY channels.
func lockReplicaTest(t *testing.T, u *url.URL) {
	t.Helper()
	lockDB, err := sql.Open("pgx", u.String())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := lockDB.Conn(ctx)
	if err != nil {
		_ = lockDB.Close()
	}
	require.NoError(t, err, "this test needs PostgreSQL at %s (set %s)", u.Redacted(), apitest.PostgresURLEnv)
	// Registered before the schema's cleanup, so it runs after it. Closing
	// the connection would release the lock too.
	t.Cleanup(func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", replicaTestLock)
		_ = conn.Close()
		_ = lockDB.Close()
	})
	start := time.Now()
	_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", replicaTestLock)
	require.NoError(t, err, "wait for another run of the test to end")
	if waited := time.Since(start); waited > time.Second {
		t.Logf("waited %s for another run of the test on this PostgreSQL", waited.Round(time.Millisecond))
	}
}

// replicaAppName is the application_name of replica i's database
// sessions.
func replicaAppName(schema string, i int) string { return fmt.Sprintf("%s_r%d", schema, i) }

// replicaURL is dbURL with replica i's application_name.
func replicaURL(t *testing.T, dbURL, schema string, i int) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	q := u.Query()
	q.Set("application_name", replicaAppName(schema, i))
	u.RawQuery = q.Encode()
	return u.String()
}

// waitSessionsEnded waits until the database has ended every session named
// app: those of a killed process end once PostgreSQL notices the closed
// connection, which commits or rolls back what they were doing.
func waitSessionsEnded(t *testing.T, db *sql.DB, app string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		require.NoError(t, db.QueryRowContext(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n))
		if n == 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d sessions of the killed replica still open after 30s", n)
		time.Sleep(10 * time.Millisecond)
	}
}

// repeatedCities lists the users' cities that more than one event
// recorded, for a failure message.
func repeatedCities(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT user_id, snapshot->>'city', count(*), string_agg(user_version::text, ',')
		FROM profile_events GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var user, city, versions string
		var n int
		require.NoError(t, rows.Scan(&user, &city, &n, &versions))
		out = append(out, fmt.Sprintf("%s %s ×%d (versions %s)", user, city, n, versions))
	}
	require.NoError(t, rows.Err())
	return out
}

// newReplica prepares a server process on the database at dbURL, with the
// shared secret key; it is killed when t ends, and the tail of its log
// (without the requests that succeeded) is printed if t failed.
func newReplica(t *testing.T, bin, dbURL, keyFile string, i int) *child {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	c := &child{
		t:       t,
		bin:     bin,
		logPath: filepath.Join(t.TempDir(), fmt.Sprintf("replica-%d.log", i)),
		base:    "http://" + addr,
		args: []string{"serve",
			"--addr", addr,
			"--database-url", dbURL,
			"--secret-key-file", keyFile,
			"--admin-token", crashToken,
			"--allow-private-targets",
			"--retry-schedule", "0s,20ms,50ms,100ms,200ms,400ms,800ms,1s",
			"--lease-margin", "2s",
			"--log-format", "text",
		},
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpReplicaLog(t, i, c.logPath)
		}
	})
	t.Cleanup(func() {
		if c.cmd != nil {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// dumpReplicaLog prints the last lines of a replica's log, leaving out the
// requests that succeeded, which would hide everything else.
func dumpReplicaLog(t *testing.T, i int, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Logf("replica %d log: %v", i, err)
		return
	}
	var lines []string
	left := 0
	for line := range strings.SplitSeq(strings.TrimRight(string(data), "\n"), "\n") {
		if strings.Contains(line, `msg="http request"`) && strings.Contains(line, "status=200") {
			left++
			continue
		}
		lines = append(lines, line)
	}
	const keep = 100
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	t.Logf("replica %d log %s (last %d lines, %d successful requests left out):\n%s", i, path, len(lines), left, strings.Join(lines, "\n"))
}

// replicaLoad sends mutations round-robin over the replicas.
type replicaLoad struct {
	bases  []string
	client *http.Client
	rr     atomic.Uint64
	acked  atomic.Int64
	// retried counts the requests that failed in transport and were sent
	// again to the next replica.
	retried atomic.Int64

	mu        sync.Mutex
	start     time.Time
	settled   chan struct{} // closed while no killed replica may still commit
	answered  []string      // errors a replica answered
	exhausted int           // answers that PostgreSQL had no connection left
	transport []string      // transport errors
	failed    []string      // mutations given up
}

// unsettle makes requests that fail wait for settle before they are sent
// again.
func (l *replicaLoad) unsettle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settled = make(chan struct{})
}

func (l *replicaLoad) settle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.settled)
}

// do sends a mutation to the next replica, and again to the next one while
// it fails, for at most 30s; after a transport error, not before settled is
// closed. A mutation is only ever sent again with the same input, so
// sending it twice records it once.
func (l *replicaLoad) do(ctx context.Context, query string, vars map[string]any, dst any) error {
	l.mu.Lock()
	if l.start.IsZero() {
		l.start = time.Now()
	}
	l.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		base := l.bases[l.rr.Add(1)%uint64(len(l.bases))]
		err := post(ctx, l.client, base, query, vars, dst)
		if err == nil || ctx.Err() != nil {
			return err
		}
		l.mu.Lock()
		switch {
		case errors.Is(err, errAnswered) && strings.Contains(err.Error(), "SQLSTATE 53300"):
			// too_many_connections: other tests share the PostgreSQL.
			l.exhausted++
		case errors.Is(err, errAnswered):
			l.answered = append(l.answered, fmt.Sprintf("%s: %v", base, err))
		default:
			l.retried.Add(1)
			l.transport = append(l.transport, fmt.Sprintf("%s %v: %v", base, vars, err))
		}
		settled := l.settled
		l.mu.Unlock()
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-settled:
		case <-ctx.Done():
			return ctx.Err()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *replicaLoad) transportErrors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.transport)
}

func (l *replicaLoad) fail(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = append(l.failed, msg)
}

func (l *replicaLoad) failures() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.failed)
}

func (l *replicaLoad) answeredErrors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.answered)
}

func (l *replicaLoad) exhaustedErrors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.exhausted
}

func (l *replicaLoad) startedAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.start
}

// leases returns the deliveries leased now, with their lease owners.
func leases(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT id, lease_owner FROM deliveries WHERE lease_owner IS NOT NULL AND lease_owner <> ''`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, owner string
		require.NoError(t, rows.Scan(&id, &owner))
		out[id] = owner
	}
	require.NoError(t, rows.Err())
	return out
}

// replicaOwners are the lease owners of the replicas.
type replicaOwners struct {
	ids  []string // by replica
	hook string   // the webhook that learnt them
}

// leaseOwners learns each replica's lease owner: a webhook that no event
// reaches is tested through each replica; the replica leases the test
// delivery to itself before it sends the request, and the receiver reads
// the lease of the delivery the request names.
func leaseOwners(t *testing.T, envs []*apitest.Env, db *sql.DB, userID string) replicaOwners {
	t.Helper()
	var (
		mu    sync.Mutex
		owner string
		err   error
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o string
		e := db.QueryRowContext(r.Context(), `SELECT lease_owner FROM deliveries WHERE id = $1`, r.Header.Get("webhook-id")).Scan(&o)
		mu.Lock()
		owner, err = o, e
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(ts.Close)
	h := createHook(t, envs[0], map[string]any{
		"name": "lease owners", "url": ts.URL, "timeoutSeconds": 10,
		"triggers": []string{"ACTIVATE_DEACTIVATE_USER"}, // the load never (de)activates
	})
	out := replicaOwners{hook: h.ID}
	for i, env := range envs {
		var res struct{ TestProfileWebhook struct{ ResponseStatus int } }
		env.Must(t, `mutation($id: ID!, $u: ID!) { testProfileWebhook(id: $id, userId: $u, trigger: UPDATE_USER_PROFILE) { responseStatus } }`,
			map[string]any{"id": h.ID, "u": userID}, &res)
		require.Equal(t, http.StatusOK, res.TestProfileWebhook.ResponseStatus)
		mu.Lock()
		require.NoError(t, err, "read the lease of replica %d's test delivery", i)
		require.NotEmpty(t, owner, "replica %d's test delivery is leased", i)
		require.NotContains(t, out.ids, owner, "replica %d has a lease owner of its own", i)
		out.ids = append(out.ids, owner)
		owner, err = "", nil
		mu.Unlock()
	}
	return out
}

// liveLog is a deliveryLog subscription over graphql-transport-ws that
// records every attempt it receives.
type liveLog struct {
	mu      sync.Mutex
	seen    map[string]string // attempt ID → webhook-id of its request
	repeats int
	ended   string // why the subscription ended, if it did
	changed chan struct{}
}

// attemptRows describes the attempts of a delivery, for a failure message.
func attemptRows(t *testing.T, db *sql.DB, deliveryID string) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(),
		`SELECT id, number, created_at, duration_ms, coalesce(response_status, 0), error FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id`, deliveryID)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			id, errText    string
			number, status int
			duration       int64
			created        time.Time
		)
		require.NoError(t, rows.Scan(&id, &number, &created, &duration, &status, &errText))
		out = append(out, fmt.Sprintf("%s #%d at %s, %d ms, status %d %q", id, number, created.Format("15:04:05.000"), duration, status, errText))
	}
	return strings.Join(out, "; ")
}

// subscribeDeliveryLog subscribes to every attempt on the server at base;
// the subscription ends with t.
func subscribeDeliveryLog(t *testing.T, base string) *liveLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dialCtx, dialCancel := context.WithTimeout(ctx, 10*time.Second)
	defer dialCancel()
	c, _, err := websocket.Dial(dialCtx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	require.NoError(t, wsjson.Write(dialCtx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + crashToken}}))
	var ack struct{ Type string }
	require.NoError(t, wsjson.Read(dialCtx, c, &ack))
	require.Equal(t, "connection_ack", ack.Type)
	require.NoError(t, wsjson.Write(dialCtx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { deliveryLog { id requestHeaders { name value } } }`,
	}}))

	l := &liveLog{seen: map[string]string{}, changed: make(chan struct{}, 1)}
	// The reader only reads (and answers pings), so that this process, busy
	// with the load, the receiver and -race, never falls so far behind that
	// the server drops the subscription; the parser takes what it read.
	var (
		queueMu sync.Mutex
		queue   [][]byte
		queued  = make(chan struct{}, 1)
	)
	done, parsed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done) // the parser takes what is left and stops
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				l.end(fmt.Sprintf("read: %v", err))
				return
			}
			if bytes.Contains(data, []byte(`"type":"ping"`)) {
				if err := wsjson.Write(ctx, c, map[string]any{"type": "pong"}); err != nil {
					l.end(fmt.Sprintf("pong: %v", err))
					return
				}
				continue
			}
			queueMu.Lock()
			queue = append(queue, data)
			queueMu.Unlock()
			select {
			case queued <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		defer close(parsed)
		for {
			finished := false
			select {
			case <-queued:
			case <-done:
				finished = true
			}
			queueMu.Lock()
			batch := queue
			queue = nil
			queueMu.Unlock()
			for _, data := range batch {
				if !l.parse(data) {
					return
				}
			}
			if finished {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = c.CloseNow()
		<-done
		<-parsed
	})
	return l
}

// parse takes one message of the subscription; false when it ended it.
func (l *liveLog) parse(data []byte) bool {
	var msg struct {
		Type    string
		Payload json.RawMessage
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		l.end(fmt.Sprintf("message: %v: %s", err, data))
		return false
	}
	switch msg.Type {
	case "next":
		var p struct {
			Data struct {
				DeliveryLog struct {
					ID             string
					RequestHeaders []struct{ Name, Value string }
				}
			}
			Errors []apitest.Error
		}
		if err := json.Unmarshal(msg.Payload, &p); err != nil || len(p.Errors) > 0 {
			l.end(fmt.Sprintf("next: %v %+v: %s", err, p.Errors, msg.Payload))
			return false
		}
		webhookID := ""
		for _, h := range p.Data.DeliveryLog.RequestHeaders {
			if strings.EqualFold(h.Name, "webhook-id") {
				webhookID = h.Value
			}
		}
		l.add(p.Data.DeliveryLog.ID, webhookID)
	case "pong":
	default: // complete or error: the server ended the subscription
		l.end(fmt.Sprintf("%s: %s", msg.Type, msg.Payload))
		return false
	}
	return true
}

func (l *liveLog) add(attemptID, webhookID string) {
	l.mu.Lock()
	if _, ok := l.seen[attemptID]; ok {
		l.repeats++
	}
	l.seen[attemptID] = webhookID
	l.mu.Unlock()
	l.notify()
}

func (l *liveLog) end(why string) {
	l.mu.Lock()
	if l.ended == "" {
		l.ended = why
	}
	l.mu.Unlock()
	l.notify()
}

func (l *liveLog) notify() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// waitAny reports whether the subscription has seen an attempt, waiting
// up to timeout for one.
func (l *liveLog) waitAny(timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		n, ended := len(l.seen), l.ended
		l.mu.Unlock()
		if n > 0 || ended != "" {
			return n > 0
		}
		select {
		case <-l.changed:
		case <-deadline:
			return false
		}
	}
}

// waitFor waits, polling every 50ms for at most timeout, until the
// subscription has seen every attempt of want or has ended, and returns
// when it stopped waiting.
func (l *liveLog) waitFor(want map[string]string, timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for {
		l.mu.Lock()
		complete := l.ended != ""
		if !complete {
			complete = true
			for a := range want {
				if _, ok := l.seen[a]; !ok {
					complete = false
					break
				}
			}
		}
		l.mu.Unlock()
		if complete || time.Now().After(deadline) {
			return time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// snapshot returns what the subscription saw so far.
func (l *liveLog) snapshot() (seen map[string]string, repeats int, ended string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.seen), l.repeats, l.ended
}
