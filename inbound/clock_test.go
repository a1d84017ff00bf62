package inbound_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/inbound"
)

// clock is a settable clock for the services under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// settingsWith returns security settings with the allowlist and trusted
// issuers.
func settingsWith(t testing.TB, allowlist []string, issuers []inbound.TrustedIssuer) inbound.SettingsFunc {
	t.Helper()
	s := inbound.Settings{TrustedIssuers: issuers}
	for _, p := range allowlist {
		prefix, err := netip.ParsePrefix(p)
		require.NoError(t, err)
		s.Allowlist = append(s.Allowlist, prefix)
	}
	return func(context.Context) (inbound.Settings, error) { return s, nil }
}
