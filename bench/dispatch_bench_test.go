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
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/store"
)

// dispatchEnv is a server with users and webhooks, and a receiver that
// answers 200 at once and notes when each delivery arrived.
type dispatchEnv struct {
	env      *apitest.Env
	webhooks int
	users    []string
	received atomic.Int64
	arrived  func(body []byte, at time.Time)
	url      string
}

func newDispatchEnv(b *testing.B, webhooks, users int) *dispatchEnv {
	b.Helper()
	de := &dispatchEnv{env: apitest.New(b, apitest.Options{}), webhooks: webhooks}
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

// BenchmarkDispatchThroughput measures deliveries per second end to end:
// 10 webhooks with 5 request parameters each, a loopback receiver answering
// 200 at once, a stream of profile updates from 4 writers; a delivery counts
// once the receiver got it and its attempt is recorded (its delivery is
// SUCCEEDED). It runs on SQLite, then on PostgreSQL with one and with three
// replicas (in this process, sharing the database), and on SQLite also
// measures the ceiling (the same receiver driven by a bare HTTP client loop,
// no database) and the peak RSS of the process.
func BenchmarkDispatchThroughput(b *testing.B) {
	var sqliteRate float64
	b.Run("sqlite", func(b *testing.B) {
		de := newDispatchEnv(b, 10, 500)
		sqliteRate = throughput(b, de)
		ceiling := ceilingRate(b, de.url, 64, 3*time.Second)
		b.ReportMetric(ceiling, "ceiling-req/s")
		b.ReportMetric(sqliteRate/ceiling, "ratio-to-ceiling")
		b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
	})
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("postgres-%d-replicas", replicas), func(b *testing.B) {
			b.Setenv(apitest.DatabaseEnv, "postgres")
			de := newDispatchEnv(b, 10, 500)
			for range replicas - 1 {
				de.env.Replica(b)
			}
			rate := throughput(b, de)
			if sqliteRate > 0 {
				b.ReportMetric(rate/sqliteRate, "ratio-to-sqlite")
			}
		})
	}
}

// throughput streams 2,000 updates per b.N into de and returns deliveries
// per second until every delivery succeeded.
func throughput(b *testing.B, de *dispatchEnv) float64 {
	const writers, updates = 4, 2000
	ctx := context.Background()
	target := de.webhooks * updates * b.N
	base := de.succeeded(b)
	baseReceived := de.received.Load()
	b.ResetTimer()
	start := time.Now()
	for n := range b.N {
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < updates; i += writers {
					if err := de.update(ctx, n*updates+i); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	deadline := time.Now().Add(5 * time.Minute)
	// The receiver's count is free to read; the database is asked only once
	// every delivery arrived, so polling takes no time from the work.
	for de.received.Load()-baseReceived < int64(target) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling the outcome of a benchmark run, not a test
	}
	for de.succeeded(b)-base < target {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d deliveries succeeded", de.succeeded(b)-base, target)
		}
		time.Sleep(5 * time.Millisecond) // polling the outcome of a benchmark run, not a test
	}
	elapsed := time.Since(start)
	b.StopTimer()
	rate := float64(target) / elapsed.Seconds()
	b.ReportMetric(rate, "deliveries/s")
	return rate
}

// succeeded counts the deliveries that succeeded.
func (de *dispatchEnv) succeeded(b *testing.B) int {
	n, err := de.env.DB.Client.Delivery.Query().Where(delivery.StatusEQ(schematype.DeliverySucceeded)).Count(context.Background())
	require.NoError(b, err)
	return n
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
