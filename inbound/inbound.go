// Package inbound serves the incoming endpoints: POST /inbound/{key} with a
// JSON object, or a batch of objects, that a third party sends to change
// user profiles. Each request is handled in small steps:
//
//   - load: the endpoint by its URL key, the security settings;
//   - decide: enabled, caller address allowed, body acceptable,
//     credentials valid for the endpoint's auth mode (OAUTH2, JWT, HMAC),
//     within the rate limit, not a replayed message, Idempotency-Key not
//     seen with another body;
//   - apply: each object in its own transaction (or all in one with
//     ?atomic=true) through the input parameters: identifier rows find the
//     user, the other rows become profile changes made through
//     profile.Service with the endpoint as their source, so they fan out
//     to webhooks;
//   - record: the request in the inbound log, published to live
//     subscribers without ever blocking the handler.
//
// Test runs the same logic for testInboundEndpoint, in the caller's
// transaction, and rolls it back on a dry run.
package inbound

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/feed"
	"github.com/profilehooks/profilehooks/oauthserver"
	"github.com/profilehooks/profilehooks/pgnotify"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
)

// Defaults of Config.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxBatch     = 1000
	DefaultRetention    = 30 * 24 * time.Hour
	// LoggedBodyBytes is the most of a request body the inbound log keeps.
	LoggedBodyBytes = 64 << 10
	// IdempotencyWindow is how long an Idempotency-Key is remembered.
	IdempotencyWindow = 24 * time.Hour
	// MaxIdempotencyKeyLength is the longest Idempotency-Key accepted.
	MaxIdempotencyKeyLength = 255
	// HMACTolerance is how far a webhook-timestamp may be from now.
	HMACTolerance = 5 * time.Minute
)

// TrustedIssuer is an identity provider whose JWTs JWT-mode endpoints
// accept: tokens issued by Issuer (discovered through OpenID Connect) with
// Audience among their audiences.
type TrustedIssuer struct {
	Issuer   string
	Audience string
}

// Settings are the security settings incoming endpoints apply.
type Settings struct {
	// TokenLifetime is the lifetime of the access tokens of the service's
	// token endpoint; zero means oauthserver.DefaultTokenLifetime.
	TokenLifetime time.Duration
	// TrustedIssuers are the identity providers of JWT mode; none means JWT
	// mode accepts no token.
	TrustedIssuers []TrustedIssuer
	// Allowlist holds the addresses that may call incoming endpoints; empty
	// allows every address.
	Allowlist []netip.Prefix
}

// SettingsFunc returns the security settings in force. It is called for
// every request, so it should be cheap (cached) when it reads a database.
type SettingsFunc func(ctx context.Context) (Settings, error)

// DefaultSettings returns the settings of a service that configured none:
// 1 h tokens, no trusted issuers, every address allowed.
func DefaultSettings(context.Context) (Settings, error) {
	return Settings{TokenLifetime: oauthserver.DefaultTokenLifetime}, nil
}

// Config configures a Handler. Client, Profiles, Box and Tokens are
// required; every other zero value takes the default its comment gives.
type Config struct {
	// Client is the service's ent client.
	Client *ent.Client
	// Profiles makes the changes (and so the events and deliveries).
	Profiles *profile.Service
	// Box opens the endpoints' sealed HMAC secrets.
	Box *secret.Box
	// Tokens verifies the access tokens of OAUTH2 endpoints.
	Tokens *oauthserver.Server
	// Settings returns the security settings; nil means DefaultSettings.
	Settings SettingsFunc
	// HTTP fetches the discovery documents and keys of trusted issuers; nil
	// means an http.Client with a 10 s timeout.
	HTTP *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes bounds a request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxBatch bounds the objects of a batch; 0 means DefaultMaxBatch.
	MaxBatch int
	// RateLimit is the sustained requests per second one endpoint may take
	// (per process); 0 or less means no limit.
	RateLimit float64
	// Burst is the token bucket's size; 0 means max(1, RateLimit).
	Burst int
	// Retention is how long the inbound log keeps a request; 0 means
	// DefaultRetention.
	Retention time.Duration
	// Logger receives the handler's logs; nil discards them. Credentials,
	// tokens and bodies are never logged.
	Logger *slog.Logger
	// Listener, on PostgreSQL, hears the requests other replicas logged,
	// for the live subscribers here; New registers with it, and the caller
	// runs it. Nil means a single replica.
	Listener *pgnotify.Listener
	// Schema is, on PostgreSQL, the schema of the tables; it names the
	// notification channel.
	Schema string
}

// Handler serves POST /inbound/{key}, the inbound log subscription and
// testInboundEndpoint. Create it with New; it is safe for concurrent use.
type Handler struct {
	cfg     Config
	log     *slog.Logger
	limiter *limiter
	issuers *issuerCache
	feed    feed.Broker[*ent.InboundRequest]

	// lastSweep is when expired nonces, idempotency keys and old log
	// entries were last deleted (unix nanoseconds).
	lastSweep atomic.Int64
	sweepMu   sync.Mutex

	logOnce  sync.Once     // starts writeLog
	logQueue chan logEntry // inbound log rows to write
	owner    string        // tells this replica's notifications from others'
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Settings == nil {
		cfg.Settings = DefaultSettings
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, logQueue: make(chan logEntry, 4*maxLogBatch), owner: store.NewOwnerID()}
	h.limiter = newLimiter(cfg.RateLimit, cfg.Burst)
	h.issuers = newIssuerCache(cfg.HTTP, h.now)
	cfg.Listener.Handle(h.channel(), h.relay)
	return h
}

func (h *Handler) now() time.Time {
	if h.cfg.Now != nil {
		return h.cfg.Now()
	}
	return time.Now()
}

// Subscribe streams the requests recorded from now on, only those of one
// endpoint when endpointID is not nil. The channel closes when ctx ends or
// when the subscriber falls feed.DefaultBuffer requests behind. On
// PostgreSQL it streams the requests every replica logs.
func (h *Handler) Subscribe(ctx context.Context, endpointID *string) <-chan *ent.InboundRequest {
	var match func(*ent.InboundRequest) bool
	if endpointID != nil {
		id := *endpointID
		match = func(r *ent.InboundRequest) bool { return r.EndpointID == id }
	}
	return h.feed.Subscribe(ctx, 0, match)
}

// Subscribers returns how many live subscriptions are open.
func (h *Handler) Subscribers() int { return h.feed.Len() }
