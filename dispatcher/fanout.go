package dispatcher

import (
	"context"
	"fmt"
	"slices"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/inboundendpoint"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/profile"
)

// FanOut writes the deliveries of ev, in the transaction of client that
// records ev (it has the signature of profile.EventHook): one delivery per
// enabled webhook subscribed to ev's trigger, except
//   - for UPDATE_USER_PROFILE, webhooks none of whose request parameters
//     names a changed field (a webhook without request parameters sends
//     every field, so any change counts);
//   - the webhook whose response caused ev (no echo loops);
//   - webhooks linked to the incoming endpoint ev came through
//     (linkedWebhookIds: they talk to the third party that sent it).
//
// A delivery whose lane (webhook and user) already has an open delivery is
// written waiting: it goes out after the ones before it. When the
// transaction commits, the dispatcher is woken.
func (d *Dispatcher) FanOut(ctx context.Context, client *ent.Client, ev *ent.ProfileEvent) error {
	if ev.Test {
		return nil
	}
	hooks, err := client.ProfileWebhook.Query().Where(profilewebhook.Enabled(true)).All(ctx)
	if err != nil {
		return fmt.Errorf("dispatcher: load webhooks: %w", err)
	}
	linked, err := linkedWebhooks(ctx, client, ev, hooks)
	if err != nil {
		return err
	}
	var targets []*ent.ProfileWebhook
	for _, hook := range hooks {
		if subscribed(hook, ev, linked) {
			targets = append(targets, hook)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	busy, err := d.busyLanes(ctx, client, ev, targets)
	if err != nil {
		return err
	}
	builders := make([]*ent.DeliveryCreate, 0, len(targets))
	var waiting []lane
	now := d.now()
	for _, hook := range targets {
		body, err := Body(hook, ev)
		if err != nil {
			return err
		}
		if busy[hook.ID] {
			waiting = append(waiting, lane{hook.ID, ev.UserID})
		}
		builders = append(builders, client.Delivery.Create().
			SetWebhookID(hook.ID).
			SetEventID(ev.ID).
			SetUserID(ev.UserID).
			SetSequence(ev.UserVersion).
			SetTrigger(ev.Trigger).
			SetEventType(ev.Type).
			SetBody(body).
			SetWaiting(busy[hook.ID]).
			SetNextAttemptAt(now.Add(d.policy.FirstDelay())).
			SetCreatedAt(now).
			SetUpdatedAt(now))
	}
	if err := client.Delivery.CreateBulk(builders...).Exec(ctx); err != nil {
		return fmt.Errorf("dispatcher: write deliveries: %w", err)
	}
	d.settleOnCommit(ctx, waiting)
	return d.wakeOnCommit(ctx, client)
}

// busyLanes returns which of hooks already have an open delivery for ev's
// user; a user just created has none.
func (d *Dispatcher) busyLanes(ctx context.Context, client *ent.Client, ev *ent.ProfileEvent, hooks []*ent.ProfileWebhook) (map[string]bool, error) {
	if ev.Trigger == schematype.TriggerCreateUser {
		return nil, nil
	}
	ids := make([]string, len(hooks))
	for i, h := range hooks {
		ids[i] = h.ID
	}
	return busyWebhooks(ctx, client, ev.UserID, ids)
}

// linkedWebhooks returns the linkedWebhookIds of the incoming endpoint ev
// came through; nil for other sources, when there are no webhooks, or when
// the endpoint is gone.
func linkedWebhooks(ctx context.Context, client *ent.Client, ev *ent.ProfileEvent, hooks []*ent.ProfileWebhook) ([]string, error) {
	if ev.Source != schematype.SourceInboundEndpoint || ev.SourceID == "" || len(hooks) == 0 {
		return nil, nil
	}
	ep, err := client.InboundEndpoint.Query().
		Where(inboundendpoint.ID(ev.SourceID)).
		Select(inboundendpoint.FieldLinkedWebhookIds).
		Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("dispatcher: load endpoint %s: %w", ev.SourceID, err)
	}
	return ep.LinkedWebhookIds, nil
}

// subscribed reports whether hook receives ev; linked are the webhooks
// linked to the incoming endpoint ev came through.
func subscribed(hook *ent.ProfileWebhook, ev *ent.ProfileEvent, linked []string) bool {
	if !slices.Contains(hook.Triggers, ev.Trigger) {
		return false
	}
	if ev.Source == schematype.SourceWebhookResponse && ev.SourceID == hook.ID {
		return false
	}
	if ev.Source == schematype.SourceInboundEndpoint && slices.Contains(linked, hook.ID) {
		return false
	}
	if ev.Trigger != schematype.TriggerUpdateUserProfile || len(hook.RequestParameters) == 0 {
		return true
	}
	for _, r := range hook.RequestParameters {
		if !profile.IsEventField(r.ProfileField) && slices.Contains(ev.ChangedFields, r.ProfileField) {
			return true
		}
	}
	return false
}
