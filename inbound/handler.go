package inbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/inboundendpoint"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/store"
)

// Result is the answer for one object.
type Result struct {
	UserID        string
	Status        string
	ChangedFields []string
	IgnoredFields []string
	// Error is set, and nothing else, when the object was not applied.
	Error *Error
}

// MarshalJSON writes {"userId", "status", "changedFields",
// "ignoredFields"}, or {"error"} for an object that failed.
func (r Result) MarshalJSON() ([]byte, error) {
	if r.Error != nil {
		return json.Marshal(struct {
			Error *Error `json:"error"`
		}{r.Error})
	}
	return json.Marshal(struct {
		UserID        string   `json:"userId"`
		Status        string   `json:"status"`
		ChangedFields []string `json:"changedFields"`
		IgnoredFields []string `json:"ignoredFields"`
	}{r.UserID, r.Status, nonNil(r.ChangedFields), nonNil(r.IgnoredFields)})
}

// answer is a response with what the inbound log keeps of it.
type answer struct {
	status  int
	body    []byte
	header  http.Header
	userIDs []string
	changed []string
	errText string
	replay  bool
}

// request is what the inbound log keeps of a request.
type request struct {
	endpoint  *ent.InboundEndpoint
	received  time.Time
	remote    netip.Addr
	client    string
	body      string
	truncated bool
	objects   int
	messageID string // the HMAC webhook-id remembered for it
}

// ServeHTTP serves POST /inbound/{key}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	ep, err := h.cfg.Client.InboundEndpoint.Query().Where(inboundendpoint.Key(r.PathValue("key"))).Only(ctx)
	if ent.IsNotFound(err) {
		errorAnswer(newError(http.StatusNotFound, CodeNotFound, "no incoming endpoint has this URL")).write(w)
		return
	}
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: load endpoint", "err", err)
		errorAnswer(errInternal).write(w)
		return
	}
	req := &request{endpoint: ep, received: h.now(), remote: remoteAddr(r)}
	ans := h.serve(w, r, req)
	if ans.status >= http.StatusInternalServerError && req.messageID != "" {
		h.forget(context.WithoutCancel(ctx), ep.ID, req.messageID)
	}
	h.record(context.WithoutCancel(ctx), req, ans, time.Since(start))
	ans.write(w)
}

// serve decides on the request and applies it.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req *request) *answer {
	ctx := r.Context()
	ep := req.endpoint
	if !ep.Enabled {
		return errorAnswer(newError(http.StatusForbidden, CodeEndpointDisabled, "this incoming endpoint is disabled"))
	}
	settings, err := h.cfg.Settings(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: load security settings", "err", err)
		return errorAnswer(errInternal)
	}
	if !allowed(settings.Allowlist, req.remote) {
		return errorAnswer(newError(http.StatusForbidden, CodeAddressNotAllowed, "the caller's address is not in the allowlist"))
	}
	body, e := h.readBody(w, r)
	if e != nil {
		return errorAnswer(e)
	}
	if req.client, e = h.authenticate(ctx, r, ep, body, settings); e != nil {
		return errorAnswer(e)
	}
	req.setBody(body)
	if ok, wait := h.limiter.allow(ep.ID, h.now()); !ok {
		return errorAnswer(newError(http.StatusTooManyRequests, CodeRateLimited, "over the endpoint's rate limit; retry later").
			with("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second)))))
	}
	if ep.AuthMode == schematype.InboundAuthHMAC {
		if e := h.remember(ctx, ep.ID, r.Header.Get("webhook-id")); e != nil {
			return errorAnswer(e)
		}
		req.messageID = r.Header.Get("webhook-id")
	}
	return h.decode(ctx, r, req, body)
}

// decode parses the body and the options, then applies the objects once
// per Idempotency-Key.
func (h *Handler) decode(ctx context.Context, r *http.Request, req *request, body []byte) *answer {
	objects, batch, e := parseBody(body, h.cfg.MaxBatch)
	if e != nil {
		return errorAnswer(e)
	}
	req.objects = len(objects)
	atomic, e := atomicParam(r)
	if e != nil {
		return errorAnswer(e)
	}
	key, e := idempotencyKey(r)
	if e != nil {
		return errorAnswer(e)
	}
	if key == "" {
		return h.process(ctx, req.endpoint, objects, batch, atomic)
	}
	stored, e := h.claim(ctx, req.endpoint.ID, key, body)
	switch {
	case e != nil:
		return errorAnswer(e)
	case stored != nil:
		return stored
	}
	ans := h.process(ctx, req.endpoint, objects, batch, atomic)
	h.complete(context.WithoutCancel(ctx), req.endpoint.ID, key, ans)
	return ans
}

// process applies the objects: each in its own transaction, or all in one
// for an atomic batch. A single object that fails is an error answer; a
// batch answers 200 with the error in place of each object that failed.
func (h *Handler) process(ctx context.Context, ep *ent.InboundEndpoint, objects []any, batch, atomic bool) *answer {
	p, err := newPlan(ctx, h.cfg.Client, ep)
	if err != nil {
		h.log.ErrorContext(ctx, "inbound: resolve input parameters", "endpoint", ep.ID, "err", err)
		return errorAnswer(errInternal)
	}
	if batch && atomic {
		return h.processAtomic(ctx, p, objects)
	}
	results := make([]Result, len(objects))
	for i, obj := range objects {
		var o *outcome
		err := store.WithTx(ctx, h.cfg.Client, func(ctx context.Context) error {
			var err error
			o, err = h.apply(ctx, p, obj)
			return err
		})
		results[i] = h.result(ctx, p, o, err)
	}
	if !batch && results[0].Error != nil {
		return errorAnswer(results[0].Error)
	}
	return resultsAnswer(results)
}

// processAtomic applies a batch in one transaction: the first object that
// fails rolls everything back and is the answer.
func (h *Handler) processAtomic(ctx context.Context, p *plan, objects []any) *answer {
	results := make([]Result, len(objects))
	var failed *Error
	err := store.WithTx(ctx, h.cfg.Client, func(ctx context.Context) error {
		for i, obj := range objects {
			o, err := h.apply(ctx, p, obj)
			if err != nil {
				if e := asError(err); e != nil {
					failed = &Error{Status: e.Status, Code: e.Code, Message: e.Message, Field: e.Field, Index: &i}
				}
				return err
			}
			results[i] = h.result(ctx, p, o, nil)
		}
		return nil
	})
	switch {
	case failed != nil:
		return errorAnswer(failed)
	case err != nil:
		h.log.ErrorContext(ctx, "inbound: apply atomic batch", "endpoint", p.endpoint.ID, "err", err)
		return errorAnswer(errInternal)
	}
	return resultsAnswer(results)
}

// result turns the outcome of one object into its answer.
func (h *Handler) result(ctx context.Context, p *plan, o *outcome, err error) Result {
	if err == nil {
		return Result{UserID: o.after.ID, Status: o.status, ChangedFields: o.changedFields(), IgnoredFields: o.ignored}
	}
	e := asError(err)
	if e == nil {
		h.log.ErrorContext(ctx, "inbound: apply object", "endpoint", p.endpoint.ID, "err", err)
		e = errInternal
	}
	return Result{Error: e}
}

// readBody checks the media type and reads at most MaxBodyBytes.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the body must be application/json")
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return nil, newError(http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the body is larger than %d bytes", h.cfg.MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, newError(http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the body is larger than %d bytes", h.cfg.MaxBodyBytes)
	case err != nil:
		return nil, newError(http.StatusBadRequest, CodeInvalidRequest, "the body could not be read")
	}
	return body, nil
}

