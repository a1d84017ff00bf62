package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/store"
)

// dispatchEnv is a server with users and webhooks, and a receiver that
// answers 200 at once and notes when each delivery arrived.
type dispatchEnv struct {
	env      *apitest.Env
	users    []string
	received atomic.Int64
	arrived  func(body []byte, at time.Time)
	url      string
}

func newDispatchEnv(b *testing.B, webhooks, users int) *dispatchEnv {
	b.Helper()
	de := &dispatchEnv{env: apitest.New(b, apitest.Options{})}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		at := time.Now()
		de.received.Add(1)
		if de.arrived != nil {
			de.arrived(body, at)
		}
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(rcv.Close)
	de.url = rcv.URL
	for i := range webhooks {
		de.env.Must(b, `mutation($input: CreateProfileWebhookInput!) { createProfileWebhook(input: $input) { signingSecret } }`, map[string]any{"input": map[string]any{
			"name": fmt.Sprintf("hook %d", i), "url": rcv.URL, "triggers": []string{"UPDATE_USER_PROFILE"},
			"requestParameters": []map[string]any{
				{"apiField": "user.email", "profileField": "email"},
				{"apiField": "user.name.first", "profileField": "firstName"},
				{"apiField": "user.name.last", "profileField": "lastName"},
				{"apiField": "user.city", "profileField": "city"},
				{"apiField": "seq", "profileField": "costCenter"},
			},
		}}, nil)
	}
	for i := range users {
		var out struct{ CreateUser struct{ ID string } }
		de.env.Must(b, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, map[string]any{"input": map[string]any{
			"email": fmt.Sprintf("bench%04d@example.com", i), "firstName": "Bench", "lastName": strconv.Itoa(i),
		}}, &out)
		de.users = append(de.users, out.CreateUser.ID)
	}
	return de
}

// update commits one profile update through the profile service (the code
// path of updateUserProfile without HTTP and GraphQL).
func (de *dispatchEnv) update(ctx context.Context, seq int) error {
	uid := de.users[seq%len(de.users)]
	s := strconv.Itoa(seq)
	return store.WithTx(ctx, de.env.DB.Client, func(ctx context.Context) error {
		_, err := de.env.Server.Profiles().UpdateProfile(ctx, uid, []profile.Change{
			{Key: "city", Value: &s, Path: "city"}, {Key: "costCenter", Value: &s, Path: "costCenter"},
		}, profile.AdminAPI)
		return err
	})
}

// BenchmarkDispatchThroughput measures deliveries per second end to end on
// SQLite: 10 webhooks with 5 request parameters each, a loopback receiver
// answering 200 at once, a stream of profile updates; a delivery counts
// once the receiver got it and its attempt is recorded. It also measures
// the ceiling (the same receiver driven by a bare HTTP client loop, no
// database) and reports the peak RSS of the process.
func BenchmarkDispatchThroughput(b *testing.B) {
	const webhooks, users, updates = 10, 500, 2000
	de := newDispatchEnv(b, webhooks, users)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recorded := de.env.Server.Dispatcher().Subscribe(ctx, nil, []schematype.DeliveryStatus{schematype.DeliverySucceeded})
	// A subscriber that falls behind is dropped; this one only counts.
	var done atomic.Int64
	finished := make(chan struct{})
	target := int64(webhooks * updates * b.N)
	go func() {
		for range recorded {
			if done.Add(1) == target {
				close(finished)
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for n := range b.N {
		var wg sync.WaitGroup
		for w := range 4 { // four writers, as several API requests would be
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < updates; i += 4 {
					if err := de.update(ctx, n*updates+i); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	select {
	case <-finished:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d deliveries recorded", done.Load(), target)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	rate := float64(target) / elapsed.Seconds()
	b.ReportMetric(rate, "deliveries/s")
	ceiling := ceilingRate(b, de.url, 64, 3*time.Second)
	b.ReportMetric(ceiling, "ceiling-req/s")
	b.ReportMetric(rate/ceiling, "ratio")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// ceilingRate drives url with a bare HTTP client loop from workers
// goroutines for d and returns requests per second.
func ceilingRate(b *testing.B, url string, workers int, d time.Duration) float64 {
	body := []byte(`{"user":{"email":"bench0001@example.com","name":{"first":"Bench","last":"1"},"city":"1"},"seq":"1"}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// BenchmarkDispatchLatency measures, at 500 events per second to one
// webhook, the time from an update's commit to the receiver's first byte.
func BenchmarkDispatchLatency(b *testing.B) {
	const rate, seconds = 500, 4
	de := newDispatchEnv(b, 1, 500)
	var (
		mu        sync.Mutex
		committed = map[string]time.Time{}
		latencies []time.Duration
	)
	de.arrived = func(body []byte, at time.Time) {
		var v struct{ Seq string }
		if json.Unmarshal(body, &v) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if c, ok := committed[v.Seq]; ok {
			latencies = append(latencies, at.Sub(c))
		}
	}
	ctx := context.Background()
	total := rate * seconds * b.N
	b.ResetTimer()
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	for i := range total {
		<-tick.C
		if err := de.update(ctx, i); err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		committed[strconv.Itoa(i)] = time.Now()
		mu.Unlock()
	}
	deadline := time.Now().Add(30 * time.Second)
	for de.received.Load() < int64(total) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // waiting for the tail of a benchmark run, not in a test
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(b, latencies)
	slices.Sort(latencies)
	b.ReportMetric(float64(percentile(latencies, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(latencies, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(latencies)), "deliveries")
}

// peakRSSMiB returns the process's peak resident set size (VmHWM).
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
