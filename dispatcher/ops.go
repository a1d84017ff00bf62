package dispatcher

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/store"
)

// Redeliver queues a delivery again under the same ID (so the same
// webhook-id), with a fresh retry schedule. A delivery in flight cannot be
// redelivered; a retrying one is simply made due now.
func (d *Dispatcher) Redeliver(ctx context.Context, id string) (*ent.Delivery, error) {
	client, dl, err := d.loadDelivery(ctx, id)
	if err != nil {
		return nil, err
	}
	now := d.now()
	switch {
	case dl.Test:
		return nil, fault.Invalid("deliveryId", "test deliveries cannot be redelivered; test the webhook again")
	case dl.LeaseExpiresAt != nil && dl.LeaseExpiresAt.After(now):
		return nil, fault.Conflict("deliveryId", "delivery %s is being attempted right now", id)
	}
	status := schematype.DeliveryPending
	if dl.Status == schematype.DeliveryRetrying {
		status = schematype.DeliveryRetrying
	}
	err = client.Delivery.UpdateOne(dl).
		SetStatus(status).
		SetRetryBase(dl.AttemptCount).
		SetNextAttemptAt(now).
		ClearFinishedAt().
		SetWaiting(true).
		SetUpdatedAt(now).
		Exec(ctx)
	if err != nil {
		return nil, d.errorf("redeliver: %w", err)
	}
	if err := d.reopened(ctx, client, []lane{laneOf(dl)}, now); err != nil {
		return nil, err
	}
	if dl, err = client.Delivery.Get(ctx, id); err != nil {
		return nil, d.errorf("redeliver: %w", err)
	}
	return dl, nil
}

// Replay queues again every finished delivery of the webhook created in
// [since, until) (until nil: up to now) whose status is one of statuses
// (empty: FAILED), and returns how many it queued.
func (d *Dispatcher) Replay(ctx context.Context, webhookID string, since time.Time, until *time.Time, statuses []schematype.DeliveryStatus) (int, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return 0, err
	}
	if len(statuses) == 0 {
		statuses = []schematype.DeliveryStatus{schematype.DeliveryFailed}
	}
	for i, s := range statuses {
		if s.Open() {
			return 0, fault.Invalid(fmt.Sprintf("statuses[%d]", i), "%s deliveries are still open; only finished ones can be replayed", s)
		}
	}
	if until != nil && !until.After(since) {
		return 0, fault.Invalid("until", "must be after since")
	}
	if exists, err := client.ProfileWebhook.Query().Where(profilewebhook.ID(webhookID)).Exist(ctx); err != nil {
		return 0, d.errorf("replay: %w", err)
	} else if !exists {
		return 0, fault.NotFound("profile webhook", webhookID)
	}
	q := client.Delivery.Query().Where(
		delivery.WebhookID(webhookID),
		delivery.Test(false),
		delivery.StatusIn(statuses...),
		delivery.CreatedAtGTE(since),
	)
	if until != nil {
		q = q.Where(delivery.CreatedAtLT(*until))
	}
	found, err := q.All(ctx)
	if err != nil {
		return 0, d.errorf("replay: %w", err)
	}
	now := d.now()
	lanes := map[lane]bool{}
	for _, dl := range found {
		err := client.Delivery.UpdateOne(dl).
			SetStatus(schematype.DeliveryPending).
			SetRetryBase(dl.AttemptCount).
			SetNextAttemptAt(now).
			ClearFinishedAt().
			SetWaiting(true).
			SetUpdatedAt(now).
			Exec(ctx)
		if err != nil {
			return 0, d.errorf("replay %s: %w", dl.ID, err)
		}
		lanes[laneOf(dl)] = true
	}
	if len(found) > 0 {
		if err := d.reopened(ctx, client, slices.Collect(maps.Keys(lanes)), now); err != nil {
			return 0, err
		}
	}
	return len(found), nil
}

// Cancel stops an open delivery; it is not attempted again. An attempt in
// flight still finishes and is logged, but does not reopen the delivery.
func (d *Dispatcher) Cancel(ctx context.Context, id string) (*ent.Delivery, error) {
	client, dl, err := d.loadDelivery(ctx, id)
	if err != nil {
		return nil, err
	}
	if !dl.Status.Open() {
		return nil, fault.Conflict("id", "delivery %s is %s already", id, dl.Status)
	}
	now := d.now()
	dl, err = client.Delivery.UpdateOne(dl).
		SetStatus(schematype.DeliveryCancelled).
		ClearNextAttemptAt().
		ClearLeaseOwner().
		ClearLeaseExpiresAt().
		SetFinishedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, d.errorf("cancel: %w", err)
	}
	lanes := []lane{laneOf(dl)}
	if _, err := promote(ctx, client, lanes, now); err != nil {
		return nil, d.errorf("cancel: %w", err)
	}
	d.settleOnCommit(ctx, lanes)
	if err := d.wakeOnCommit(ctx, client); err != nil {
		return nil, err
	}
	return dl, nil
}

// reopened takes deliveries that were written back into their lanes as
// waiting: each lane's head stops waiting unless the lane has a delivery
// in flight or due already, and the dispatcher is woken on commit.
func (d *Dispatcher) reopened(ctx context.Context, client *ent.Client, lanes []lane, now time.Time) error {
	if _, err := promote(ctx, client, lanes, now); err != nil {
		return d.errorf("reopen: %w", err)
	}
	d.settleOnCommit(ctx, lanes)
	return d.wakeOnCommit(ctx, client)
}

// Preview is what a delivery would send, without sending it.
type Preview struct {
	URL     string
	Headers []schematype.HTTPHeader
	Body    string
}

