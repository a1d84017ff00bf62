package server

import (
	"fmt"
	"math"
	"net"
	"sync"
	"time"
)

// Defaults of the failed-authentication limit.
const (
	// DefaultAuthFailureLimit is how many failed authentications a client
	// address may make in a burst, and per DefaultAuthFailurePeriod.
	DefaultAuthFailureLimit = 10
	// DefaultAuthFailurePeriod is the period in which the limit refills.
	DefaultAuthFailurePeriod = time.Minute
	// maxTrackedAddresses bounds the memory of the limiter; beyond it,
	// addresses whose bucket is full again are forgotten.
	maxTrackedAddresses = 65536
)

// RateLimitError is the answer to a failed authentication from a client
// address that has failed too often: HTTP 429 with a Retry-After header.
type RateLimitError struct {
	// RetryAfter is how long until the address may fail again.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("server: too many failed authentications from this address; retry in %d s", e.retrySeconds())
}

// retrySeconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *RateLimitError) retrySeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// failureLimiter is a token bucket per client address that only failed
// authentications drain: an address may fail limit times in a burst and
// then once per period/limit. Successful authentications neither drain nor
// consult it. It keeps the bucket in its exact integer form (the generic
// cell rate algorithm): per address, the time at which the bucket would be
// full again. A nil *failureLimiter never limits.
type failureLimiter struct {
	interval time.Duration // one failure's worth of refill: period/limit
	burst    time.Duration // period: limit failures' worth
	now      func() time.Time

	mu   sync.Mutex
	full map[string]time.Time // when each address's bucket is full again
}

// newFailureLimiter returns a limiter allowing limit failures per period;
// limit ≤ 0 returns nil (no limit). A zero period means
// DefaultAuthFailurePeriod; a nil now means time.Now.
func newFailureLimiter(limit int, period time.Duration, now func() time.Time) *failureLimiter {
	if limit <= 0 {
		return nil
	}
	if period <= 0 {
		period = DefaultAuthFailurePeriod
	}
	if now == nil {
		now = time.Now
	}
	interval := period / time.Duration(limit)
	return &failureLimiter{
		interval: interval,
		burst:    interval * time.Duration(limit),
		now:      now,
		full:     map[string]time.Time{},
	}
}

// fail records a failed authentication from remoteAddr. It returns nil
// while the address has failures left, and a *RateLimitError once it has
// none; a refused failure takes nothing from the bucket.
func (l *failureLimiter) fail(remoteAddr string) *RateLimitError {
	if l == nil {
		return nil
	}
	key := clientHost(remoteAddr)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	full, ok := l.full[key]
	if !ok && len(l.full) >= maxTrackedAddresses {
		l.forgetFull(now)
	}
	if full.Before(now) {
		full = now
	}
	next := full.Add(l.interval)
	if over := next.Sub(now) - l.burst; over > 0 {
		return &RateLimitError{RetryAfter: over}
	}
	l.full[key] = next
	return nil
}

// forgetFull drops the addresses whose bucket is full again: they hold no
// information. If every address is still limited, it drops them all rather
// than grow without bound.
func (l *failureLimiter) forgetFull(now time.Time) {
	for k, full := range l.full {
		if !full.After(now) {
			delete(l.full, k)
		}
	}
	if len(l.full) >= maxTrackedAddresses {
		clear(l.full)
	}
}

// clientHost is the host part of a remote address ("192.0.2.1:5000" →
// "192.0.2.1"), or the address itself when it has no port.
func clientHost(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}
