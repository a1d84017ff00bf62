package dispatcher

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/retry"
	"github.com/profilehooks/profilehooks/store"
)

// maxBatch is the most outcomes one record transaction writes.
const maxBatch = 512

// recordLoop records outcomes in batches until results is closed: it takes
// whatever has arrived (at least one) and writes it in one transaction.
func (d *Dispatcher) recordLoop(results <-chan outcome) {
	batch := make([]outcome, 0, maxBatch)
	for o := range results {
		batch = append(batch[:0], o)
	drain:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		d.recordBatch(batch)
	}
}

// recordBatch records a batch, retrying it while the database refuses (the
// outcomes must not be lost; their leases keep the deliveries ours), then
// releases the deliveries and wakes the claim loop.
func (d *Dispatcher) recordBatch(batch []outcome) {
	for try := 1; ; try++ {
		recs, err := d.record(context.Background(), batch)
		if err == nil {
			for _, r := range recs {
				d.feed.Publish(r)
			}
			break
		}
		d.log.Error("dispatcher: record attempts", "err", err, "try", try, "attempts", len(batch))
		if try == 5 {
			// The leases expire and the deliveries are claimed again: at
			// least once, under the same delivery IDs.
			break
		}
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
	}
	done := make([]*ent.Delivery, len(batch))
	for i, o := range batch {
		done[i] = o.delivery
	}
	d.release(done)
	d.Wake()
}

// record writes a batch of outcomes in one transaction: the attempts, the
// deliveries' new states, their lanes' next deliveries, the webhooks'
// health and the response write-backs.
func (d *Dispatcher) record(ctx context.Context, batch []outcome) ([]Recorded, error) {
	now := d.now()
	var recs []Recorded
	err := store.WithTx(ctx, d.cfg.Client, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		verdicts := make([]verdict, len(batch))
		creates := make([]*ent.DeliveryAttemptCreate, len(batch))
		for i, o := range batch {
			v := decide(d.policy, o, o.delivery.Edges.Webhook.MaxAttempts, now)
			errText := v.lastError
			if v.decision == retry.Succeed && len(o.delivery.Edges.Webhook.ResponseParameters) > 0 && (!o.test || o.applyResponse) {
				if problems, err := d.writeBack(ctx, client, o); err != nil {
					return err
				} else if problems != "" {
					v.errClass, errText = ClassResponseMapping, problems
				}
			}
			verdicts[i] = v
			creates[i] = attemptCreate(client, o, v.errClass, errText)
		}
		attempts, err := client.DeliveryAttempt.CreateBulk(creates...).Save(ctx)
		if err != nil {
			return fmt.Errorf("write attempts: %w", err)
		}
		if err := d.updateDeliveries(ctx, client, batch, verdicts, now); err != nil {
			return err
		}
		if err := d.advanceLanes(ctx, client, batch, verdicts, now); err != nil {
			return err
		}
		if err := d.updateHealth(ctx, client, batch, verdicts, now); err != nil {
			return err
		}
		recs = make([]Recorded, len(batch))
		for i, a := range attempts {
			recs[i] = Recorded{Attempt: a, WebhookID: batch[i].delivery.WebhookID, Status: string(verdicts[i].status)}
		}
		return d.notifyRecorded(ctx, client, recs)
	})
	if err != nil {
		return nil, d.errorf("record: %w", err)
	}
	for i := range recs {
		recs[i].Attempt = recs[i].Attempt.Unwrap()
		d.metrics.observe(batch[i], recs[i].Status)
	}
	return recs, nil
}

func attemptCreate(client *ent.Client, o outcome, errClass, errText string) *ent.DeliveryAttemptCreate {
	c := client.DeliveryAttempt.Create().
		SetDeliveryID(o.delivery.ID).
		SetNumber(o.number).
		SetRequestURL(o.request.URL).
		SetRequestHeaders(headerList(o.request.Headers, o.request.Redact...)).
		SetRequestBody(string(o.request.Body)).
		SetDurationMs(o.duration.Milliseconds()).
		SetError(errText).
		SetCreatedAt(o.started)
	if o.headers != nil {
		c.SetResponseStatus(o.status).
			SetResponseHeaders(headerList(o.headers)).
			SetResponseBody(string(o.body)).
			SetResponseBodyTruncated(o.truncated)
	}
	if errClass != "" {
		c.SetErrorClass(errClass)
	}
	return c
}

