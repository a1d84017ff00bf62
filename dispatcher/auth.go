package dispatcher

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/profilehooks/profilehooks/credential"
	"github.com/profilehooks/profilehooks/ent"
)

// ClassOAuthToken is recorded on an attempt whose webhook credential's
// token endpoint failed; the delivery is retried on the schedule.
const ClassOAuthToken = "oauth_token"

// Credentials returns the service that keeps the webhook credentials and
// the access tokens the dispatcher sends with them.
func (d *Dispatcher) Credentials() *credential.Service { return d.creds }

// send posts o.request, authorised with hook's credential when it has one,
// and fills o with the answer. A 401 answer to a request carrying an OAuth2
// access token drops that token, fetches a new one and sends the request
// once more at once, in the same attempt (not a retry): the attempt records
// the second request and its answer, or the 401 and the failed token
// request. The webhook's timeout bounds the whole, token requests
// included. o.errClass is left empty for transport errors, which the
// caller classifies.
func (d *Dispatcher) send(ctx context.Context, hook *ent.ProfileWebhook, o *outcome, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	auth, err := d.authorize(ctx, hook, &o.request)
	if err != nil {
		o.errClass, o.err = authClass(err), err
		return
	}
	o.status, o.headers, o.body, o.truncated, o.err = d.post(ctx, o.request, timeout)
	if o.err != nil || o.status != http.StatusUnauthorized || !auth.Refreshable() {
		return
	}
	if _, err := d.creds.Refresh(ctx, auth, o.request.Headers); err != nil {
		o.errClass, o.err = authClass(err), err
		return
	}
	o.reauthorized = true
	o.status, o.headers, o.body, o.truncated, o.err = d.post(ctx, o.request, timeout)
}

// authorize sets the header of hook's credential on r and names it for
// redaction; it returns nil when hook has no credential.
func (d *Dispatcher) authorize(ctx context.Context, hook *ent.ProfileWebhook, r *Request) (*credential.Authorization, error) {
	if hook.CredentialID == nil {
		return nil, nil
	}
	// The webhook may come from a committed transaction: read through the
	// service's client.
	cred, err := d.cfg.Client.WebhookCredential.Get(ctx, *hook.CredentialID)
	if err != nil {
		return nil, d.errorf("load credential of %s: %w", hook.ID, err)
	}
	auth, err := d.creds.Authorize(ctx, cred, r.Headers)
	if err != nil {
		return nil, err
	}
	r.Redact = append(r.Redact, auth.Header())
	return auth, nil
}

// authClass is the error class of a failure to authorise a request.
func authClass(err error) string {
	if _, ok := errors.AsType[*credential.TokenError](err); ok {
		return ClassOAuthToken
	}
	return ClassInternal
}
