// Package server runs profilehooks: it reads the configuration, opens the
// database, wires the domain services into the GraphQL API and serves HTTP
// (/graphql, /auth/config, /playground, /healthz, /readyz, /metrics) until its context
// ends, then shuts down gracefully.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/profilehooks/profilehooks/access"
	"github.com/profilehooks/profilehooks/dispatcher"
	"github.com/profilehooks/profilehooks/egress"
	"github.com/profilehooks/profilehooks/frontend"
	"github.com/profilehooks/profilehooks/graph"
	"github.com/profilehooks/profilehooks/inbound"
	"github.com/profilehooks/profilehooks/oauthserver"
	"github.com/profilehooks/profilehooks/pgnotify"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/retry"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
	"github.com/profilehooks/profilehooks/webhook"
)

// Server is a configured profilehooks service. Create it with New, run it
// with Serve and release it with Close.
type Server struct {
	cfg        Config
	log        *slog.Logger
	db         *store.DB
	profiles   *profile.Service
	dispatcher *dispatcher.Dispatcher
	inbound    *inbound.Handler
	handler    http.Handler
	// listener hears the other replicas; nil on SQLite.
	listener *pgnotify.Listener
	// dispatcherFailed is set when the dispatcher stopped with an error;
	// /readyz then answers 503.
	dispatcherFailed atomic.Bool
}

// Listening is closed once the server hears the other replicas (at once on
// SQLite): from then on, live subscriptions see what every replica records.
func (s *Server) Listening() <-chan struct{} { return s.listener.Ready() }

// Deps are the parts New builds that a caller may provide instead; the zero
// value builds everything from the Config.
type Deps struct {
	// DB, if not nil, is used instead of opening cfg.DatabaseURL; Close
	// then does not close it.
	DB *store.DB
	// Now, if not nil, is the clock of the domain services.
	Now func() time.Time
	// InboundSettings, if not nil, returns the security settings incoming
	// endpoints and the token endpoint apply; nil means
	// inbound.DefaultSettings.
	InboundSettings inbound.SettingsFunc
}

// New opens the database (migrating its schema), loads the secret key and
// builds the HTTP handler.
func New(ctx context.Context, cfg Config, logger *slog.Logger, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	box, err := secret.LoadKeyFile(cfg.SecretKeyFile, cfg.DevMode())
	if err != nil {
		return nil, fmt.Errorf("server: %w (generate one with: head -c 32 /dev/urandom | base64 > %s; chmod 600 %[2]s)", err, cfg.SecretKeyFile)
	}
	db := deps.DB
	if db == nil {
		if db, err = store.Open(ctx, cfg.DatabaseURL, store.Options{}); err != nil {
			return nil, err
		}
	}
	accessSvc := &access.Service{Now: deps.Now}
	auth := newConfiguredAuthenticator(cfg, db.Client, accessSvc, logger, deps.Now)
	if auth.DevMode() {
		logger.Warn("DEV MODE: neither --admin-token nor --oidc-issuer is set; the API answers unauthenticated requests from loopback addresses only. Set one before exposing the service.")
	}
	m := newMetrics()
	profiles := &profile.Service{Now: deps.Now, LockRows: db.Dialect == dialect.Postgres}
	listener := newListener(cfg, db, logger)
	d := dispatcher.New(dispatcher.Config{
		Client:      db.Client,
		HTTP:        egress.NewClient(egress.Options{AllowPrivate: cfg.AllowPrivateTargets}),
		Box:         box,
		Profiles:    profiles,
		Policy:      retry.Policy{Schedule: cfg.RetrySchedule},
		Now:         deps.Now,
		Retention:   cfg.Retention,
		LeaseMargin: cfg.LeaseMargin,
		UserAgent:   "profilehooks/" + cfg.Version,
		Logger:      logger,
		Registerer:  m.registry,
		Dialect:     db.Dialect,
		Schema:      db.Schema,
		Listener:    listener,
	})
	profiles.OnEvent = d.FanOut
	settings := deps.InboundSettings
	if settings == nil {
		settings = inboundSettings(db.Client)
	}
	tokens := oauthserver.New(oauthserver.Config{
		Client: db.Client,
		Box:    box,
		Issuer: cfg.PublicBaseURL(),
		TokenLifetime: func(ctx context.Context) (time.Duration, error) {
			st, err := settings(ctx)
			return st.TokenLifetime, err
		},
		Now:    deps.Now,
		Logger: logger,
	})
	discovery := egress.NewClient(egress.Options{AllowPrivate: cfg.AllowPrivateTargets})
	discovery.Timeout = 10 * time.Second
	incoming := inbound.New(inbound.Config{
		Client:       db.Client,
		Profiles:     profiles,
		Box:          box,
		Tokens:       tokens,
		Settings:     settings,
		HTTP:         discovery,
		Now:          deps.Now,
		MaxBodyBytes: cfg.InboundMaxBody,
		RateLimit:    cfg.InboundRateLimit,
		Burst:        cfg.InboundBurst,
		Retention:    cfg.Retention,
		Logger:       logger,
		Schema:       db.Schema,
		Listener:     listener,
	})
	res := &graph.Resolver{
		Client:     db.Client,
		Profiles:   profiles,
		Webhooks:   &webhook.Service{Box: box, PublicURL: cfg.PublicBaseURL(), Now: deps.Now},
		Dispatcher: d,
		Access:     accessSvc,
		OAuth:      tokens,
		Inbound:    incoming,
	}
	s := &Server{cfg: cfg, log: logger, db: db, profiles: profiles, dispatcher: d, inbound: incoming, listener: listener}
	s.handler = s.routes(res, auth, m)
	return s, nil
}