// updateDeliveries writes the deliveries' new states: successes in one
// statement, the others one by one. Only deliveries still leased by this
// dispatcher change, so a delivery cancelled meanwhile stays cancelled, and
// one whose lease ran out and another dispatcher took over is left to it;
// its attempt is counted all the same (attemptCount is the number of
// attempts logged). Each delivery is written once: a second update of a
// row this transaction wrote would make PostgreSQL check its foreign keys
// again, and wait for the locks of writers on the user.
func (d *Dispatcher) updateDeliveries(ctx context.Context, client *ent.Client, batch []outcome, verdicts []verdict, now time.Time) error {
	owned, err := d.stillLeased(ctx, client, batch)
	if err != nil {
		return err
	}
	var late []string
	for _, o := range batch {
		if !owned[o.delivery.ID] {
			late = append(late, o.delivery.ID)
		}
	}
	if len(late) > 0 {
		if err := client.Delivery.Update().Where(delivery.IDIn(late...)).AddAttemptCount(1).Exec(ctx); err != nil {
			return fmt.Errorf("count late attempts: %w", err)
		}
	}
	var succeeded []string
	for i, o := range batch {
		v := verdicts[i]
		if !owned[o.delivery.ID] {
			continue
		}
		if v.status == schematype.DeliverySucceeded {
			succeeded = append(succeeded, o.delivery.ID)
			continue
		}
		upd := client.Delivery.Update().
			Where(delivery.ID(o.delivery.ID), delivery.LeaseOwner(d.owner)).
			SetStatus(v.status).
			AddAttemptCount(1).
			SetLastError(v.lastError).
			ClearLeaseOwner().
			ClearLeaseExpiresAt().
			SetUpdatedAt(now)
		if v.next != nil {
			upd.SetNextAttemptAt(*v.next)
		} else {
			upd.ClearNextAttemptAt().SetFinishedAt(now)
		}
		if err := upd.Exec(ctx); err != nil {
			return fmt.Errorf("update delivery %s: %w", o.delivery.ID, err)
		}
	}
	if len(succeeded) == 0 {
		return nil
	}
	err = client.Delivery.Update().
		Where(delivery.IDIn(succeeded...), delivery.LeaseOwner(d.owner)).
		SetStatus(schematype.DeliverySucceeded).
		AddAttemptCount(1).
		SetLastError("").
		ClearNextAttemptAt().
		ClearLeaseOwner().
		ClearLeaseExpiresAt().
		SetFinishedAt(now).
		SetUpdatedAt(now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("update deliveries: %w", err)
	}
	return nil
}

// stillLeased returns which deliveries of batch this dispatcher still
// leases, locked (PostgreSQL) until the transaction ends so that no lease
// changes hands meanwhile.
func (d *Dispatcher) stillLeased(ctx context.Context, client *ent.Client, batch []outcome) (map[string]bool, error) {
	ids := make([]string, len(batch))
	for i, o := range batch {
		ids[i] = o.delivery.ID
	}
	q := client.Delivery.Query().Where(delivery.IDIn(ids...), delivery.LeaseOwner(d.owner))
	if d.cfg.Dialect == dialect.Postgres {
		q = q.ForUpdate()
	}
	leased, err := q.IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("find leased deliveries: %w", err)
	}
	owned := make(map[string]bool, len(leased))
	for _, id := range leased {
		owned[id] = true
	}
	return owned, nil
}

// advanceLanes lets the next delivery of each lane whose delivery finished
// in this batch be claimed.
func (d *Dispatcher) advanceLanes(ctx context.Context, client *ent.Client, batch []outcome, verdicts []verdict, now time.Time) error {
	var finished []lane
	for i, o := range batch {
		if !o.test && !verdicts[i].status.Open() {
			finished = append(finished, laneOf(o.delivery))
		}
	}
	if _, err := promote(ctx, client, finished, now); err != nil {
		return err
	}
	d.settleOnCommit(ctx, finished)
	return nil
}

// updateHealth tracks each webhook's run of failures: a success ends it, a
// failure starts it, and a webhook failing for longer than the failure
// window, or answering 410 Gone, is disabled with the reason on it.
func (d *Dispatcher) updateHealth(ctx context.Context, client *ent.Client, batch []outcome, verdicts []verdict, now time.Time) error {
	type health struct {
		hook      *ent.ProfileWebhook
		succeeded bool
		disable   string
	}
	byHook := map[string]*health{}
	for i, o := range batch {
		if o.test {
			continue
		}
		h := byHook[o.delivery.WebhookID]
		if h == nil {
			h = &health{hook: o.delivery.Edges.Webhook}
			byHook[o.delivery.WebhookID] = h
		}
		if verdicts[i].decision == retry.Succeed {
			h.succeeded = true
		}
		if verdicts[i].disable != "" {
			h.disable = verdicts[i].disable
		}
	}
	for id, h := range byHook {
		q := client.ProfileWebhook.Update().Where(profilewebhook.ID(id))
		switch {
		case h.disable != "":
			q.SetEnabled(false).SetDisabledReason(h.disable)
		case h.succeeded:
			q.Where(profilewebhook.FailingSinceNotNil()).ClearFailingSince()
		case h.hook.FailingSince == nil:
			q.Where(profilewebhook.FailingSinceIsNil()).SetFailingSince(now)
		case now.Sub(*h.hook.FailingSince) >= d.cfg.FailureWindow:
			q.SetEnabled(false).SetDisabledReason(fmt.Sprintf("failing without a success since %s", h.hook.FailingSince.UTC().Format(time.RFC3339)))
		default:
			continue
		}
		if err := q.Exec(ctx); err != nil {
			return fmt.Errorf("update webhook %s: %w", id, err)
		}
	}
	return nil
}
