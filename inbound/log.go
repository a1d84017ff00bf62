package inbound

import (
	"context"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/idempotencykey"
	"github.com/profilehooks/profilehooks/ent/inboundrequest"
	"github.com/profilehooks/profilehooks/ent/replaynonce"
	"github.com/profilehooks/profilehooks/pgnotify"
	"github.com/profilehooks/profilehooks/store"
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
		rows, err := h.writeRows(context.Background(), builders)
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

// logChannel is the PostgreSQL channel, followed by the schema's name,
// on which replicas announce the requests they logged; the payload is
// "<owner> <request id>".
const logChannel = "profilehooks_inbound"

func (h *Handler) channel() string { return pgnotify.Channel(logChannel, h.cfg.Schema) }

// writeRows stores log rows and, when other replicas listen, announces
// them in the same transaction.
func (h *Handler) writeRows(ctx context.Context, builders []*ent.InboundRequestCreate) ([]*ent.InboundRequest, error) {
	if h.cfg.Listener == nil {
		return h.cfg.Client.InboundRequest.CreateBulk(builders...).Save(ctx)
	}
	var rows []*ent.InboundRequest
	err := store.WithTx(ctx, h.cfg.Client, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		var err error
		if rows, err = client.InboundRequest.CreateBulk(builders...).Save(ctx); err != nil {
			return err
		}
		payloads := make([]string, len(rows))
		for i, r := range rows {
			payloads[i] = h.owner + " " + r.ID
		}
		return pgnotify.Notify(ctx, client, h.channel(), payloads...)
	})
	// The rows belong to the handler's client (the builders were made by
	// it), not to the transaction: nothing to unwrap.
	return rows, err
}

// relay publishes to the live subscribers here the requests of payloads
// that other replicas logged, in their order, loaded in one query.
func (h *Handler) relay(ctx context.Context, payloads []string) {
	if h.feed.Len() == 0 {
		return
	}
	var ids []string
	for _, p := range payloads {
		owner, id, ok := strings.Cut(p, " ")
		if ok && owner != h.owner {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	rows, err := h.cfg.Client.InboundRequest.Query().Where(inboundrequest.IDIn(ids...)).All(ctx)
	if err != nil {
		h.log.Warn("inbound: load relayed log entries", "entries", len(ids), "err", err)
		return
	}
	byID := make(map[string]*ent.InboundRequest, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	for _, id := range ids {
		if r := byID[id]; r != nil {
			h.feed.Publish(r)
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