// newListener returns, on PostgreSQL, the listener that hears the other
// replicas (wake-ups, recorded attempts, inbound requests) on a connection
// of its own to the database; nil on SQLite, where one process is all.
func newListener(cfg Config, db *store.DB, logger *slog.Logger) *pgnotify.Listener {
	if db.Dialect != dialect.Postgres {
		return nil
	}
	return pgnotify.New(cfg.DatabaseURL, logger)
}

// Start runs the background components (the dispatcher and, on
// PostgreSQL, the listener that hears the other replicas) until ctx ends.
// The returned function waits until they have stopped: attempts in flight
// finish and are recorded first.
func (s *Server) Start(ctx context.Context) (wait func()) {
	done, heard := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(heard)
		s.listener.Run(ctx)
	}()
	go func() {
		defer close(done)
		if err := s.dispatcher.Run(ctx); err != nil {
			// No delivery goes out any more: say so where load balancers
			// and operators look.
			s.dispatcherFailed.Store(true)
			s.log.Error("dispatcher stopped: deliveries are not being sent", "err", err)
		}
	}()
	return func() { <-done; <-heard }
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Profiles returns the service's profile service.
func (s *Server) Profiles() *profile.Service { return s.profiles }

// Dispatcher returns the service's dispatcher.
func (s *Server) Dispatcher() *dispatcher.Dispatcher { return s.dispatcher }

// Inbound returns the handler of the incoming endpoints.
func (s *Server) Inbound() *inbound.Handler { return s.inbound }

// DB returns the service's database.
func (s *Server) DB() *store.DB { return s.db }

func (s *Server) routes(res *graph.Resolver, auth *Authenticator, m *metrics) http.Handler {
	gql := newGraphQLHandler(res, auth, s.log, s.cfg.ComplexityLimit, m, newHardening(s.cfg, res.Client, s.log, res.Access.Now))
	mux := http.NewServeMux()
	browser := func(h http.Handler) http.Handler { return browserPolicy(res.Client, s.cfg.PublicBaseURL(), s.log, h) }
	mux.Handle("/graphql", m.route("graphql", browser(requireAuth(auth, limitBody(s.cfg.QuerySizeLimit, withRemoteAddr(gql))))))
	mux.Handle("GET /auth/config", m.route("auth_config", browser(authConfigHandler(auth))))
	mux.Handle("GET /playground", m.route("playground", playground.Handler("profilehooks", "/graphql")))
	mux.Handle("GET /healthz", m.route("healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})))
	mux.Handle("GET /readyz", m.route("readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.db.Ping(ctx); err != nil {
			s.log.Warn("readyz: database unreachable", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		if s.dispatcherFailed.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "dispatcher stopped; see the log"})
			return
		}
		if !s.listener.Listening() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not listening to the other replicas yet"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})))
	mux.Handle("GET /metrics", m.handler())
	mux.Handle("/", m.route("console", consoleHandler(frontend.Assets())))
	mux.Handle("POST /oauth/token", m.route("oauth_token", res.OAuth.TokenHandler()))
	mux.Handle("GET /oauth/jwks.json", m.route("oauth_jwks", res.OAuth.JWKSHandler()))
	mux.Handle("POST /inbound/{key}", m.route("inbound", res.Inbound))
	return logRequests(s.log, recoverPanics(s.log, mux))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("http: panic", "panic", fmt.Sprint(v), "path", loggedPath(r.URL.Path))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// loggedPath is p as logs show it: the key of an incoming endpoint's URL
// lets anyone who knows it reach the endpoint's authentication, so it is
// never written to a log.
func loggedPath(p string) string {
	if strings.HasPrefix(p, "/inbound/") {
		return "/inbound/{key}"
	}
	return p
}

func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			level = slog.LevelDebug
		}
		logger.Log(r.Context(), level, "http request",
			"method", r.Method, "path", loggedPath(r.URL.Path), "status", sw.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
	})
}

// Serve runs the background components and accepts connections on ln until
// ctx ends; then it stops accepting, waits up to the shutdown timeout for
// requests in flight, and lets the dispatcher finish and record the
// attempts in flight.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	waitBackground := s.Start(bgCtx)
	defer func() {
		stopBackground()
		waitBackground()
	}()
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("profilehooks listening", "addr", ln.Addr().String(), "public_url", s.cfg.PublicBaseURL(), "dev_mode", s.cfg.DevMode())
	select {
	case err := <-errc:
		return fmt.Errorf("server: serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("profilehooks shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: serve: %w", err)
	}
	return nil
}

// Close releases the database.
func (s *Server) Close() error { return s.db.Close() }
