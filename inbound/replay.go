package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/idempotencykey"
	"github.com/profilehooks/profilehooks/ent/replaynonce"
)

// abandonAfter is how long a claimed Idempotency-Key may stay unanswered
// before another request with it takes it over: the first one's process
// died.
const abandonAfter = time.Minute

// remember records that ep received the HMAC message messageID; a
// webhook-id received before, and not yet expired, is refused. The nonces
// live in the database, so the rule holds across replicas.
func (h *Handler) remember(ctx context.Context, endpointID, messageID string) *Error {
	now := h.now()
	expires := now.Add(2 * HMACTolerance)
	err := h.cfg.Client.ReplayNonce.Create().
		SetEndpointID(endpointID).SetMessageID(messageID).SetExpiresAt(expires).
		Exec(ctx)
	if err == nil {
		return nil
	}
	if !ent.IsConstraintError(err) {
		h.log.ErrorContext(ctx, "inbound: record webhook-id", "endpoint", endpointID, "err", err)
		return errInternal
	}
	n, err := h.cfg.Client.ReplayNonce.Update().
		Where(replaynonce.EndpointID(endpointID), replaynonce.MessageID(messageID), replaynonce.ExpiresAtLT(now)).
		SetExpiresAt(expires).
		Save(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: renew webhook-id", "endpoint", endpointID, "err", err)
		return errInternal
	}
	if n == 1 {
		return nil
	}
	return newError(http.StatusUnauthorized, CodeUnauthenticated, "this webhook-id was received before; a message is accepted once")
}

// forget deletes the nonce of a message whose request failed on the
// service's side, so the sender's retry is accepted.
func (h *Handler) forget(ctx context.Context, endpointID, messageID string) {
	_, err := h.cfg.Client.ReplayNonce.Delete().
		Where(replaynonce.EndpointID(endpointID), replaynonce.MessageID(messageID)).
		Exec(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: forget webhook-id", "endpoint", endpointID, "err", err)
	}
}

// claim looks up an Idempotency-Key of the endpoint. For a key seen within
// IdempotencyWindow with the same body it returns the answer given then; a
// different body is 422, and a first request still being processed 409.
// Otherwise it claims the key for this request and returns nil, nil.
func (h *Handler) claim(ctx context.Context, endpointID, key string, body []byte) (*answer, *Error) {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	now := h.now()
	err := h.cfg.Client.IdempotencyKey.Create().
		SetEndpointID(endpointID).SetKey(key).SetRequestHash(hash).
		SetCreatedAt(now).SetExpiresAt(now.Add(IdempotencyWindow)).
		Exec(ctx)
	if err == nil {
		return nil, nil
	}
	if !ent.IsConstraintError(err) {
		h.log.ErrorContext(ctx, "inbound: claim idempotency key", "endpoint", endpointID, "err", err)
		return nil, errInternal
	}
	row, err := h.cfg.Client.IdempotencyKey.Query().
		Where(idempotencykey.EndpointID(endpointID), idempotencykey.Key(key)).
		Only(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: load idempotency key", "endpoint", endpointID, "err", err)
		return nil, errInternal
	}
	expired := row.ExpiresAt.Before(now)
	abandoned := row.Status == 0 && now.Sub(row.CreatedAt) > abandonAfter
	switch {
	case expired || (abandoned && row.RequestHash == hash):
		return nil, h.takeOver(ctx, row, hash, now)
	case row.RequestHash != hash:
		return nil, newError(http.StatusUnprocessableEntity, CodeIdempotencyMismatch,
			"this Idempotency-Key was used with a different body in the last 24 hours")
	case row.Status == 0:
		return nil, newError(http.StatusConflict, CodeIdempotencyInFlight,
			"a request with this Idempotency-Key is being processed").with("Retry-After", "1")
	}
	return &answer{status: row.Status, body: row.Response, replay: true}, nil
}

// takeOver claims an expired or abandoned key for a new request, unless
// another request took it over first.
func (h *Handler) takeOver(ctx context.Context, row *ent.IdempotencyKey, hash string, now time.Time) *Error {
	n, err := h.cfg.Client.IdempotencyKey.Update().
		Where(idempotencykey.ID(row.ID), idempotencykey.CreatedAt(row.CreatedAt)).
		SetRequestHash(hash).SetStatus(0).ClearResponse().
		SetCreatedAt(now).SetExpiresAt(now.Add(IdempotencyWindow)).
		Save(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: take over idempotency key", "endpoint", row.EndpointID, "err", err)
		return errInternal
	}
	if n == 0 {
		return newError(http.StatusConflict, CodeIdempotencyInFlight,
			"a request with this Idempotency-Key is being processed").with("Retry-After", "1")
	}
	return nil
}

// complete stores the answer under the claimed key; an answer that is a
// fault of the service releases the key instead, so a retry is processed.
func (h *Handler) complete(ctx context.Context, endpointID, key string, ans *answer) {
	var err error
	if ans.status >= http.StatusInternalServerError {
		_, err = h.cfg.Client.IdempotencyKey.Delete().
			Where(idempotencykey.EndpointID(endpointID), idempotencykey.Key(key)).
			Exec(ctx)
	} else {
		err = h.cfg.Client.IdempotencyKey.Update().
			Where(idempotencykey.EndpointID(endpointID), idempotencykey.Key(key)).
			SetStatus(ans.status).SetResponse(ans.body).
			Exec(ctx)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: store idempotent answer", "endpoint", endpointID, "err", err)
	}
}
