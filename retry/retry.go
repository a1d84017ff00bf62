// Package retry is the retry policy of webhook deliveries: how an attempt's
// outcome is classified, and when the next attempt runs. Its randomness is
// injectable, so schedules are deterministic in tests.
package retry

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Decision is what to do after an attempt. The zero Decision is Succeed.
type Decision int

// The decisions, in the order of their values.
const (
	// Succeed ends the delivery as delivered: the receiver answered 2xx.
	Succeed Decision = iota
	// Retry schedules another attempt, if any remain: the receiver answered
	// 408, 425, 429 or 5xx, or the request failed in transport (timeout,
	// DNS, connection or TLS error).
	Retry
	// Fail ends the delivery as failed: the receiver answered any other
	// 4xx, or 1xx or 3xx (redirects are not followed), where retrying cannot
	// help.
	Fail
	// FailAndDisable fails the delivery and disables the webhook: the
	// receiver answered 410 Gone.
	FailAndDisable
)

// String returns the decision's name in snake case, such as
// "fail_and_disable", or "Decision(n)" for an unknown value.
func (d Decision) String() string {
	switch d {
	case Succeed:
		return "succeed"
	case Retry:
		return "retry"
	case Fail:
		return "fail"
	case FailAndDisable:
		return "fail_and_disable"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// DecideStatus classifies an HTTP response status code: 2xx is Succeed; 408,
// 425, 429 and 5xx are Retry; 410 is FailAndDisable; every other code,
// including 1xx, 3xx and codes outside 100..599, is Fail.
func DecideStatus(code int) Decision {
	switch {
	case code >= 200 && code <= 299:
		return Succeed
	case code == 410:
		return FailAndDisable
	case code == 408, code == 425, code == 429, code >= 500 && code <= 599:
		return Retry
	}
	return Fail
}

// DefaultSchedule is the delay before each attempt of a delivery when a
// Policy sets none: 0, 5s, 5m, 30m, 2h, 5h, 10h and 10h before attempts 1 to
// 8. Policies only read it.
var DefaultSchedule = []time.Duration{
	0,
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// Defaults a zero Policy uses.
const (
	DefaultJitter        = 0.2
	DefaultMaxRetryAfter = 24 * time.Hour
)

// Policy decides when the next attempt of a delivery runs. The zero Policy
// uses DefaultSchedule, DefaultJitter, DefaultMaxRetryAfter and
// math/rand/v2.Float64. A Policy is safe for concurrent use if its Rand is.
type Policy struct {
	// Schedule is the delay before each attempt, so its length is the most
	// attempts a delivery gets. Nil or empty means DefaultSchedule; a
	// negative entry counts as 0.
	Schedule []time.Duration
	// Jitter is the fraction a delay varies by: a delay d becomes a
	// uniformly chosen value in d*(1-Jitter) .. d*(1+Jitter), never
	// negative. 0 means DefaultJitter; a negative, NaN or infinite Jitter
	// means no jitter.
	Jitter float64
	// MaxRetryAfter caps the receiver's Retry-After: longer values are
	// lowered to it. Zero or negative means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Rand returns a number in [0, 1) to place a jittered delay in its
	// range; values outside are clamped. Nil means math/rand/v2.Float64.
	Rand func() float64
}

// schedule returns the effective schedule.
func (p Policy) schedule() []time.Duration {
	if len(p.Schedule) == 0 {
		return DefaultSchedule
	}
	return p.Schedule
}

// MaxAttempts returns the most attempts a delivery gets: the length of the
// schedule, lowered to limit when 0 < limit < that length. A limit of zero
// or less means no lower limit.
func (p Policy) MaxAttempts(limit int) int {
	n := len(p.schedule())
	if limit > 0 && limit < n {
		return limit
	}
	return n
}

// Next returns when the next attempt runs, given that attemptsDone attempts
// (normally at least 1; less counts as 0) have been made and the last
// finished at now. It returns ok=false, and the zero time, when no attempts
// remain: attemptsDone >= MaxAttempts(limit).
//
// The delay is the schedule's entry for attempt attemptsDone+1, jittered. A
// retryAfter > 0, from the receiver's Retry-After header, replaces it when
// longer, after being capped at MaxRetryAfter.
func (p Policy) Next(attemptsDone, limit int, now time.Time, retryAfter time.Duration) (next time.Time, ok bool) {
	attemptsDone = max(attemptsDone, 0)
	if attemptsDone >= p.MaxAttempts(limit) {
		return time.Time{}, false
	}
	d := p.delay(attemptsDone)
	if retryAfter > 0 {
		if maxRA := p.maxRetryAfter(); retryAfter > maxRA {
			retryAfter = maxRA
		}
		d = max(d, retryAfter)
	}
	return now.Add(d), true
}

// FirstDelay returns the delay before attempt 1: the schedule's first entry,
// jittered like every other, so a first entry of 0 stays 0.
func (p Policy) FirstDelay() time.Duration {
	return p.delay(0)
}

// delay returns the jittered schedule entry at index i, which must exist.
func (p Policy) delay(i int) time.Duration {
	d := p.schedule()[i]
	j := p.jitter()
	if d <= 0 {
		return 0
	}
	if j == 0 {
		return d
	}
	r := p.rand()
	// r maps [0, 1) onto [1-j, 1+j): 0 gives the shortest delay, 0.5 the
	// scheduled one.
	f := float64(d) * (1 - j + 2*j*r)
	switch {
	case f <= 0:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(f)
}

// jitter returns the effective jitter fraction, 0 for none.
func (p Policy) jitter() float64 {
	j := p.Jitter
	if j == 0 {
		return DefaultJitter
	}
	if !(j > 0) || math.IsInf(j, 1) { // negative, NaN or infinite
		return 0
	}
	return j
}

// rand returns a number from Rand clamped to [0, 1].
func (p Policy) rand() float64 {
	f := rand.Float64
	if p.Rand != nil {
		f = p.Rand
	}
	r := f()
	switch {
	case r > 1:
		return 1
	case r >= 0:
		return r
	}
	return 0 // negative or NaN
}

// maxRetryAfter returns the effective Retry-After cap.
func (p Policy) maxRetryAfter() time.Duration {
	if p.MaxRetryAfter <= 0 {
		return DefaultMaxRetryAfter
	}
	return p.MaxRetryAfter
}

// httpDateLayouts are the HTTP-date forms RFC 9110 requires recipients to
// accept: IMF-fixdate, and the obsolete RFC 850 and asctime forms.
var httpDateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT",
	"Monday, 02-Jan-06 15:04:05 GMT",
	"Mon Jan _2 15:04:05 2006",
}

// ParseRetryAfter parses a Retry-After header value, delta-seconds or an
// HTTP-date, into how long after now the receiver asks to wait. Surrounding
// whitespace is ignored. A date in the past gives 0, true; delta-seconds too
// large for a Duration give the largest Duration. It returns ok=false for an
// empty or malformed value, including negative or fractional seconds.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64, true // only overflow fails on digits
		}
		return time.Duration(secs) * time.Second, true
	}
	for _, layout := range httpDateLayouts {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
