package retry_test

import (
	"math"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/retry"
)

// almostOne is the largest float64 below 1, the top of Rand's range.
var almostOne = math.Nextafter(1, 0)

// fixedRand returns a Rand that always yields r.
func fixedRand(r float64) func() float64 {
	return func() float64 { return r }
}

// countingRand returns a Rand that yields r and counts its calls.
func countingRand(r float64) (func() float64, *atomic.Int64) {
	var n atomic.Int64
	return func() float64 { n.Add(1); return r }, &n
}

// requireNext calls p.Next and requires an attempt exactly want after now.
func requireNext(t *testing.T, p retry.Policy, attemptsDone, limit int, retryAfter, want time.Duration) {
	t.Helper()
	now := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	next, ok := p.Next(attemptsDone, limit, now, retryAfter)
	require.True(t, ok, "attemptsDone %d limit %d: no next attempt", attemptsDone, limit)
	require.Equal(t, want, next.Sub(now), "attemptsDone %d limit %d retryAfter %v", attemptsDone, limit, retryAfter)
}

// requireNoNext requires that p.Next has no attempt left.
func requireNoNext(t *testing.T, p retry.Policy, attemptsDone, limit int) {
	t.Helper()
	next, ok := p.Next(attemptsDone, limit, time.Unix(1700000000, 0), time.Hour)
	require.False(t, ok, "attemptsDone %d limit %d: unexpected attempt at %v", attemptsDone, limit, next)
	require.True(t, next.IsZero())
}

func TestDecideStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code int
		want retry.Decision
	}{
		{200, retry.Succeed},
		{201, retry.Succeed},
		{202, retry.Succeed},
		{204, retry.Succeed},
		{299, retry.Succeed},

		{408, retry.Retry},
		{425, retry.Retry},
		{429, retry.Retry},
		{500, retry.Retry},
		{502, retry.Retry},
		{503, retry.Retry},
		{504, retry.Retry},
		{599, retry.Retry},

		{410, retry.FailAndDisable},

		{100, retry.Fail},
		{101, retry.Fail},
		{199, retry.Fail},
		{300, retry.Fail},
		{301, retry.Fail},
		{302, retry.Fail},
		{304, retry.Fail},
		{307, retry.Fail},
		{308, retry.Fail},
		{400, retry.Fail},
		{401, retry.Fail},
		{403, retry.Fail},
		{404, retry.Fail},
		{405, retry.Fail},
		{407, retry.Fail},
		{409, retry.Fail},
		{411, retry.Fail},
		{413, retry.Fail},
		{422, retry.Fail},
		{451, retry.Fail},
		{499, retry.Fail},

		// Not HTTP statuses at all.
		{0, retry.Fail},
		{-1, retry.Fail},
		{99, retry.Fail},
		{600, retry.Fail},
		{999, retry.Fail},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, retry.DecideStatus(tc.code), "status %d", tc.code)
		})
	}
}

func TestDecisionString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    retry.Decision
		want string
	}{
		{retry.Succeed, "succeed"},
		{retry.Retry, "retry"},
		{retry.Fail, "fail"},
		{retry.FailAndDisable, "fail_and_disable"},
		{retry.Decision(4), "Decision(4)"},
		{retry.Decision(-1), "Decision(-1)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.d.String())
		})
	}
	var zero retry.Decision
	require.Equal(t, retry.Succeed, zero)
}

func TestDefaultSchedule(t *testing.T) {
	t.Parallel()
	want := []time.Duration{
		0,
		5 * time.Second,
		5 * time.Minute,
		30 * time.Minute,
		2 * time.Hour,
		5 * time.Hour,
		10 * time.Hour,
		10 * time.Hour,
	}
	require.Equal(t, want, retry.DefaultSchedule)

	// The zero Policy follows it; with Rand at 0.5 jitter leaves every
	// delay exactly as scheduled.
	var zero retry.Policy
	require.Equal(t, 8, zero.MaxAttempts(0))
	require.Equal(t, time.Duration(0), zero.FirstDelay())
	p := retry.Policy{Rand: fixedRand(0.5)}
	for done := 1; done < len(want); done++ {
		requireNext(t, p, done, 0, 0, want[done])
	}
	requireNoNext(t, p, 8, 0)
	requireNoNext(t, zero, 8, 0)

	// An empty schedule is the default one too.
	empty := retry.Policy{Schedule: []time.Duration{}, Rand: fixedRand(0.5)}
	require.Equal(t, 8, empty.MaxAttempts(0))
	requireNext(t, empty, 3, 0, 0, 30*time.Minute)
}

