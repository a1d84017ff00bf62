package inbound

import (
	"context"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/idempotencykey"
	"github.com/profilehooks/profilehooks/ent/inboundrequest"
	"github.com/profilehooks/profilehooks/ent/replaynonce"
)

// sweepInterval is how often expired nonces, idempotency keys and log
// entries past the retention are deleted, by the request that finds the
// last sweep that old.
const sweepInterval = time.Minute

// maxLogBatch bounds the entries written by one insert: 15 columns each,
// under SQLite's 999 bound variables.
const maxLogBatch = 64

// logEntry is an inbound log row on its way to the database; done receives
// the stored row, or nil when it could not be written.
type logEntry struct {
	create *ent.InboundRequestCreate
	done   chan *ent.InboundRequest
}

// record writes the request to the inbound log, then publishes it to live
// subscribers; a failure is logged, never answered. The rows of concurrent
// requests are written together (group commit): the request waits until
// its row is stored, so the log is complete when the answer is sent.
func (h *Handler) record(ctx context.Context, req *request, ans *answer, took time.Duration) {
	remote := ""
	if req.remote.IsValid() {
		remote = req.remote.String()
	}
	create := h.cfg.Client.InboundRequest.Create().
		SetEndpointID(req.endpoint.ID).
		SetReceivedAt(req.received).
		SetClient(req.client).
		SetRemoteAddr(remote).
		SetStatus(ans.status).
		SetObjects(req.objects).
		SetUserIds(ans.userIDs).
		SetChangedFields(ans.changed).
		SetError(ans.errText).
		SetIdempotentReplay(ans.replay).
		SetBody(req.body).
		SetBodyTruncated(req.truncated).
		SetDurationMs(took.Milliseconds())
	h.logOnce.Do(func() { go h.writeLog() })
	e := logEntry{create: create, done: make(chan *ent.InboundRequest, 1)}
	h.logQueue <- e
	if row := <-e.done; row != nil {
		h.feed.Publish(row)
	}
	h.sweep(ctx)
}

// writeLog stores queued log entries, as many as are waiting (up to
// maxLogBatch) in one insert. It runs for the life of the process.
func (h *Handler) writeLog() {
	for first := range h.logQueue {
		batch := []logEntry{first}
	drain:
		for len(batch) < maxLogBatch {
			select {
			case e := <-h.logQueue:
				batch = append(batch, e)
			default:
				break drain
			}
		}
		builders := make([]*ent.InboundRequestCreate, len(batch))
		for i, e := range batch {
			builders[i] = e.create
		}
		rows, err := h.cfg.Client.InboundRequest.CreateBulk(builders...).Save(context.Background())
		if err != nil {
			h.log.Error("inbound: record requests", "count", len(batch), "err", err)
		}
		for i, e := range batch {
			if err == nil {
				e.done <- rows[i]
			} else {
				e.done <- nil
			}
		}
	}
}

// sweep deletes, at most once per sweepInterval, the replay nonces and
// idempotency keys that expired and the log entries older than the
// retention.
func (h *Handler) sweep(ctx context.Context) {
	now := h.now()
	last := h.lastSweep.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < sweepInterval {
		return
	}
	if !h.sweepMu.TryLock() {
		return
	}
	defer h.sweepMu.Unlock()
	h.lastSweep.Store(now.UnixNano())
	if _, err := h.cfg.Client.ReplayNonce.Delete().Where(replaynonce.ExpiresAtLT(now)).Exec(ctx); err != nil {
		h.log.WarnContext(ctx, "inbound: delete expired webhook-ids", "err", err)
	}
	if _, err := h.cfg.Client.IdempotencyKey.Delete().Where(idempotencykey.ExpiresAtLT(now)).Exec(ctx); err != nil {
		h.log.WarnContext(ctx, "inbound: delete expired idempotency keys", "err", err)
	}
	if _, err := h.cfg.Client.InboundRequest.Delete().Where(inboundrequest.ReceivedAtLT(now.Add(-h.cfg.Retention))).Exec(ctx); err != nil {
		h.log.WarnContext(ctx, "inbound: delete old inbound log entries", "err", err)
	}
}
