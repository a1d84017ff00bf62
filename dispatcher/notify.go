package dispatcher

import (
	"context"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/deliveryattempt"
	"github.com/profilehooks/profilehooks/pgnotify"
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
	return pgnotify.Channel(base, d.cfg.Schema)
}

// listenTo registers with the listener what the other replicas send: a
// wake-up (or a lost connection) makes this replica look for work; a
// recorded attempt goes to the live subscribers here.
func (d *Dispatcher) listenTo(l *pgnotify.Listener) {
	l.Handle(d.channel(wakeChannel), func(context.Context, []string) { d.Wake() })
	l.Handle(d.channel(attemptChannel), d.relay)
}

// notifyWake makes every replica look for work once the transaction in ctx
// commits. On SQLite there is one process, woken in-process instead.
func (d *Dispatcher) notifyWake(ctx context.Context, client *ent.Client) error {
	if d.cfg.Dialect != dialect.Postgres {
		return nil
	}
	if err := pgnotify.Notify(ctx, client, d.channel(wakeChannel), ""); err != nil {
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
	if err := pgnotify.Notify(ctx, client, d.channel(attemptChannel), payloads...); err != nil {
		return d.errorf("notify attempts: %w", err)
	}
	return nil
}

// relay publishes to the local subscribers the attempts of payloads
// ("<owner> <attempt id> <webhook id> <status>") that other replicas
// recorded, in their order, loaded in one query.
func (d *Dispatcher) relay(ctx context.Context, payloads []string) {
	if d.feed.Len() == 0 {
		return
	}
	type relayed struct{ id, webhookID, status string }
	var (
		todo []relayed
		ids  []string
	)
	for _, p := range payloads {
		parts := strings.Fields(p)
		if len(parts) != 4 || parts[0] == d.owner {
			continue
		}
		todo = append(todo, relayed{parts[1], parts[2], parts[3]})
		ids = append(ids, parts[1])
	}
	if len(ids) == 0 {
		return
	}
	attempts, err := d.cfg.Client.DeliveryAttempt.Query().Where(deliveryattempt.IDIn(ids...)).All(ctx)
	if err != nil {
		d.log.Warn("dispatcher: load relayed attempts", "attempts", len(ids), "err", err)
		return
	}
	byID := make(map[string]*ent.DeliveryAttempt, len(attempts))
	for _, a := range attempts {
		byID[a.ID] = a
	}
	for _, r := range todo {
		if a := byID[r.id]; a != nil {
			d.feed.Publish(Recorded{Attempt: a, WebhookID: r.webhookID, Status: r.status})
		}
	}
}
