// Package apitest runs a real profilehooks server for tests: a fresh
// database per test, the real HTTP handler on a loopback port, and a small
// GraphQL client that speaks to it the way the console and scripts do.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/inbound"
	"github.com/profilehooks/profilehooks/server"
	"github.com/profilehooks/profilehooks/store"
)

// AdminToken is the bootstrap admin token of every test server.
const AdminToken = "test-admin-token"

// Env is a running test server.
type Env struct {
	// URL is the server's base URL (http://127.0.0.1:port).
	URL string
	// DB is the server's database.
	DB *store.DB
	// Queries counts the SQL statements run through DB's client.
	Queries *atomic.Int64
	// Token is sent as the bearer token; empty sends no Authorization.
	Token string
	// HTTP is the client requests go through.
	HTTP *http.Client
	// Server is the server under test.
	Server *server.Server

	opts  Options
	dir   string
	dbURL string
}

// Options tune New; the zero value is a server with the admin token on a
// fresh SQLite file.
type Options struct {
	// DevMode runs without an admin token.
	DevMode bool
	// Now is the clock of the domain services; nil means time.Now.
	Now func() time.Time
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// BlockPrivateTargets keeps the SSRF guard on; by default tests allow
	// private targets so webhooks can reach receivers on 127.0.0.1.
	BlockPrivateTargets bool
	// RetrySchedule replaces the default retry schedule; nil means
	// 0, 10ms, 20ms.
	RetrySchedule []time.Duration
	// Configure, if not nil, changes the server's configuration last (to
	// set up OIDC, limits, …). Env.Token is the admin token it leaves.
	Configure func(*server.Config)
	// InboundSettings, if not nil, gives the security settings incoming
	// endpoints apply (trusted issuers, allowlist, token lifetime).
	InboundSettings inbound.SettingsFunc
	// Statements, if not nil, is shown every statement the server runs
	// through ent, with its arguments (from many goroutines at once).
	Statements func(query string, args []any)
}

// New starts a server on a fresh SQLite database in t's temporary
// directory and stops it when t ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	dir := t.TempDir()
	return start(t, opts, dir, DatabaseURL(t, dir))
}

// Replica starts another server on e's database, with e's options and
// secret key: a second replica, as a deployment on PostgreSQL runs them.
func (e *Env) Replica(t testing.TB) *Env {
	t.Helper()
	return start(t, e.opts, e.dir, e.dbURL)
}

func start(t testing.TB, opts Options, dir, dbURL string) *Env {
	t.Helper()
	queries := &atomic.Int64{}
	db, err := store.Open(context.Background(), dbURL, store.Options{
		WrapDriver: func(d dialect.Driver) dialect.Driver {
			return countingDriver{Driver: d, n: queries, seen: opts.Statements}
		},
	})
	require.NoError(t, err)
	cfg := server.Config{
		Addr:                "127.0.0.1:0",
		DatabaseURL:         dbURL,
		SecretKeyFile:       filepath.Join(dir, "secret.key"),
		PublicURL:           "https://hooks.example.test",
		LogFormat:           "json",
		ComplexityLimit:     5000,
		AllowPrivateTargets: !opts.BlockPrivateTargets,
		RetrySchedule:       opts.RetrySchedule,
		ShutdownTimeout:     5 * time.Second,
	}
	if cfg.RetrySchedule == nil {
		cfg.RetrySchedule = []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond}
	}
	if !opts.DevMode {
		cfg.AdminToken = AdminToken
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if !cfg.DevMode() {
		// Outside dev mode the key file must exist.
		_, err := secretKeyFile(cfg.SecretKeyFile)
		require.NoError(t, err)
	}
	srv, err := server.New(context.Background(), cfg, logger, server.Deps{DB: db, Now: opts.Now, InboundSettings: opts.InboundSettings})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	ctx, stop := context.WithCancel(context.Background())
	wait := srv.Start(ctx)
	select { // on PostgreSQL, hear the other replicas before the test acts
	case <-srv.Listening():
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the server did not listen to the other replicas within 10s")
	}
	t.Cleanup(func() {
		ts.Close()
		stop()
		wait()
		_ = db.Close()
	})
	env := &Env{URL: ts.URL, DB: db, Queries: queries, HTTP: ts.Client(), Server: srv, opts: opts, dir: dir, dbURL: dbURL}
	env.Token = cfg.AdminToken
	return env
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Field returns extensions.field.
func (e Error) Field() string { s, _ := e.Extensions["field"].(string); return s }

// Response is a GraphQL response with its HTTP status.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Do posts a GraphQL operation and decodes the answer.
func (e *Env) Do(t testing.TB, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if e.Token != "" {
		req.Header.Set("Authorization", "Bearer "+e.Token)
	}
	resp, err := e.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := Response{Status: resp.StatusCode}
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return out
}

// Must posts a GraphQL operation, requires that it succeeded, and decodes
// its data into dst (when dst is not nil).
func (e *Env) Must(t testing.TB, query string, vars map[string]any, dst any) {
	t.Helper()
	r := e.Do(t, query, vars)
	require.Empty(t, r.Errors, "errors of %s", query)
	require.Equal(t, http.StatusOK, r.Status)
	if dst != nil {
		require.NoError(t, json.Unmarshal(r.Data, dst))
	}
}

// Fail posts a GraphQL operation and requires exactly one error with the
// given code; it returns that error.
func (e *Env) Fail(t testing.TB, code, query string, vars map[string]any) Error {
	t.Helper()
	r := e.Do(t, query, vars)
	require.Len(t, r.Errors, 1, "want one %s error, got data %s", code, r.Data)
	require.Equal(t, code, r.Errors[0].Code(), "error: %+v", r.Errors[0])
	return r.Errors[0]
}