// parseBody decodes a JSON object or an array of at most maxBatch values;
// batch is true for an array. Numbers are kept as json.Number.
func parseBody(body []byte, maxBatch int) (objects []any, batch bool, e *Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false, newError(http.StatusBadRequest, CodeInvalidJSON, "the body is not valid JSON: %s", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false, newError(http.StatusBadRequest, CodeInvalidJSON, "the body has more after its JSON value")
	}
	switch v := v.(type) {
	case map[string]any:
		return []any{v}, false, nil
	case []any:
		if len(v) > maxBatch {
			return nil, false, newError(http.StatusRequestEntityTooLarge, CodeTooManyObjects, "a batch holds at most %d objects, this one %d", maxBatch, len(v))
		}
		return v, true, nil
	}
	return nil, false, newError(http.StatusUnprocessableEntity, CodeInvalidPayload, "the body must be a JSON object or an array of objects, not %s", jsonKind(v))
}

func jsonError(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func atomicParam(r *http.Request) (bool, *Error) {
	v := r.URL.Query().Get("atomic")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fieldError(http.StatusBadRequest, CodeInvalidRequest, "atomic", "atomic must be true or false")
	}
	return b, nil
}

// idempotencyKey returns the Idempotency-Key header: printable ASCII, at
// most MaxIdempotencyKeyLength bytes; "" when there is none.
func idempotencyKey(r *http.Request) (string, *Error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > MaxIdempotencyKeyLength || strings.ContainsFunc(key, func(c rune) bool { return c > unicode.MaxASCII || !unicode.IsPrint(c) }) {
		return "", fieldError(http.StatusBadRequest, CodeInvalidRequest, "Idempotency-Key",
			"Idempotency-Key must be printable ASCII of at most %d bytes", MaxIdempotencyKeyLength)
	}
	return key, nil
}

// allowed reports whether addr is in the allowlist; an empty list allows
// every address.
func allowed(list []netip.Prefix, addr netip.Addr) bool {
	if len(list) == 0 {
		return true
	}
	return slices.ContainsFunc(list, func(p netip.Prefix) bool { return p.Contains(addr) })
}

func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// setBody keeps at most LoggedBodyBytes of body for the log, as valid
// UTF-8.
func (req *request) setBody(body []byte) {
	if len(body) > LoggedBodyBytes {
		body, req.truncated = body[:LoggedBodyBytes], true
	}
	req.body = strings.ToValidUTF8(string(body), "\uFFFD")
}

func errorAnswer(e *Error) *answer {
	body, _ := json.Marshal(map[string]*Error{"error": e})
	return &answer{status: e.Status, body: body, header: e.header, errText: e.Error()}
}

func resultsAnswer(results []Result) *answer {
	body, _ := json.Marshal(map[string][]Result{"results": results})
	ans := &answer{status: http.StatusOK, body: body}
	for _, r := range results {
		switch {
		case r.Error != nil:
			if ans.errText == "" {
				ans.errText = r.Error.Error()
			}
		default:
			if !slices.Contains(ans.userIDs, r.UserID) {
				ans.userIDs = append(ans.userIDs, r.UserID)
			}
			for _, f := range r.ChangedFields {
				if !slices.Contains(ans.changed, f) {
					ans.changed = append(ans.changed, f)
				}
			}
		}
	}
	slices.Sort(ans.changed)
	return ans
}

func (a *answer) write(w http.ResponseWriter) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if a.replay {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
