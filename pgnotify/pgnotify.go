// Package pgnotify carries notifications between replicas that share one
// PostgreSQL database. Senders NOTIFY inside the transaction that causes a
// notification, so it arrives at commit, and only then. Each replica holds
// one connection that LISTENs on every channel the server uses and hands
// each channel's payloads to that channel's handler, in order, as many at
// a time as have arrived.
package pgnotify

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// MaxBatch is the most payloads a Handler receives at once.
const MaxBatch = 512

// Channel returns the name of the channel base for the deployment whose
// tables live in schema: channels belong to a database, and two
// deployments may share one database in different schemas. Names are cut
// to PostgreSQL's 63-byte identifier limit.
func Channel(base, schema string) string {
	name := base + "_" + schema
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// Execer runs a statement: an ent client or transaction, or a *sql.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Notify sends one notification on channel per payload, in one statement,
// through ex (usually the transaction that causes them). No payloads sends
// nothing.
func Notify(ctx context.Context, ex Execer, channel string, payloads ...string) error {
	var err error
	switch len(payloads) {
	case 0:
		return nil
	case 1:
		_, err = ex.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payloads[0])
	default:
		_, err = ex.ExecContext(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", channel, payloads)
	}
	if err != nil {
		return fmt.Errorf("pgnotify: notify %s: %w", channel, err)
	}
	return nil
}

// Handler receives the payloads of one channel's notifications, in the
// order they arrived, at most MaxBatch at a time. It is called with nil
// after the connection was lost and made again: notifications may have
// been missed meanwhile.
type Handler func(ctx context.Context, payloads []string)

// Listener holds the connection that listens to the other replicas. A nil
// *Listener (a single replica, or SQLite) listens to nothing: Handle and
// Run do nothing, and Listening reports true.
type Listener struct {
	url       string
	log       *slog.Logger
	handlers  map[string]Handler
	listening atomic.Bool
	ready     chan struct{} // closed when first listening
	readyOnce sync.Once
}

// New returns a Listener that connects to the PostgreSQL database at url;
// a nil log discards its logs.
func New(url string, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{url: url, log: log, handlers: map[string]Handler{}, ready: make(chan struct{})}
}

// closed is a channel that is closed: a nil Listener is ready at once.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Ready is closed once the Listener first listens on every channel (at
// once for a nil Listener): a replica that serves live subscriptions
// before then may miss what other replicas record meanwhile.
func (l *Listener) Ready() <-chan struct{} {
	if l == nil {
		return closed
	}
	return l.ready
}

// Handle sends the notifications of channel to h. It must be called before
// Run.
func (l *Listener) Handle(channel string, h Handler) {
	if l == nil {
		return
	}
	l.handlers[channel] = h
}

// Listening reports whether the connection is listening on every channel,
// so that nothing another replica sends from now on is missed.
func (l *Listener) Listening() bool {
	return l == nil || l.listening.Load()
}

// Run listens until ctx ends, connecting again a second after a failure,
// and returns once the handlers have returned. Each channel's handler runs
// on a goroutine of its own, so a slow one holds up neither the connection
// nor the other channels.
func (l *Listener) Run(ctx context.Context) {
	if l == nil || len(l.handlers) == 0 {
		return
	}
	queues := make(map[string]chan note, len(l.handlers))
	var handlers sync.WaitGroup
	for ch, h := range l.handlers {
		q := make(chan note, MaxBatch)
		queues[ch] = q
		handlers.Go(func() { deliver(ctx, q, h) })
	}
	defer func() {
		for _, q := range queues {
			close(q)
		}
		handlers.Wait()
	}()
	for again := false; ctx.Err() == nil; again = true {
		err := l.listen(ctx, queues, again)
		l.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("pgnotify: listen connection lost; connecting again", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// listen connects, listens on every channel and queues what arrives until
// the connection fails or ctx ends. When it connects again, every handler
// is told, once listening, that notifications may have been missed.
func (l *Listener) listen(ctx context.Context, queues map[string]chan note, again bool) error {
	conn, err := pgx.Connect(ctx, l.url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for ch := range queues {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	l.listening.Store(true)
	l.readyOnce.Do(func() { close(l.ready) })
	if again {
		for _, q := range queues {
			select {
			case q <- note{missed: true}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		q, ok := queues[n.Channel]
		if !ok {
			continue
		}
		select {
		case q <- note{payload: n.Payload}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// note is a notification on its way to its handler, or the news that
// some may have been missed.
type note struct {
	payload string
	missed  bool
}

// deliver hands the payloads queued on q to h: whatever has arrived, at
// least one, at most MaxBatch at a time, until q is closed; a missed note
// becomes a call with nil.
func deliver(ctx context.Context, q <-chan note, h Handler) {
	batch := make([]string, 0, MaxBatch)
	for n := range q {
		if n.missed {
			h(ctx, nil)
			continue
		}
		batch = append(batch[:0], n.payload)
	drain:
		for len(batch) < MaxBatch {
			select {
			case n, ok := <-q:
				if !ok {
					break drain
				}
				if n.missed {
					if len(batch) > 0 {
						h(ctx, batch)
						batch = batch[:0]
					}
					h(ctx, nil)
					continue
				}
				batch = append(batch, n.payload)
			default:
				break drain
			}
		}
		if len(batch) > 0 {
			h(ctx, batch)
		}
	}
}
