package dispatcher

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/deliveryattempt"
)

// The PostgreSQL channels replicas notify each other on, each followed by
// the schema's name (channels are per database, and two deployments may
// share one database in different schemas). A notification is sent inside
// the transaction that causes it, so it arrives at commit, and only then.
const (
	// wakeChannel: deliveries became due; every replica looks for work.
	wakeChannel = "profilehooks_wake"
	// attemptChannel: an attempt was recorded; the payload is
	// "<owner> <attempt id> <webhook id> <status>", and every other
	// replica publishes the attempt to its live subscribers.
	attemptChannel = "profilehooks_attempts"
)

// channel returns the name of a channel for this deployment's schema.
func (d *Dispatcher) channel(base string) string {
	name := base + "_" + d.schema
	if len(name) > 63 { // PostgreSQL's identifier limit
		name = name[:63]
	}
	return name
}

// loadSchema reads the schema this deployment's tables live in.
func (d *Dispatcher) loadSchema(ctx context.Context) error {
	if d.cfg.Dialect != dialect.Postgres {
		return nil
	}
	rows, err := d.cfg.Client.QueryContext(ctx, "SELECT current_schema()")
	if err != nil {
		return d.errorf("read the schema: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return d.errorf("read the schema: no row")
	}
	return rows.Scan(&d.schema)
}

// notifyWake makes every replica look for work once the transaction in ctx
// commits. On SQLite there is one process, woken in-process instead.
func (d *Dispatcher) notifyWake(ctx context.Context, client *ent.Client) error {
	if d.cfg.Dialect != dialect.Postgres {
		return nil
	}
	if _, err := client.ExecContext(ctx, "SELECT pg_notify($1, '')", d.channel(wakeChannel)); err != nil {
		return d.errorf("notify wake: %w", err)
	}
	return nil
}

// notifyRecorded tells the other replicas about recorded attempts, in the
// recording transaction, and wakes them: the lanes these attempts held are
// free again, and any replica may take their next deliveries.
func (d *Dispatcher) notifyRecorded(ctx context.Context, client *ent.Client, recs []Recorded) error {
	if d.cfg.Dialect != dialect.Postgres {
		return nil
	}
	if err := d.notifyWake(ctx, client); err != nil {
		return err
	}
	payloads := make([]string, len(recs))
	for i, r := range recs {
		payloads[i] = strings.Join([]string{d.owner, r.Attempt.ID, r.WebhookID, r.Status}, " ")
	}
	// One statement for the batch: a notification per attempt.
	if _, err := client.ExecContext(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", d.channel(attemptChannel), payloads); err != nil {
		return d.errorf("notify attempts: %w", err)
	}
	return nil
}

// listen holds a connection that listens to the other replicas until ctx
// ends, reconnecting after failures. It does nothing without ListenURL.
func (d *Dispatcher) listen(ctx context.Context) {
	if d.cfg.ListenURL == "" {
		return
	}
	for ctx.Err() == nil {
		err := d.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("dispatcher: listen connection lost; reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		d.Wake() // notifications may have been missed meanwhile
	}
}

func (d *Dispatcher) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.cfg.ListenURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{d.channel(wakeChannel), d.channel(attemptChannel)} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case d.channel(wakeChannel):
			d.Wake()
		case d.channel(attemptChannel):
			d.relay(ctx, n.Payload)
		}
	}
}

// relay publishes to the local subscribers an attempt another replica
// recorded.
func (d *Dispatcher) relay(ctx context.Context, payload string) {
	parts := strings.Fields(payload)
	if len(parts) != 4 || parts[0] == d.owner || d.feed.Len() == 0 {
		return
	}
	a, err := d.cfg.Client.DeliveryAttempt.Query().Where(deliveryattempt.ID(parts[1])).Only(ctx)
	if err != nil {
		d.log.Warn("dispatcher: load a relayed attempt", "attempt", parts[1], "err", err)
		return
	}
	d.feed.Publish(Recorded{Attempt: a, WebhookID: parts[2], Status: parts[3]})
}
