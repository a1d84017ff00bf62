package dispatcher

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/predicate"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/store"
)

// A lane is one webhook's deliveries for one user. Its open deliveries go
// out one at a time in sequence order: only the oldest (the head) may be
// claimed; the others are written with waiting set, and the claim never
// reads them. When a delivery finishes (succeeds, fails for good, is
// cancelled), its lane's next delivery stops waiting in the same
// transaction (promote).
//
// On SQLite transactions take turns, so that is the whole story. On
// PostgreSQL a writer may find a lane busy and write a waiting delivery
// while another transaction finishes the lane's head and, not seeing the
// uncommitted delivery, promotes nothing. Both sides therefore check their
// lanes again once they have committed (recheck): whichever commits last
// sees the other's work. A crash between a commit and its recheck is
// covered by a sweep of every lane at start-up and every sweepEvery.
type lane struct {
	webhookID, userID string
}

func laneOf(dl *ent.Delivery) lane { return lane{dl.WebhookID, dl.UserID} }

// sweepEvery is how often every lane is checked for a waiting head.
const sweepEvery = time.Minute

// openLane is the predicate, written with constants, of the partial indexes
// on open deliveries (see ent/schema/delivery.go). Queries state it the
// same way so that SQLite's planner matches them to those indexes.
const openLane = "%[1]s.status IN ('PENDING', 'RETRYING') AND %[1]s.test = false"

// claimable is the predicate of the index on open deliveries that are not
// waiting (a lane's head).
const claimable = openLane + " AND %[1]s.waiting = false"

// dueWith is the predicate of the claim's partial indexes: the lane heads
// with one status (the index holds them in next_attempt_at, id order).
const dueWith = "%[1]s.status = '%[2]s' AND %[1]s.test = false AND %[1]s.waiting = false"

// busyWebhooks returns which of webhookIDs already have an open delivery
// for userID: a new delivery there has to wait its turn.
func busyWebhooks(ctx context.Context, client *ent.Client, userID string, webhookIDs []string) (map[string]bool, error) {
	ids, err := client.ProfileWebhook.Query().
		Where(profilewebhook.IDIn(webhookIDs...), hasOpenDelivery(userID)).
		IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: find busy lanes: %w", err)
	}
	busy := make(map[string]bool, len(ids))
	for _, id := range ids {
		busy[id] = true
	}
	return busy, nil
}

// hasOpenDelivery keeps the webhooks with an open delivery for userID; one
// probe of delivery_open_lane per webhook (a scalar subquery, so the
// planner cannot turn it into a join that reads every open delivery).
func hasOpenDelivery(userID string) predicate.ProfileWebhook {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(SELECT d.id FROM " + delivery.Table + " AS d WHERE d." + delivery.FieldWebhookID + " = ")
			b.WriteString(s.C(profilewebhook.FieldID))
			b.WriteString(" AND d." + delivery.FieldUserID + " = ").Arg(userID)
			b.WriteString(" AND " + fmt.Sprintf(openLane, "d") + " LIMIT 1) IS NOT NULL")
		}))
	}
}

// promote makes the head of each of lanes claimable when it is waiting and
// no other open delivery of its lane is claimable; lanes nil means every
// lane with a waiting delivery (the sweep). It returns how many deliveries
// stopped waiting. Lanes go maxLanes to a statement.
func promote(ctx context.Context, client *ent.Client, lanes []lane, now time.Time) (int, error) {
	if lanes == nil {
		return promoteHeads(ctx, client, nil, now)
	}
	total := 0
	for chunk := range slices.Chunk(lanes, maxLanes) {
		n, err := promoteHeads(ctx, client, chunk, now)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func promoteHeads(ctx context.Context, client *ent.Client, lanes []lane, now time.Time) (int, error) {
	n, err := client.Delivery.Update().
		Where(delivery.Waiting(true), laneHeadOf(lanes)).
		SetWaiting(false).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("dispatcher: promote lane heads: %w", err)
	}
	return n, nil
}

// laneHeadOf keeps the oldest open delivery of each of lanes (nil: of every
// lane with a waiting delivery) whose lane has no claimable delivery.
//
// Each lookup is a scalar subquery, so that it is always one probe of a
// lane index per lane, whatever the planner believes about the table's
// size (a young table has no statistics, and a join plan then reads every
// open delivery). On PostgreSQL the heads are collected into an array
// first, so the update finds them by primary key.
func laneHeadOf(lanes []lane) predicate.Delivery {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			pg := b.Dialect() == dialect.Postgres
			b.WriteString(s.C(delivery.FieldID))
			if pg {
				b.WriteString(" = ANY(ARRAY(")
			} else {
				b.WriteString(" IN (")
			}
			b.WriteString("SELECT (SELECT w.id FROM " + delivery.Table + " AS w WHERE w.webhook_id = l.webhook_id AND w.user_id = l.user_id AND ")
			b.WriteString(fmt.Sprintf(openLane, "w") + " ORDER BY w.sequence LIMIT 1) FROM ")
			laneList(b, lanes)
			b.WriteString(" WHERE (SELECT h.id FROM " + delivery.Table + " AS h WHERE h.webhook_id = l.webhook_id AND h.user_id = l.user_id AND ")
			b.WriteString(fmt.Sprintf(claimable, "h") + " LIMIT 1) IS NULL)")
			if pg {
				b.WriteString(")")
			}
		}))
	}
}