func TestJitterBounds(t *testing.T) {
	t.Parallel()
	const d = 5 * time.Minute // the delay before attempt 3
	tests := []struct {
		name   string
		jitter float64
		r      float64
		want   time.Duration // exact, unless within is set
		within time.Duration // allowed shortfall below want, for almostOne
	}{
		{name: "default, r=0", jitter: 0, r: 0, want: 4 * time.Minute},
		{name: "default, r=0.5", jitter: 0, r: 0.5, want: d},
		{name: "default, r=0.25", jitter: 0, r: 0.25, want: 4*time.Minute + 30*time.Second},
		{name: "default, r→1", jitter: 0, r: almostOne, want: 6 * time.Minute, within: time.Microsecond},
		{name: "0.5, r=0", jitter: 0.5, r: 0, want: 150 * time.Second},
		{name: "0.5, r=0.5", jitter: 0.5, r: 0.5, want: d},
		{name: "0.5, r→1", jitter: 0.5, r: almostOne, want: 450 * time.Second, within: time.Microsecond},
		{name: "1, r=0", jitter: 1, r: 0, want: 0},
		{name: "1.5 never negative", jitter: 1.5, r: 0, want: 0},
		{name: "1.5, r=0.5", jitter: 1.5, r: 0.5, want: d},
		{name: "negative is none, r=0", jitter: -1, r: 0, want: d},
		{name: "negative is none, r→1", jitter: -0.3, r: almostOne, want: d},
		{name: "NaN is none", jitter: math.NaN(), r: 0, want: d},
		{name: "infinite is none", jitter: math.Inf(1), r: 0, want: d},
		{name: "Rand below 0 clamps", jitter: 0, r: -5, want: 4 * time.Minute},
		{name: "Rand NaN clamps", jitter: 0, r: math.NaN(), want: 4 * time.Minute},
		{name: "Rand above 1 clamps", jitter: 0, r: 7, want: 6 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := retry.Policy{Jitter: tc.jitter, Rand: fixedRand(tc.r)}
			now := time.Unix(1700000000, 0)
			next, ok := p.Next(2, 0, now, 0)
			require.True(t, ok)
			got := next.Sub(now)
			if tc.within == 0 {
				require.Equal(t, tc.want, got)
				return
			}
			require.LessOrEqual(t, got, tc.want)
			require.GreaterOrEqual(t, got, tc.want-tc.within)
		})
	}
}

func TestJitterStaysInRangeAndIsMonotonic(t *testing.T) {
	t.Parallel()
	for _, jitter := range []float64{0, 0.1, 0.5, 1} {
		eff := jitter
		if eff == 0 {
			eff = 0.2
		}
		for attempt := 1; attempt < len(retry.DefaultSchedule); attempt++ {
			d := retry.DefaultSchedule[attempt]
			lo := time.Duration(float64(d) * (1 - eff))
			hi := time.Duration(float64(d) * (1 + eff))
			prev := time.Duration(-1)
			for i := 0; i <= 1000; i++ {
				r := min(float64(i)/1000, almostOne)
				p := retry.Policy{Jitter: jitter, Rand: fixedRand(r)}
				now := time.Unix(0, 0)
				next, ok := p.Next(attempt, 0, now, 0)
				require.True(t, ok)
				got := next.Sub(now)
				require.GreaterOrEqual(t, got, lo, "jitter %v attempt %d r %v", jitter, attempt+1, r)
				require.LessOrEqual(t, got, hi, "jitter %v attempt %d r %v", jitter, attempt+1, r)
				require.GreaterOrEqual(t, got, prev, "not monotonic in r")
				prev = got
			}
		}
	}
}

func TestRandUsage(t *testing.T) {
	t.Parallel()
	// A zero delay and a disabled jitter never consult Rand.
	rnd, calls := countingRand(0)
	p := retry.Policy{Rand: rnd}
	require.Equal(t, time.Duration(0), p.FirstDelay())
	require.Zero(t, calls.Load())
	requireNext(t, p, 1, 0, 0, 4*time.Second)
	require.Equal(t, int64(1), calls.Load())

	rnd, calls = countingRand(0)
	none := retry.Policy{Jitter: -1, Rand: rnd}
	requireNext(t, none, 4, 0, 0, 2*time.Hour)
	require.Zero(t, calls.Load())

	// A nil Rand uses math/rand/v2 and stays in range.
	def := retry.Policy{}
	now := time.Unix(1700000000, 0)
	for range 100 {
		next, ok := def.Next(7, 0, now, 0)
		require.True(t, ok)
		require.GreaterOrEqual(t, next.Sub(now), 8*time.Hour)
		require.LessOrEqual(t, next.Sub(now), 12*time.Hour)
	}
}

func TestFirstDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    retry.Policy
		want time.Duration
	}{
		{"zero policy", retry.Policy{}, 0},
		{"zero first entry ignores jitter", retry.Policy{Schedule: []time.Duration{0, time.Hour}, Rand: fixedRand(almostOne)}, 0},
		{"negative first entry", retry.Policy{Schedule: []time.Duration{-time.Minute}, Rand: fixedRand(0)}, 0},
		{"jittered first entry", retry.Policy{Schedule: []time.Duration{10 * time.Second}, Rand: fixedRand(0)}, 8 * time.Second},
		{"unjittered first entry", retry.Policy{Schedule: []time.Duration{10 * time.Second}, Jitter: -1, Rand: fixedRand(0)}, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.p.FirstDelay())
		})
	}
}

func TestNextRetryAfter(t *testing.T) {
	t.Parallel()
	half := fixedRand(0.5) // jitter leaves the scheduled delay
	tests := []struct {
		name         string
		p            retry.Policy
		attemptsDone int
		retryAfter   time.Duration
		want         time.Duration
	}{
		{"none", retry.Policy{Rand: half}, 2, 0, 5 * time.Minute},
		{"negative ignored", retry.Policy{Rand: half}, 2, -time.Hour, 5 * time.Minute},
		{"shorter ignored", retry.Policy{Rand: half}, 2, 4 * time.Minute, 5 * time.Minute},
		{"equal", retry.Policy{Rand: half}, 2, 5 * time.Minute, 5 * time.Minute},
		{"longer honoured", retry.Policy{Rand: half}, 2, 20 * time.Minute, 20 * time.Minute},
		{"longer than jittered delay honoured", retry.Policy{Rand: fixedRand(0)}, 2, 4*time.Minute + time.Second, 4*time.Minute + time.Second},
		{"shorter than jittered delay ignored", retry.Policy{Rand: fixedRand(almostOne), Jitter: -1}, 2, 4 * time.Minute, 5 * time.Minute},
		{"at default cap", retry.Policy{Rand: half}, 1, 24 * time.Hour, 24 * time.Hour},
		{"capped at default 24h", retry.Policy{Rand: half}, 1, 72 * time.Hour, 24 * time.Hour},
		{"capped at huge value", retry.Policy{Rand: half}, 1, math.MaxInt64, 24 * time.Hour},
		{"capped at custom cap", retry.Policy{Rand: half, MaxRetryAfter: time.Hour}, 1, 3 * time.Hour, time.Hour},
		{"negative cap is default", retry.Policy{Rand: half, MaxRetryAfter: -time.Hour}, 1, 30 * time.Hour, 24 * time.Hour},
		{"cap below delay keeps delay", retry.Policy{Rand: half, MaxRetryAfter: time.Minute}, 6, 3 * time.Hour, 10 * time.Hour},
		{"longer than last delay", retry.Policy{Rand: half}, 7, 20 * time.Hour, 20 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			requireNext(t, tc.p, tc.attemptsDone, 0, tc.retryAfter, tc.want)
		})
	}
}

func TestMaxAttemptsAndLimit(t *testing.T) {
	t.Parallel()
	short := []time.Duration{0, time.Second, time.Minute}
	tests := []struct {
		name     string
		schedule []time.Duration
		limit    int
		want     int
	}{
		{"default, no limit", nil, 0, 8},
		{"default, negative limit", nil, -3, 8},
		{"default, limit 1", nil, 1, 1},
		{"default, limit 3", nil, 3, 3},
		{"default, limit 7", nil, 7, 7},
		{"default, limit equal", nil, 8, 8},
		{"default, limit above", nil, 20, 8},
		{"custom, no limit", short, 0, 3},
		{"custom, limit 2", short, 2, 2},
		{"custom, limit above", short, 5, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := retry.Policy{Schedule: tc.schedule, Rand: fixedRand(0.5)}
			require.Equal(t, tc.want, p.MaxAttempts(tc.limit))
			// Next offers exactly the attempts MaxAttempts allows.
			for done := 1; done < tc.want; done++ {
				_, ok := p.Next(done, tc.limit, time.Unix(0, 0), 0)
				require.True(t, ok, "attemptsDone %d", done)
			}
			requireNoNext(t, p, tc.want, tc.limit)
			requireNoNext(t, p, tc.want+1, tc.limit)
		})
	}
}

