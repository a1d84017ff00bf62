package dispatcher_test

import (
	"context"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

// statement is a statement the server ran, with its arguments.
type statement struct {
	query string
	args  []any
}

// TestLaneQueriesReadTheirIndexes asks the database how it runs the
// dispatcher's lane statements, as the server sent them: the claim must
// read the partial index of due lane heads (never the backlog waiting
// behind them), and the busy-lane check and the promotion must probe the
// lane indexes. Both planners see a young table without statistics, the
// case where a careless query shape gets a plan that reads every open
// delivery.
func TestLaneQueriesReadTheirIndexes(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen = map[string]statement{} // kind → the first one seen
	)
	dueBefore := regexp.MustCompile("next_attempt_at[`\"]? <=")
	kinds := map[string]func(q string, args []any) bool{
		"claim": func(q string, _ []any) bool {
			return strings.HasPrefix(q, "SELECT") && strings.Contains(q, "status = 'PENDING' AND deliveries.test = false AND deliveries.waiting = false") &&
				dueBefore.MatchString(q)
		},
		"busy": func(q string, _ []any) bool { return strings.Contains(q, "LIMIT 1) IS NOT NULL") },
		// The promotion of given lanes (the sweep at start has no
		// arguments but the time).
		"promote": func(q string, args []any) bool {
			return strings.HasPrefix(q, "UPDATE") && strings.Contains(q, "ORDER BY w.sequence LIMIT 1") && len(args) > 2
		},
	}
	env := apitest.New(t, apitest.Options{
		RetrySchedule: []time.Duration{0, time.Hour},
		Statements: func(q string, args []any) {
			mu.Lock()
			defer mu.Unlock()
			for kind, match := range kinds {
				if _, ok := seen[kind]; !ok && match(q, args) {
					seen[kind] = statement{q, args}
				}
			}
		},
	})
	rcv := apitest.NewReceiver(t)
	h := createHook(t, env, map[string]any{"name": "hr", "url": rcv.URL, "triggers": []string{"UPDATE_USER_PROFILE"}})
	log := attempts(t, env)
	uid := createUser(t, env, map[string]any{"email": "plan@example.com"})
	updateUser(t, env, uid, map[string]any{"city": "Oslo"})
	updateUser(t, env, uid, map[string]any{"city": "Rome"}) // waits for Oslo
	nextAttempt(t, log)
	nextAttempt(t, log) // Oslo finished and released Rome
	require.Len(t, lane(t, env, h.ID, uid), 2)

	mu.Lock() // the server keeps running statements: copy what was seen
	statements := maps.Clone(seen)
	mu.Unlock()
	want := map[string][]string{
		"claim":   {"delivery_due_pending"},
		"busy":    {"delivery_open_lane"},
		"promote": {"delivery_open_lane", "delivery_lane_head"},
	}
	for kind, indexes := range want {
		st, ok := statements[kind]
		require.True(t, ok, "the server ran no %s statement", kind)
		plan := explain(t, env, st, kind == "claim")
		t.Logf("%s:\n%s", kind, plan)
		for _, index := range indexes {
			require.Contains(t, plan, index, "the %s statement reads %s:\n%s\n%s", kind, index, st.query, plan)
		}
		require.NotContains(t, plan, "Seq Scan on deliveries", "%s:\n%s", kind, plan)
		require.NotContains(t, plan, "SCAN deliveries", "%s:\n%s", kind, plan)
	}
}

// explain returns the database's plan for st; claim plans it as the claim
// transaction does on PostgreSQL. Other statements are planned on
// PostgreSQL with sequential scans discouraged: on a table of a few rows
// one is cheapest, and the question is whether the statement's shape lets
// an index be used at all.
func explain(t *testing.T, env *apitest.Env, st statement, claim bool) string {
	t.Helper()
	ctx := context.Background()
	tx, err := env.DB.SQL.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	prefix := "EXPLAIN QUERY PLAN "
	if apitest.Postgres() {
		prefix = "EXPLAIN "
		settings := "SELECT set_config('enable_seqscan', 'off', true)"
		if claim {
			settings = "SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)"
		}
		_, err := tx.ExecContext(ctx, settings)
		require.NoError(t, err)
	}
	rows, err := tx.QueryContext(ctx, prefix+st.query, st.args...)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		line, _ := vals[len(vals)-1].(string) // the detail column
		if b, ok := vals[len(vals)-1].([]byte); ok {
			line = string(b)
		}
		plan = append(plan, line)
	}
	require.NoError(t, rows.Err())
	return strings.Join(plan, "\n")
}
