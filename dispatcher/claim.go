package dispatcher

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/predicate"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/store"
)

// claim leases as many due deliveries as there are free workers, first
// attempts before retries, and returns them with their webhooks loaded. It
// also returns when the next delivery falls due (zero when none is open),
// and whether more may be due now (a query stopped at its limit).
func (d *Dispatcher) claim(ctx context.Context) ([]*ent.Delivery, time.Time, bool, error) {
	free, freeRetry := d.room()
	if free == 0 {
		return nil, time.Time{}, false, nil
	}
	var (
		claimed []*ent.Delivery
		next    time.Time
		more    bool
	)
	err := store.WithTx(ctx, d.cfg.Client, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		if err := d.planInDueOrder(ctx, client); err != nil {
			return err
		}
		now := d.now()
		first, err := d.due(ctx, client, schematype.DeliveryPending, now, free)
		if err != nil {
			return err
		}
		retryRoom := min(freeRetry, free-len(first))
		retries, err := d.due(ctx, client, schematype.DeliveryRetrying, now, retryRoom)
		if err != nil {
			return err
		}
		more = len(first) == free || retryRoom > 0 && len(retries) == retryRoom
		claimed = d.admit(append(first, retries...))
		if err := d.lease(ctx, client, claimed, now); err != nil {
			return err
		}
		if len(claimed) < free {
			next, err = d.nextDue(ctx, client)
		}
		return err
	})
	if err != nil {
		d.release(claimed)
		return nil, time.Time{}, false, d.errorf("claim: %w", err)
	}
	return claimed, next, more, nil
}

// planInDueOrder tells PostgreSQL's planner, for the claim's transaction
// only, to read the claim's partial indexes in due order rather than
// collect and sort the heads. A young table has no statistics yet; the
// planner then believes every index returns one row, and a bitmap plan
// that reads and sorts every due head (thousands under load) looks as
// cheap as an ordered scan that stops at the limit.
func (d *Dispatcher) planInDueOrder(ctx context.Context, client *ent.Client) error {
	if d.cfg.Dialect != dialect.Postgres {
		return nil
	}
	_, err := client.ExecContext(ctx, "SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)")
	return err
}

// lease marks the claimed deliveries as this dispatcher's until their
// webhook's timeout plus the lease margin has passed: one statement per
// distinct timeout.
func (d *Dispatcher) lease(ctx context.Context, client *ent.Client, claimed []*ent.Delivery, now time.Time) error {
	byTimeout := map[int][]string{}
	for _, dl := range claimed {
		t := dl.Edges.Webhook.TimeoutSeconds
		byTimeout[t] = append(byTimeout[t], dl.ID)
	}
	for timeout, ids := range byTimeout {
		err := client.Delivery.Update().
			Where(delivery.IDIn(ids...)).
			SetLeaseOwner(d.owner).
			SetLeaseExpiresAt(now.Add(time.Duration(timeout)*time.Second + d.cfg.LeaseMargin)).
			Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

// due returns up to limit open deliveries with the given status whose time
// has come, whose lease (if any) has expired, whose webhook is enabled, and
// that are the head of their lane.
func (d *Dispatcher) due(ctx context.Context, client *ent.Client, status schematype.DeliveryStatus, now time.Time, limit int) ([]*ent.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	q := client.Delivery.Query().
		Where(
			laneHead(status),
			delivery.NextAttemptAtLTE(now),
			delivery.Or(delivery.LeaseExpiresAtIsNil(), delivery.LeaseExpiresAtLT(now)),
			delivery.HasWebhookWith(profilewebhook.Enabled(true)),
		).
		WithWebhook().
		Order(ent.Asc(delivery.FieldNextAttemptAt), ent.Asc(delivery.FieldID)).
		Limit(limit)
	if d.cfg.Dialect == dialect.Postgres {
		q = q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
	}
	return q.All(ctx)
}

// laneHead keeps the heads of their lanes (deliveries not waiting) with
// status. It is written as the partial indexes delivery_due_pending and
// delivery_due_retrying state it, so the planner reads that index, which
// holds those heads only, in due order.
func laneHead(status schematype.DeliveryStatus) predicate.Delivery {
	return func(s *sql.Selector) {
		s.Where(sql.ExprP(fmt.Sprintf(dueWith, s.TableName(), status)))
	}
}

// nextDue returns when the earliest unleased lane head falls due; zero
// when there is none. Expired leases are found by the claim loop's idle
// timer (maxIdle).
func (d *Dispatcher) nextDue(ctx context.Context, client *ent.Client) (time.Time, error) {
	var next time.Time
	for _, status := range []schematype.DeliveryStatus{schematype.DeliveryPending, schematype.DeliveryRetrying} {
		dl, err := client.Delivery.Query().
			Where(laneHead(status), delivery.LeaseExpiresAtIsNil(), delivery.NextAttemptAtNotNil()).
			Order(ent.Asc(delivery.FieldNextAttemptAt), ent.Asc(delivery.FieldID)).
			First(ctx)
		switch {
		case ent.IsNotFound(err):
			continue
		case err != nil:
			return time.Time{}, err
		}
		if next.IsZero() || dl.NextAttemptAt.Before(next) {
			next = *dl.NextAttemptAt
		}
	}
	return next, nil
}

// room returns how many deliveries may be claimed now, and how many of them
// may be retries.
func (d *Dispatcher) room() (free, freeRetry int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	free = d.cfg.Workers - d.inflight
	freeRetry = d.cfg.RetryWorkers - d.retrying
	return max(0, free), max(0, freeRetry)
}

func (d *Dispatcher) hasRoom() bool {
	free, _ := d.room()
	return free > 0
}

// admit takes the claimed deliveries into the in-flight counts, leaving out
// those whose webhook is at its concurrency limit (they stay due and are
// claimed again later) and those this process has in flight already: a
// lease can run out while an outcome waits to be recorded, and a process
// never sends one delivery twice at once.
func (d *Dispatcher) admit(candidates []*ent.Delivery) []*ent.Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := candidates[:0]
	for _, dl := range candidates {
		if d.perWebhook[dl.WebhookID] >= d.cfg.PerWebhook || d.sending[dl.ID] {
			continue
		}
		d.perWebhook[dl.WebhookID]++
		d.sending[dl.ID] = true
		d.inflight++
		if dl.Status == schematype.DeliveryRetrying {
			d.retrying++
		}
		out = append(out, dl)
	}
	return out
}

// release takes deliveries out of the in-flight counts.
func (d *Dispatcher) release(done []*ent.Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, dl := range done {
		d.perWebhook[dl.WebhookID]--
		if d.perWebhook[dl.WebhookID] <= 0 {
			delete(d.perWebhook, dl.WebhookID)
		}
		delete(d.sending, dl.ID)
		d.inflight--
		if dl.Status == schematype.DeliveryRetrying {
			d.retrying--
		}
	}
}
