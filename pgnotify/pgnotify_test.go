package pgnotify_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/pgnotify"
	"github.com/profilehooks/profilehooks/secret"
)

const wait = 10 * time.Second // the reconnect waits a second

// postgres returns the test PostgreSQL's URL and a connection pool to it;
// these tests always run on PostgreSQL and fail when it is unreachable.
func postgres(t *testing.T) (string, *sql.DB) {
	t.Helper()
	url := os.Getenv(apitest.PostgresURLEnv)
	if url == "" {
		url = apitest.DefaultPostgresURL
	}
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Ping(), "PostgreSQL at %s is needed", url)
	return url, db
}

// collector gathers what a handler receives.
type collector struct {
	mu       sync.Mutex
	payloads []string
	batches  int
	missed   int
	changed  chan struct{}
}

func newCollector() *collector { return &collector{changed: make(chan struct{}, 1)} }

func (c *collector) handle(_ context.Context, payloads []string) {
	c.mu.Lock()
	if payloads == nil {
		c.missed++
	} else {
		c.payloads = append(c.payloads, payloads...)
		c.batches++
	}
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until ok holds for what was collected.
func (c *collector) waitFor(t *testing.T, what string, ok func(c *collector) bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		done := ok(c)
		c.mu.Unlock()
		if done {
			return
		}
		select {
		case <-c.changed:
		case <-deadline:
			require.FailNow(t, "timed out waiting for "+what)
		}
	}
}

func start(t *testing.T, l *pgnotify.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-l.Ready():
	case <-time.After(wait):
		require.FailNow(t, "the listener did not listen")
	}
	require.True(t, l.Listening())
}

// TestNotificationsArriveInOrderAndInBatches: a thousand notifications
// sent in one transaction reach their channel's handler in order, several
// to a call; another channel's handler gets only its own; nothing arrives
// before the commit.
func TestNotificationsArriveInOrderAndInBatches(t *testing.T) {
	t.Parallel()
	url, db := postgres(t)
	suffix := fmt.Sprintf("%x", secret.Random(6))
	chA, chB := pgnotify.Channel("test_a", suffix), pgnotify.Channel("test_b", suffix)
	a, b := newCollector(), newCollector()
	l := pgnotify.New(url, nil)
	l.Handle(chA, a.handle)
	l.Handle(chB, b.handle)
	start(t, l)

	want := make([]string, 1000)
	for i := range want {
		want[i] = strconv.Itoa(i)
	}
	tx, err := db.Begin()
	require.NoError(t, err)
	require.NoError(t, pgnotify.Notify(context.Background(), tx, chA, want...))
	require.NoError(t, pgnotify.Notify(context.Background(), tx, chB, "only"))
	require.NoError(t, pgnotify.Notify(context.Background(), tx, chB))
	a.mu.Lock()
	require.Empty(t, a.payloads, "nothing arrives before the commit")
	a.mu.Unlock()
	require.NoError(t, tx.Commit())

	a.waitFor(t, "a thousand payloads", func(c *collector) bool { return len(c.payloads) == len(want) })
	b.waitFor(t, "one payload", func(c *collector) bool { return len(c.payloads) == 1 })
	a.mu.Lock()
	defer a.mu.Unlock()
	require.Equal(t, want, a.payloads)
	require.Less(t, a.batches, len(want), "payloads that arrived together were handed over together")
	require.Equal(t, []string{"only"}, b.payloads)
}

// TestListenerComesBack: when its connection is killed, the listener
// connects again, tells every handler, once it listens again, that
// notifications may have been missed, and hears what is sent afterwards.
func TestListenerComesBack(t *testing.T) {
	t.Parallel()
	url, db := postgres(t)
	ch := pgnotify.Channel("test_back", fmt.Sprintf("%x", secret.Random(6)))
	c := newCollector()
	l := pgnotify.New(url, nil)
	l.Handle(ch, c.handle)
	start(t, l)

	res, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, `LISTEN "`+ch+`"`)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the listener's connection was found and killed")
	c.waitFor(t, "the missed notice", func(c *collector) bool { return c.missed == 1 })
	require.True(t, l.Listening(), "the notice comes once the listener listens again")
	require.NoError(t, pgnotify.Notify(context.Background(), db, ch, "after"))
	c.waitFor(t, "the payload sent after the reconnect", func(c *collector) bool { return len(c.payloads) == 1 })
	require.Equal(t, []string{"after"}, c.payloads)
}

// TestNilListenerIsASingleReplica: without PostgreSQL there is nobody to
// hear; a nil Listener is ready, listening, and runs not at all.
func TestNilListenerIsASingleReplica(t *testing.T) {
	t.Parallel()
	var l *pgnotify.Listener
	l.Handle("anything", func(context.Context, []string) { t.Error("called") })
	l.Run(context.Background())
	require.True(t, l.Listening())
	select {
	case <-l.Ready():
	default:
		require.Fail(t, "a nil Listener is ready")
	}
}

func TestChannelFitsPostgreSQLIdentifiers(t *testing.T) {
	t.Parallel()
	require.Equal(t, "profilehooks_wake_t_1", pgnotify.Channel("profilehooks_wake", "t_1"))
	long := pgnotify.Channel("profilehooks_attempts", fmt.Sprintf("%064d", 0))
	require.Len(t, long, 63)
}
