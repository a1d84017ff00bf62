package dispatcher_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

// crashToken is the admin token of the child server.
const crashToken = "crash-test-admin-token"

// child is a profilehooks server running as a separate process, so that it
// can be killed with SIGKILL and started again on the same database.
type child struct {
	t       *testing.T
	bin     string
	args    []string
	logPath string
	base    string

	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has exited
}

// buildBinary builds cmd/profilehooks into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "profilehooks")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/profilehooks")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// writeKeyFile writes a fresh secret key: outside dev mode the server does
// not create one.
func writeKeyFile(t *testing.T, path string) {
	t.Helper()
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600))
}

// newChild prepares a child server on a fresh SQLite database; it is
// killed when t ends, and its log is printed if t failed.
func newChild(t *testing.T, bin string) *child {
	t.Helper()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "secret.key")
	writeKeyFile(t, keyFile)
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	c := &child{
		t:       t,
		bin:     bin,
		logPath: filepath.Join(dir, "server.log"),
		base:    "http://" + addr,
		args: []string{"serve",
			"--addr", addr,
			"--database-url", "sqlite://" + filepath.Join(dir, "db.sqlite"),
			"--secret-key-file", keyFile,
			"--admin-token", crashToken,
			"--allow-private-targets",
			"--retry-schedule", "0s,20ms,50ms,100ms,200ms,400ms,800ms",
			"--log-format", "text",
		},
	}
	// Cleanups run last-registered first: the log is printed after the
	// process is gone.
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLog()
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

// start starts the process and waits until /readyz answers 200.
func (c *child) start() {
	c.t.Helper()
	f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(c.t, err)
	cmd := exec.Command(c.bin, c.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = childEnv()
	require.NoError(c.t, cmd.Start())
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(done)
	}()
	c.cmd, c.done = cmd, done
	c.waitReady()
}

// childEnv is the test's environment without PROFILEHOOKS_ variables, so
// that only the flags configure the child.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PROFILEHOOKS_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady polls /readyz until it answers 200, the process exits or 20 s
// pass.
func (c *child) waitReady() {
	c.t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Get(c.base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-c.done:
			require.FailNow(c.t, "the server exited before it was ready", "exit: %v", c.cmd.ProcessState)
		case <-time.After(10 * time.Millisecond):
		}
		require.True(c.t, time.Now().Before(deadline), "the server was not ready within 20s (last error: %v)", err)
	}
}

// kill kills the process with SIGKILL and waits until it is gone.
func (c *child) kill() {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		require.FailNow(c.t, "the killed server did not exit")
	}
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(c.t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the server died of SIGKILL: %v", c.cmd.ProcessState)
}

// dumpLog prints the last lines of the child's log.
func (c *child) dumpLog() {
	data, err := os.ReadFile(c.logPath)
	if err != nil {
		c.t.Logf("server log: %v", err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	const keep = 150
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	c.t.Logf("server log %s (last %d lines):\n%s", c.logPath, len(lines), strings.Join(lines, "\n"))
}

// errAnswered is an error the server answered (as opposed to a transport
// error while it was down).
var errAnswered = errors.New("answered with an error")

// post sends a GraphQL operation without failing the test, so that the
// load can run in goroutines and survive the server's death.
func post(ctx context.Context, client *http.Client, base, query string, vars map[string]any, dst any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+crashToken)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out apitest.Response
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("%w: status %d, body %q", errAnswered, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return fmt.Errorf("%w: status %d, errors %+v", errAnswered, resp.StatusCode, out.Errors)
	}
	return json.Unmarshal(out.Data, dst)
}

// crashDelivery is a delivery as the crash test reads it back.
type crashDelivery struct {
	ID           string
	Status       string
	Trigger      string
	EventType    string
	AttemptCount int
	Webhook      struct{ ID string }
	Event        struct{ ID string }
	User         struct {
		ID    string
		Email string
		City  *string
	}
}

// allDeliveries pages through every delivery.
func allDeliveries(t *testing.T, env *apitest.Env) []crashDelivery {
	t.Helper()
	var out []crashDelivery
	var after any
	for {
		var page struct {
			Deliveries struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node crashDelivery }
			}
		}
		env.Must(t, `query($after: Cursor) { deliveries(first: 100, after: $after) {
			totalCount pageInfo { hasNextPage endCursor }
			edges { node { id status trigger eventType attemptCount webhook { id } event { id } user { id email city } } } } }`,
			map[string]any{"after": after}, &page)
		for _, e := range page.Deliveries.Edges {
			out = append(out, e.Node)
		}
		if !page.Deliveries.PageInfo.HasNextPage {
			require.Len(t, out, page.Deliveries.TotalCount)
			return out
		}
		after = page.Deliveries.PageInfo.EndCursor
	}
}

