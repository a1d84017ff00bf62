package dispatcher

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/profilehooks/profilehooks/egress"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/signing"
)

// MaxRecordedBody is the most of a response body an attempt records.
const MaxRecordedBody = 64 << 10

// outcome is what one attempt did: the request as sent and what came back.
type outcome struct {
	delivery  *ent.Delivery
	number    int
	request   Request
	status    int // 0 when no response came
	headers   http.Header
	body      []byte
	truncated bool
	started   time.Time
	duration  time.Duration
	errClass  string
	err       error
	// test marks an attempt of testProfileWebhook: never retried, no effect
	// on the webhook's health, write-back only with applyResponse.
	test, applyResponse bool
	// reauthorized marks an attempt sent again with a new access token
	// after a 401.
	reauthorized bool
}

// attempt sends delivery dl once.
func (d *Dispatcher) attempt(ctx context.Context, dl *ent.Delivery) outcome {
	hook := dl.Edges.Webhook
	now := d.now()
	o := outcome{delivery: dl, number: dl.AttemptCount + 1, started: now}
	secrets, err := d.secrets(hook, now)
	if err != nil {
		o.errClass, o.err = "internal", err
		return o
	}
	o.request = NewRequest(hook, dl.ID, dl.EventType, dl.Body, secrets, d.cfg.UserAgent, now)
	timeout := time.Duration(hook.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = egress.DefaultTimeout
	}
	d.send(ctx, hook, &o, timeout)
	o.duration = time.Since(now)
	if o.err != nil && o.errClass == "" {
		o.errClass = egress.Classify(o.err)
	}
	return o
}

// post sends r and reads at most MaxRecordedBody bytes of the answer.
func (d *Dispatcher) post(ctx context.Context, r Request, timeout time.Duration) (status int, h http.Header, body []byte, truncated bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return 0, nil, nil, false, fmt.Errorf("dispatcher: build request: %w", err)
	}
	req.Header = r.Headers.Clone()
	resp, err := d.cfg.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, false, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, MaxRecordedBody+1))
	if len(body) > MaxRecordedBody {
		body, truncated = body[:MaxRecordedBody], true
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	}
	if err != nil {
		return resp.StatusCode, resp.Header, body, truncated, fmt.Errorf("dispatcher: read response: %w", err)
	}
	return resp.StatusCode, resp.Header, body, truncated, nil
}

// secrets returns the signing secrets of hook at now: the current one and,
// during a rotation's grace period, the previous one.
func (d *Dispatcher) secrets(hook *ent.ProfileWebhook, now time.Time) ([]signing.Secret, error) {
	sealed := []string{hook.SigningSecret}
	if hook.PreviousSigningSecret != "" && hook.PreviousSecretExpiresAt != nil && now.Before(*hook.PreviousSecretExpiresAt) {
		sealed = append(sealed, hook.PreviousSigningSecret)
	}
	out := make([]signing.Secret, 0, len(sealed))
	for _, s := range sealed {
		plain, err := d.cfg.Box.Open(s)
		if err != nil {
			return nil, fmt.Errorf("dispatcher: open signing secret of %s: %w", hook.ID, err)
		}
		sec, err := signing.ParseSecret(plain)
		if err != nil {
			return nil, fmt.Errorf("dispatcher: signing secret of %s: %w", hook.ID, err)
		}
		out = append(out, sec)
	}
	return out, nil
}
