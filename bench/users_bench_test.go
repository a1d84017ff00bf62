// Package bench holds the benchmarks that `make bench` runs. Each reports
// the figures its issue asks for through b.ReportMetric; BENCHMARKS.md
// records the latest run.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

const usersPage = `query UsersPage($after: Cursor) {
  users(first: 20, after: $after, orderBy: {field: EMAIL}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id email firstName lastName department jobTitle city country active customFields { key value } } }
  }
}`

// BenchmarkUsersPage measures a 20-user page of users (8 fields and the
// custom fields) from 32 concurrent loopback clients against a server on a
// SQLite file: requests/s and p99 latency.
func BenchmarkUsersPage(b *testing.B) {
	env := apitest.New(b, apitest.Options{})
	env.Must(b, `mutation { a: createCustomProfileField(input: {key: "badge", label: "Badge", type: TEXT}) { id }
	  b: createCustomProfileField(input: {key: "level", label: "Level", type: NUMBER}) { id } }`, nil, nil)
	for i := range 200 {
		env.Must(b, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, map[string]any{"input": map[string]any{
			"email": fmt.Sprintf("user%03d@example.com", i), "firstName": "First", "lastName": fmt.Sprintf("Last%d", i),
			"department": "Engineering", "jobTitle": "Engineer", "city": "Lisbon", "country": "PT",
			"customFields": []map[string]any{{"key": "badge", "value": fmt.Sprintf("B-%d", i)}, {"key": "level", "value": fmt.Sprint(i % 7)}},
		}}, nil)
	}
	body, err := json.Marshal(map[string]any{"query": usersPage})
	require.NoError(b, err)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	// A warm-up request fills the query cache and checks the answer.
	require.Contains(b, string(post(b, client, env.URL, body)), "user000@example.com")

	const clients = 32
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism(clients / max(1, runtimeProcs()))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			post(b, client, env.URL, body)
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(percentile(latencies, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(latencies, 0.99).Microseconds())/1000, "p99-ms")
}

func post(tb testing.TB, client *http.Client, base string, body []byte) []byte {
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apitest.AdminToken)
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
		tb.Fatalf("status %d, err %v, body %.300s", resp.StatusCode, err, out)
	}
	return out
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}