// TestCrashLosesNoEvent kills a child server with SIGKILL in the middle of
// a load of profile changes and starts it again on the same database: every
// event must still reach every webhook, a redelivery must carry the
// delivery's webhook-id and the same body, and one user's events must reach
// a webhook in order.
func TestCrashLosesNoEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	started := time.Now()
	bin := buildBinary(t)
	built := time.Now()
	srv := newChild(t, bin)
	srv.start()

	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(transport.CloseIdleConnections)
	httpClient := &http.Client{Transport: transport, Timeout: 15 * time.Second}
	env := &apitest.Env{URL: srv.base, Token: crashToken, HTTP: httpClient}

	rcv := apitest.NewReceiver(t)
	secrets := map[string]string{} // webhook ID → signing secret
	for i := range 3 {
		// The shortest timeout makes the shortest lease, so deliveries
		// claimed by the killed process come back as soon as possible.
		h := createHook(t, env, map[string]any{
			"name": fmt.Sprintf("crash-%d", i), "url": rcv.URL, "timeoutSeconds": 1,
			"triggers": []string{"CREATE_USER", "UPDATE_USER_PROFILE"},
		})
		secrets[h.ID] = h.Secret
	}

	// The load: workers create users and change each one's city. ready is
	// closed while the server is up; a worker whose request failed waits
	// for it before going on, so the load resumes after the restart.
	const users, workers = 150, 4
	type ack struct {
		email  string
		update bool
	}
	var (
		mu        sync.Mutex
		ready     = make(chan struct{})
		acks      = map[string]*ack{} // user ID → what the server acknowledged
		failures  []string
		answered  []string // errors the server answered (not transport errors)
		nAcked    atomic.Int64
		third     = make(chan struct{})
		thirdOnce sync.Once
	)
	close(ready)
	currentReady := func() chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		return ready
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	acked := func() {
		if nAcked.Add(1) >= 2*users/3 {
			thirdOnce.Do(func() { close(third) })
		}
	}
	failed := func(what string, err error) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf("%s: %v", what, err))
		if errors.Is(err, errAnswered) {
			answered = append(answered, fmt.Sprintf("%s: %v", what, err))
		}
		mu.Unlock()
		select {
		case <-currentReady():
		case <-ctx.Done():
		}
	}
	items := make(chan int, users)
	for i := range users {
		items <- i
	}
	close(items)
	loadDone := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range items {
				if ctx.Err() != nil {
					return
				}
				email := fmt.Sprintf("crash-%03d@example.com", i)
				var created struct{ CreateUser struct{ ID string } }
				err := post(ctx, httpClient, srv.base, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
					map[string]any{"input": map[string]any{"email": email, "city": "Before"}}, &created)
				if err != nil {
					failed("create "+email, err)
					continue
				}
				id := created.CreateUser.ID
				mu.Lock()
				acks[id] = &ack{email: email}
				mu.Unlock()
				acked()
				city := fmt.Sprintf("After-%03d", i)
				var updated struct{ UpdateUserProfile struct{ ID string } }
				err = post(ctx, httpClient, srv.base, `mutation($id: ID!, $input: UpdateUserProfileInput!) { updateUserProfile(id: $id, input: $input) { id } }`,
					map[string]any{"id": id, "input": map[string]any{"city": city}}, &updated)
				if err != nil {
					failed("update "+email, err)
					continue
				}
				mu.Lock()
				acks[id].update = true
				mu.Unlock()
				acked()
			}
		}()
	}
	go func() { wg.Wait(); close(loadDone) }()

	// Kill the server once a third of the load is acknowledged, and start
	// it again on the same database.
	select {
	case <-third:
	case <-loadDone:
		require.FailNow(t, "the load finished before the kill")
	case <-time.After(60 * time.Second):
		require.FailNow(t, "a third of the load was not acknowledged in time")
	}
	mu.Lock()
	ready = make(chan struct{})
	mu.Unlock()
	ackedAtKill := nAcked.Load()
	killedAt := time.Now()
	srv.kill()
	transport.CloseIdleConnections()
	srv.start()
	restartedAt := time.Now()
	mu.Lock()
	close(ready)
	mu.Unlock()

	select {
	case <-loadDone:
	case <-time.After(60 * time.Second):
		require.FailNow(t, "the load did not finish")
	}
	loadFinished := time.Now()
	mu.Lock()
	t.Logf("load: %d mutations acknowledged (%d before the kill), %d failed: %v", nAcked.Load(), ackedAtKill, len(failures), failures)
	require.Empty(t, answered, "the server answered no mutation with an error")
	// Each worker has at most one request in flight when the server dies,
	// and waits for the restart before it sends another.
	require.LessOrEqual(t, len(failures), workers, "only the requests in flight at the kill failed")
	require.GreaterOrEqual(t, int(nAcked.Load()), 2*users-2*workers)
	mu.Unlock()

	// Wait until no delivery is open. Deliveries the killed process had
	// claimed are released when the new process starts (SQLite has one
	// process per file, so a lease not its own belongs to a dead one).
	deadline := time.Now().Add(60 * time.Second)
	for {
		var open struct{ Deliveries struct{ TotalCount int } }
		env.Must(t, `{ deliveries(where: {statusIn: [PENDING, RETRYING]}) { totalCount } }`, nil, &open)
		if open.Deliveries.TotalCount == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d deliveries still open after 60s", open.Deliveries.TotalCount)
		time.Sleep(20 * time.Millisecond)
	}
	drained := time.Now()

	deliveries := allDeliveries(t, env)
	var events struct{ ProfileEvents struct{ TotalCount int } }
	env.Must(t, `{ profileEvents { totalCount } }`, nil, &events)

	// Every event, acknowledged or not, has one delivery per webhook, and
	// every delivery succeeded.
	require.Len(t, deliveries, 3*events.ProfileEvents.TotalCount, "three deliveries per event")
	type key struct{ user, trigger string }
	perEvent := map[string]map[string]bool{} // event ID → webhook IDs
	byUserTrigger := map[key]map[string]bool{}
	byID := map[string]crashDelivery{}
	for _, d := range deliveries {
		require.Equal(t, "SUCCEEDED", d.Status, "delivery %s (attempts %d)", d.ID, d.AttemptCount)
		require.Contains(t, secrets, d.Webhook.ID)
		if perEvent[d.Event.ID] == nil {
			perEvent[d.Event.ID] = map[string]bool{}
		}
		require.False(t, perEvent[d.Event.ID][d.Webhook.ID], "one delivery per event and webhook")
		perEvent[d.Event.ID][d.Webhook.ID] = true
		k := key{d.User.ID, d.Trigger}
		if byUserTrigger[k] == nil {
			byUserTrigger[k] = map[string]bool{}
		}
		byUserTrigger[k][d.Webhook.ID] = true
		byID[d.ID] = d
	}
	require.Len(t, perEvent, events.ProfileEvents.TotalCount)

	// Every acknowledged change reached every webhook.
	mu.Lock()
	for uid, a := range acks {
		require.Len(t, byUserTrigger[key{uid, "CREATE_USER"}], 3, "creation of %s (%s)", uid, a.email)
		if a.update {
			require.Len(t, byUserTrigger[key{uid, "UPDATE_USER_PROFILE"}], 3, "update of %s (%s)", uid, a.email)
		}
	}
	mu.Unlock()

	// The receiver saw exactly the deliveries, each under its ID; a request
	// sent again carries the same webhook-id and the same body.
	type seen struct {
		body  []byte
		count int
		first int // index of the first request with this ID
		last  int
	}
	got := map[string]*seen{}
	duplicates := 0
	for i, r := range rcv.All() {
		id := r.Header.Get("webhook-id")
		d, ok := byID[id]
		require.True(t, ok, "request %d carries webhook-id %q, which is no delivery", i, id)
		require.Equal(t, d.EventType, r.Header.Get("Profilehooks-Event"))
		verify(t, secrets[d.Webhook.ID], r.Header, r.Body)
		s := got[id]
		if s == nil {
			var body struct {
				Type string
				Data struct {
					Email string
					City  *string
				}
			}
			require.NoError(t, json.Unmarshal(r.Body, &body))
			require.Equal(t, d.EventType, body.Type)
			require.Equal(t, d.User.Email, body.Data.Email)
			if d.Trigger == "UPDATE_USER_PROFILE" {
				require.Equal(t, d.User.City, body.Data.City, "the update carries the new city")
			}
			got[id] = &seen{body: r.Body, count: 1, first: i, last: i}
			continue
		}
		duplicates++
		require.Equal(t, string(s.body), string(r.Body), "a redelivery of %s carries the same body", id)
		s.count++
		s.last = i
	}
	require.Len(t, got, len(byID), "every delivery reached the receiver")
	for id, s := range got {
		require.GreaterOrEqual(t, s.count, byID[id].AttemptCount, "every recorded attempt of %s was received", id)
	}

	// One user's events reach a webhook in order, even across the crash:
	// every request of the creation comes before any of the update.
	creates := map[key]string{} // (user, webhook) → creation delivery
	for _, d := range deliveries {
		if d.Trigger == "CREATE_USER" {
			creates[key{d.User.ID, d.Webhook.ID}] = d.ID
		}
	}
	for _, d := range deliveries {
		if d.Trigger != "UPDATE_USER_PROFILE" {
			continue
		}
		c, ok := creates[key{d.User.ID, d.Webhook.ID}]
		require.True(t, ok, "update %s has a creation before it", d.ID)
		require.Less(t, got[c].last, got[d.ID].first, "user %s: creation %s before update %s at webhook %s", d.User.ID, c, d.ID, d.Webhook.ID)
	}

	t.Logf("%d events, %d deliveries, %d requests, %d duplicates (same webhook-id, same body)",
		events.ProfileEvents.TotalCount, len(deliveries), len(rcv.All()), duplicates)
	t.Logf("timings: build %s, to kill %s, restart %s, rest of load %s, drain %s, checks %s, total %s",
		built.Sub(started).Round(time.Millisecond), killedAt.Sub(built).Round(time.Millisecond),
		restartedAt.Sub(killedAt).Round(time.Millisecond), loadFinished.Sub(restartedAt).Round(time.Millisecond),
		drained.Sub(loadFinished).Round(time.Millisecond), time.Since(drained).Round(time.Millisecond),
		time.Since(started).Round(time.Millisecond))
}
