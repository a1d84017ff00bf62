package dispatcher

import (
	"context"
	"time"

	"entgo.io/ent/dialect"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/store"

	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/deliveryattempt"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// retentionBatch is how many rows one retention statement deletes.
const retentionBatch = 1000

// retentionEvery is how often the retention job runs.
const retentionEvery = time.Hour

func (d *Dispatcher) retentionLoop(ctx context.Context) {
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		if n, err := d.pruneAlone(ctx); err != nil {
			d.log.Error("dispatcher: retention", "err", err)
		} else if n > 0 {
			d.log.Info("dispatcher: retention deleted old rows", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes attempts, and finished deliveries, older than the
// retention, in batches so no statement holds the database for long. It
// returns how many rows it deleted.
func (d *Dispatcher) Prune(ctx context.Context) (int, error) {
	return d.prune(ctx, d.cfg.Client)
}

func (d *Dispatcher) prune(ctx context.Context, client *ent.Client) (int, error) {
	cutoff := d.now().Add(-d.cfg.Retention)
	total := 0
	for {
		ids, err := client.DeliveryAttempt.Query().Where(deliveryattempt.CreatedAtLT(cutoff)).Limit(retentionBatch).IDs(ctx)
		if err != nil {
			return total, err
		}
		if len(ids) == 0 {
			break
		}
		n, err := client.DeliveryAttempt.Delete().Where(deliveryattempt.IDIn(ids...)).Exec(ctx)
		total += n
		if err != nil {
			return total, err
		}
	}
	finished := []schematype.DeliveryStatus{schematype.DeliverySucceeded, schematype.DeliveryFailed, schematype.DeliveryCancelled}
	for {
		ids, err := client.Delivery.Query().
			Where(delivery.StatusIn(finished...), delivery.UpdatedAtLT(cutoff)).
			Limit(retentionBatch).IDs(ctx)
		if err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		n, err := client.Delivery.Delete().Where(delivery.IDIn(ids...)).Exec(ctx)
		total += n
		if err != nil {
			return total, err
		}
	}
}

// retentionLockKey is the PostgreSQL advisory lock that makes retention a
// singleton among replicas.
const retentionLockKey = 0x70686b7265740001

// pruneAlone runs Prune on one replica at a time: on PostgreSQL under a
// transaction-scoped advisory lock that other replicas skip, on SQLite (one
// process) directly.
func (d *Dispatcher) pruneAlone(ctx context.Context) (int, error) {
	if d.cfg.Dialect != dialect.Postgres {
		return d.Prune(ctx)
	}
	var n int
	err := store.WithTx(ctx, d.cfg.Client, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		rows, err := client.QueryContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", int64(retentionLockKey))
		if err != nil {
			return err
		}
		var got bool
		if rows.Next() {
			err = rows.Scan(&got)
		}
		rows.Close()
		if err != nil || !got {
			return err
		}
		n, err = d.prune(ctx, client)
		return err
	})
	return n, err
}