func TestNextEdgeCases(t *testing.T) {
	t.Parallel()
	p := retry.Policy{Schedule: []time.Duration{time.Second, -time.Minute, time.Hour}, Rand: fixedRand(0.5)}
	requireNext(t, p, 0, 0, 0, time.Second)  // none done yet: the first delay
	requireNext(t, p, -4, 0, 0, time.Second) // below 0 counts as 0
	requireNext(t, p, 1, 0, 0, 0)            // negative entry counts as 0
	requireNext(t, p, 1, 0, time.Minute, time.Minute)
	requireNext(t, p, 2, 0, 0, time.Hour)
	requireNoNext(t, p, 3, 0)
	requireNoNext(t, p, 2, 2)
	requireNoNext(t, p, math.MaxInt, 0)

	// A Policy never changes the schedule it reads.
	before := append([]time.Duration(nil), retry.DefaultSchedule...)
	_, _ = retry.Policy{}.Next(3, 0, time.Unix(0, 0), time.Hour)
	require.Equal(t, before, retry.DefaultSchedule)

	// A huge delay saturates instead of overflowing.
	huge := retry.Policy{Schedule: []time.Duration{0, math.MaxInt64}, Jitter: 0.5, Rand: fixedRand(almostOne)}
	requireNext(t, huge, 1, 0, 0, math.MaxInt64)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(1994, time.November, 6, 8, 49, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"zero seconds", "0", 0, true},
		{"leading zeros", "007", 7 * time.Second, true},
		{"surrounding whitespace", " \t30 ", 30 * time.Second, true},
		{"large seconds", "31536000", 365 * 24 * time.Hour, true},
		{"seconds overflowing a Duration", "9223372036854775807", math.MaxInt64, true},
		{"seconds overflowing int64", "99999999999999999999999", math.MaxInt64, true},
		{"IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT", 37 * time.Second, true},
		{"IMF-fixdate hours ahead", "Sun, 06 Nov 1994 10:49:00 GMT", 2 * time.Hour, true},
		{"RFC 850 date", "Sunday, 06-Nov-94 08:49:37 GMT", 37 * time.Second, true},
		{"asctime date", "Sun Nov  6 08:49:37 1994", 37 * time.Second, true},
		{"date now", "Sun, 06 Nov 1994 08:49:00 GMT", 0, true},
		{"past date", "Sun, 06 Nov 1994 08:48:00 GMT", 0, true},
		{"distant past date", "Thu, 01 Jan 1970 00:00:00 GMT", 0, true},

		{"empty", "", 0, false},
		{"blank", "   ", 0, false},
		{"negative seconds", "-5", 0, false},
		{"signed seconds", "+5", 0, false},
		{"fractional seconds", "1.5", 0, false},
		{"seconds with unit", "30s", 0, false},
		{"hex seconds", "0x10", 0, false},
		{"garbage", "soon", 0, false},
		{"date without zone", "Sun, 06 Nov 1994 08:49:37", 0, false},
		{"date in another zone", "Sun, 06 Nov 1994 08:49:37 PST", 0, false},
		{"RFC 3339 date", "1994-11-06T08:49:37Z", 0, false},
		{"impossible date", "Sun, 31 Feb 1994 08:49:37 GMT", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := retry.ParseRetryAfter(tc.in, now)
			require.Equal(t, tc.wantOK, ok, "ParseRetryAfter(%q)", tc.in)
			require.Equal(t, tc.want, got, "ParseRetryAfter(%q)", tc.in)
		})
	}
}

func TestParseRetryAfterFeedsNext(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 5, 5, 12, 0, 0, 0, time.UTC)
	ra, ok := retry.ParseRetryAfter("Mon, 05 May 2025 14:00:00 GMT", now)
	require.True(t, ok)
	next, ok := retry.Policy{Rand: fixedRand(0.5)}.Next(2, 0, now, ra)
	require.True(t, ok)
	require.Equal(t, time.Date(2025, 5, 5, 14, 0, 0, 0, time.UTC), next)
}