// Preview builds the request a delivery of trigger for the user would
// send to the webhook now, from the user's current profile. Nothing is
// written or sent.
func (d *Dispatcher) Preview(ctx context.Context, webhookID, userID string, trigger schematype.Trigger) (*Preview, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	hook, u, ev, err := syntheticEvent(ctx, client, webhookID, userID, trigger, d.now())
	if err != nil {
		return nil, err
	}
	body, err := Body(hook, ev)
	if err != nil {
		return nil, err
	}
	secrets, err := d.secrets(hook, d.now())
	if err != nil {
		return nil, err
	}
	req := NewRequest(hook, "dlv_preview_"+u.ID, ev.Type, body, secrets, d.cfg.UserAgent, d.now())
	return &Preview{URL: req.URL, Headers: headerList(req.Headers), Body: string(body)}, nil
}

// Test sends a delivery of trigger for the user to the webhook now, waits
// for the answer and records it as a test delivery (never retried). The
// response parameters are written back only with applyResponse. Test runs
// its own two short transactions around the request, so it must not be
// called inside one.
func (d *Dispatcher) Test(ctx context.Context, webhookID, userID string, trigger schematype.Trigger, applyResponse bool) (*ent.DeliveryAttempt, error) {
	var dl *ent.Delivery
	err := store.WithTx(ctx, d.cfg.Client, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		now := d.now()
		hook, _, ev, err := syntheticEvent(ctx, client, webhookID, userID, trigger, now)
		if err != nil {
			return err
		}
		if ev, err = client.ProfileEvent.Create().
			SetType(ev.Type).SetTrigger(ev.Trigger).SetUserID(ev.UserID).SetChangedFields([]string{}).
			SetSnapshot(ev.Snapshot).SetSource(schematype.SourceAdminAPI).SetUserVersion(ev.UserVersion).
			SetTest(true).SetOccurredAt(now).
			Save(ctx); err != nil {
			return err
		}
		body, err := Body(hook, ev)
		if err != nil {
			return err
		}
		dl, err = client.Delivery.Create().
			SetWebhookID(hook.ID).SetEventID(ev.ID).SetUserID(ev.UserID).SetSequence(ev.UserVersion).
			SetTrigger(ev.Trigger).SetEventType(ev.Type).SetBody(body).SetTest(true).
			SetStatus(schematype.DeliveryPending).SetNextAttemptAt(now).
			SetLeaseOwner(d.owner).SetLeaseExpiresAt(now.Add(time.Duration(hook.TimeoutSeconds)*time.Second + d.cfg.LeaseMargin)).
			SetCreatedAt(now).SetUpdatedAt(now).
			Save(ctx)
		if err != nil {
			return err
		}
		dl.Edges.Webhook = hook
		return nil
	})
	if err != nil {
		return nil, err
	}
	o := d.attempt(ctx, dl)
	o.test, o.applyResponse = true, applyResponse
	recs, err := d.record(ctx, []outcome{o})
	if err != nil {
		return nil, err
	}
	d.feed.Publish(recs[0])
	return recs[0].Attempt, nil
}

// syntheticEvent returns the webhook, the user and an unsaved event of
// trigger carrying the user's current profile.
func syntheticEvent(ctx context.Context, client *ent.Client, webhookID, userID string, trigger schematype.Trigger, now time.Time) (*ent.ProfileWebhook, *ent.User, *ent.ProfileEvent, error) {
	if !trigger.Valid() {
		return nil, nil, nil, fault.Invalid("trigger", "%q is not a trigger", trigger)
	}
	hook, err := client.ProfileWebhook.Get(ctx, webhookID)
	if ent.IsNotFound(err) {
		return nil, nil, nil, fault.NotFound("profile webhook", webhookID)
	} else if err != nil {
		return nil, nil, nil, err
	}
	u, err := client.User.Get(ctx, userID)
	if ent.IsNotFound(err) {
		return nil, nil, nil, fault.Invalid("userId", "no user %q", userID)
	} else if err != nil {
		return nil, nil, nil, err
	}
	cat, err := profile.LoadCatalog(ctx, client)
	if err != nil {
		return nil, nil, nil, err
	}
	typ := map[schematype.Trigger]schematype.EventType{
		schematype.TriggerCreateUser:        schematype.EventUserCreated,
		schematype.TriggerUpdateUserProfile: schematype.EventUserUpdated,
	}[trigger]
	if trigger == schematype.TriggerActivateDeactivateUser {
		typ = schematype.EventUserDeactivated
		if u.Active {
			typ = schematype.EventUserActivated
		}
	}
	ev := &ent.ProfileEvent{
		ID: "evt_preview", Type: typ, Trigger: trigger, UserID: u.ID, Snapshot: cat.Snapshot(u),
		Source: schematype.SourceAdminAPI, UserVersion: u.Version, OccurredAt: now,
	}
	return hook, u, ev, nil
}

func (d *Dispatcher) loadDelivery(ctx context.Context, id string) (*ent.Client, *ent.Delivery, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	dl, err := client.Delivery.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, fault.NotFound("delivery", id)
	}
	if err != nil {
		return nil, nil, d.errorf("load delivery: %w", err)
	}
	return client, dl, nil
}

// wakeOnCommit wakes the dispatcher when the transaction in ctx commits, or
// at once when there is none; on PostgreSQL it also notifies the other
// replicas, in the transaction.
func (d *Dispatcher) wakeOnCommit(ctx context.Context, client *ent.Client) error {
	if err := d.notifyWake(ctx, client); err != nil {
		return err
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		d.Wake()
		return nil
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				d.Wake()
			}
			return err
		})
	})
	return nil
}
