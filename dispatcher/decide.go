package dispatcher

import (
	"fmt"
	"net/http"
	"time"

	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/retry"
)

// Error classes recorded on attempts besides egress's transport classes.
const (
	ClassHTTPStatus      = "http_status"
	ClassResponseMapping = "response_mapping"
	ClassInternal        = "internal"
)

// verdict is the state an attempt's outcome leads to.
type verdict struct {
	decision  retry.Decision
	status    schematype.DeliveryStatus
	next      *time.Time // nil once finished
	lastError string
	errClass  string // recorded on the attempt; "" on success
	// disable, if not empty, disables the webhook with this reason.
	disable string
}

// decide turns an outcome into the delivery's next state under policy p:
// 2xx succeeds; 408, 425, 429, 5xx and transport errors are retried on the
// schedule (honouring Retry-After) until attempts run out; 410 fails and
// disables the webhook; any other status fails at once.
func decide(p retry.Policy, o outcome, maxAttempts *int, now time.Time) verdict {
	var v verdict
	switch {
	case o.err != nil:
		v.decision = retry.Retry
		v.errClass = o.errClass
		v.lastError = fmt.Sprintf("%s: %v", o.errClass, o.err)
	default:
		v.decision = retry.DecideStatus(o.status)
		if v.decision != retry.Succeed {
			v.errClass = ClassHTTPStatus
			v.lastError = fmt.Sprintf("receiver answered %d %s", o.status, http.StatusText(o.status))
			if o.reauthorized {
				v.lastError += " after a token refresh"
			}
		}
	}
	switch v.decision {
	case retry.Succeed:
		v.status = schematype.DeliverySucceeded
	case retry.FailAndDisable:
		v.status = schematype.DeliveryFailed
		v.disable = "the receiver answered 410 Gone"
	case retry.Fail:
		v.status = schematype.DeliveryFailed
	case retry.Retry:
		if o.test {
			v.status = schematype.DeliveryFailed
			break
		}
		limit := 0
		if maxAttempts != nil {
			limit = *maxAttempts
		}
		var retryAfter time.Duration
		if o.headers != nil {
			retryAfter, _ = retry.ParseRetryAfter(o.headers.Get("Retry-After"), now)
		}
		done := o.number - o.delivery.RetryBase
		if at, ok := p.Next(done, limit, now, retryAfter); ok {
			v.status = schematype.DeliveryRetrying
			v.next = &at
		} else {
			v.status = schematype.DeliveryFailed
			v.lastError += fmt.Sprintf(" (gave up after %d attempts)", done)
		}
	}
	return v
}
