package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

// inboundUsers is how many users the inbound benchmarks update.
const inboundUsers = 1000

// inboundClients is how many loopback clients post at once.
const inboundClients = 64

// BenchmarkInboundSingle measures single-object updates posted to an
// OAUTH2 incoming endpoint with a bearer token by 64 concurrent loopback
// clients, against a server on a SQLite file: requests/s and latency. Each
// request changes one user's job title (one transaction, one event, one
// inbound log entry).
func BenchmarkInboundSingle(b *testing.B) {
	env, endpoint, token := inboundSetup(b)
	var seq atomic.Int64
	benchInbound(b, env, endpoint, token, func() []byte {
		n := seq.Add(1)
		return fmt.Appendf(nil, `{"emp": {"id": "E%d", "title": "Title %d"}}`, n%inboundUsers, n)
	}, 1)
}

// BenchmarkInboundBatch is BenchmarkInboundSingle with 100-object batches:
// objects/s, and the latency of a whole batch.
func BenchmarkInboundBatch(b *testing.B) {
	env, endpoint, token := inboundSetup(b)
	var seq atomic.Int64
	benchInbound(b, env, endpoint, token, func() []byte {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i := range 100 {
			if i > 0 {
				buf.WriteByte(',')
			}
			n := seq.Add(1)
			fmt.Fprintf(&buf, `{"emp": {"id": "E%d", "title": "Title %d"}}`, n%inboundUsers, n)
		}
		buf.WriteByte(']')
		return buf.Bytes()
	}, 100)
}

// inboundSetup starts a server with an OAUTH2 endpoint, its users (made
// through the endpoint, CREATE policy) and a client token.
func inboundSetup(b *testing.B) (*apitest.Env, string, string) {
	b.Helper()
	env := apitest.New(b, apitest.Options{})
	var ep struct {
		CreateInboundEndpoint struct{ InboundEndpoint struct{ ID, URL string } }
	}
	env.Must(b, `mutation { createInboundEndpoint(input: {name: "Payroll", onUnknownUser: CREATE, inputParameters: [
	  {apiField: "emp.id", profileField: "employeeId", userIdentifier: true},
	  {apiField: "emp.mail", profileField: "email", userIdentifier: true},
	  {apiField: "emp.title", profileField: "jobTitle"},
	  {apiField: "emp.department", profileField: "department"}]}) { inboundEndpoint { id url } } }`, nil, &ep)
	endpoint := ep.CreateInboundEndpoint.InboundEndpoint
	c := env.CreateOAuthClient(b, "Payroll", endpoint.ID)
	token := env.OAuthToken(b, c.ClientID, c.ClientSecret)
	var seed strings.Builder
	seed.WriteByte('[')
	for i := range inboundUsers {
		if i > 0 {
			seed.WriteByte(',')
		}
		fmt.Fprintf(&seed, `{"emp": {"id": "E%d", "mail": "user%d@example.com", "department": "Engineering"}}`, i, i)
	}
	seed.WriteByte(']')
	r := env.Inbound(b, endpoint.URL, []byte(seed.String()), apitest.Bearer(token)...)
	require.Equal(b, http.StatusOK, r.Status)
	u, err := url.Parse(endpoint.URL)
	require.NoError(b, err)
	return env, env.URL + u.Path, token
}

// benchInbound posts bodies from 64 clients and reports requests/s (or
// objects/s when perRequest > 1) and the p50 and p99 latency.
func benchInbound(b *testing.B, env *apitest.Env, endpoint, token string, body func() []byte, perRequest int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * inboundClients, MaxIdleConnsPerHost: 2 * inboundClients}}
	postInbound(b, client, endpoint, token, body()) // warm-up
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism(max(1, inboundClients/runtimeProcs()))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			payload := body()
			t0 := time.Now()
			postInbound(b, client, endpoint, token, payload)
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(latencies)
	if perRequest == 1 {
		b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	} else {
		b.ReportMetric(float64(len(latencies)*perRequest)/elapsed.Seconds(), "objects/s")
	}
	b.ReportMetric(float64(percentile(latencies, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(latencies, 0.99).Microseconds())/1000, "p99-ms")
}

func postInbound(tb testing.TB, client *http.Client, endpoint, token string, body []byte) {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"error"`)) {
		tb.Fatalf("status %d, err %v, body %.300s", resp.StatusCode, err, out)
	}
}