// laneList writes lanes as a table l(webhook_id, user_id); nil: every lane
// with a waiting delivery.
func laneList(b *sql.Builder, lanes []lane) {
	switch {
	case lanes == nil:
		b.WriteString("(SELECT DISTINCT q.webhook_id, q.user_id FROM " + delivery.Table + " AS q WHERE " + fmt.Sprintf(openLane, "q") + " AND q.waiting = true) AS l")
	case b.Dialect() == dialect.Postgres:
		hooks, users := make([]string, len(lanes)), make([]string, len(lanes))
		for i, l := range lanes {
			hooks[i], users[i] = l.webhookID, l.userID
		}
		b.WriteString("unnest(").Arg(hooks).WriteString("::text[], ").Arg(users).WriteString("::text[]) AS l(webhook_id, user_id)")
	default:
		b.WriteString("(")
		for i, l := range lanes {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString("SELECT ").Arg(l.webhookID).WriteString(" AS webhook_id, ").Arg(l.userID).WriteString(" AS user_id")
		}
		b.WriteString(") AS l")
	}
}

// rechecks collects, on PostgreSQL, the lanes to check again after the
// transactions that touched them committed (see lane).
type rechecks struct {
	mu    sync.Mutex
	lanes map[lane]struct{}
}

// add notes lanes for the next recheck.
func (r *rechecks) add(lanes []lane) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lanes == nil {
		r.lanes = map[lane]struct{}{}
	}
	for _, l := range lanes {
		r.lanes[l] = struct{}{}
	}
}

// take returns the noted lanes, in a stable order, and forgets them.
func (r *rechecks) take() []lane {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]lane, 0, len(r.lanes))
	for l := range r.lanes {
		out = append(out, l)
	}
	r.lanes = nil
	slices.SortFunc(out, func(a, b lane) int {
		return strings.Compare(a.webhookID+"\x00"+a.userID, b.webhookID+"\x00"+b.userID)
	})
	return out
}

// maxLanes bounds the lanes of one promote statement: on SQLite each lane
// is a term of a compound SELECT, and SQLite allows 500.
const maxLanes = 250

// settleOnCommit makes sure, on PostgreSQL, that lanes are checked again
// once the transaction in ctx has committed. Callers that changed a lane
// (wrote a waiting delivery, finished or reopened one) call it in that
// transaction. Without a transaction, or on SQLite, it does nothing.
func (d *Dispatcher) settleOnCommit(ctx context.Context, lanes []lane) {
	tx := ent.TxFromContext(ctx)
	if d.cfg.Dialect != dialect.Postgres || tx == nil || len(lanes) == 0 {
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				d.rechecks.add(lanes)
				d.Wake()
			}
			return err
		})
	})
}

// recheck promotes the heads of the lanes noted since the last recheck.
func (d *Dispatcher) recheck(ctx context.Context) error {
	lanes := d.rechecks.take()
	if len(lanes) == 0 {
		return nil
	}
	err := store.WithTx(ctx, d.cfg.Client, func(ctx context.Context) error {
		_, err := promote(ctx, ent.FromContext(ctx), lanes, d.now())
		return err
	})
	if err != nil {
		d.rechecks.add(lanes) // try again on the next round
		return d.errorf("recheck lanes: %w", err)
	}
	return nil
}

// TidyLanes puts every lane in order: each open delivery with an earlier
// open delivery in its lane waits, and each lane whose head waits with
// nothing ahead of it is released. Run calls it at start: it orders the
// backlog of a database written before lanes existed (every delivery was
// then claimable), and it releases lanes a crash left waiting. A delivery
// in flight that is made waiting still finishes; a retry then waits its
// turn.
func (d *Dispatcher) TidyLanes(ctx context.Context) error {
	var queued, released int
	err := store.WithTx(ctx, d.cfg.Client, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		var err error
		queued, err = client.Delivery.Update().
			Where(delivery.Waiting(false), hasEarlierOpen()).
			SetWaiting(true).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("queue behind earlier deliveries: %w", err)
		}
		released, err = promote(ctx, client, nil, d.now())
		return err
	})
	if err != nil {
		return d.errorf("tidy lanes: %w", err)
	}
	if queued+released > 0 {
		d.log.Info("dispatcher: lanes put in order", "queued", queued, "released", released)
	}
	return nil
}

// hasEarlierOpen keeps the open deliveries that have an earlier open
// delivery in their lane.
func hasEarlierOpen() predicate.Delivery {
	return func(s *sql.Selector) {
		t := s.TableName()
		s.Where(sql.ExprP(fmt.Sprintf(openLane, t) + " AND EXISTS (SELECT 1 FROM " + delivery.Table + " AS e WHERE e.webhook_id = " + t + ".webhook_id AND e.user_id = " + t + ".user_id AND e.sequence < " + t + ".sequence AND " + fmt.Sprintf(openLane, "e") + ")"))
	}
}

// sweep promotes the waiting head of every lane whose head nobody
// promoted: the lanes a crash left between a commit and its recheck.
func (d *Dispatcher) sweep(ctx context.Context) error {
	var n int
	err := store.WithTx(ctx, d.cfg.Client, func(ctx context.Context) error {
		var err error
		n, err = promote(ctx, ent.FromContext(ctx), nil, d.now())
		return err
	})
	if err != nil {
		return d.errorf("sweep lanes: %w", err)
	}
	if n > 0 {
		d.log.Info("dispatcher: lanes whose next delivery was still waiting were released", "deliveries", n)
		d.Wake()
	}
	return nil
}
