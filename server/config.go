package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/retry"
)

// Config is the configuration of `profilehooks serve`. Every flag can also
// be set by the environment variable PROFILEHOOKS_<FLAG> (upper case, dashes
// as underscores); a flag on the command line wins over the environment.
type Config struct {
	// Addr is the address to listen on.
	Addr string
	// DatabaseURL is sqlite://<path> or postgres://….
	DatabaseURL string
	// AdminToken is the bootstrap admin credential. Empty, with no other
	// authentication configured, means dev mode: requests are answered from
	// loopback addresses only and Addr must be a loopback address.
	AdminToken string
	// PublicURL is the base of incoming endpoint URLs; empty means
	// http://<Addr>.
	PublicURL string
	// SecretKeyFile holds the key that seals stored secrets. In dev mode a
	// missing file is created.
	SecretKeyFile string
	// AllowPrivateTargets lets webhooks call loopback and private addresses.
	AllowPrivateTargets bool
	// RetrySchedule is the delay before each delivery attempt; nil means
	// the default schedule.
	RetrySchedule []time.Duration
	// LogFormat is "json" or "text".
	LogFormat string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// ComplexityLimit bounds the complexity of one GraphQL operation.
	ComplexityLimit int
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout time.Duration
	// Retention is how long delivery attempts and finished deliveries are
	// kept.
	Retention time.Duration
	// LeaseMargin is added to a webhook's timeout to make the lease of a
	// claimed delivery; a replica that dies holds its deliveries this much
	// longer than their timeout.
	LeaseMargin time.Duration
	// Version is the binary's version, sent in the User-Agent of deliveries.
	Version string
	// InboundRateLimit is the requests per second one incoming endpoint
	// may take (token bucket, per process); zero means no limit.
	InboundRateLimit float64
	// InboundBurst is the bucket's size; zero means max(1, InboundRateLimit).
	InboundBurst int
	// InboundMaxBody bounds the body of an incoming request, in bytes; zero
	// means 1 MiB.
	InboundMaxBody int64

	// OIDC configures sign-in with an OpenID Connect provider; its zero
	// value disables it.
	OIDC OIDCConfig
	// NoIntrospection turns GraphQL introspection off.
	NoIntrospection bool
	// DepthLimit bounds the nesting of one GraphQL operation; zero means
	// DefaultDepthLimit.
	DepthLimit int
	// QuerySizeLimit bounds a GraphQL document, in bytes; zero means
	// DefaultQuerySizeLimit.
	QuerySizeLimit int
	// AuthFailureLimit is how many failed authentications one client
	// address may make per AuthFailurePeriod before it is answered 429;
	// zero means no limit. A zero AuthFailurePeriod means
	// DefaultAuthFailurePeriod.
	AuthFailureLimit  int
	AuthFailurePeriod time.Duration
}

// DefaultRetrySchedule is the delay before each delivery attempt: the
// first attempt at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
var DefaultRetrySchedule = retry.DefaultSchedule

// EnvPrefix starts the environment variables that set flags.
const EnvPrefix = "PROFILEHOOKS_"

// ParseConfig parses the flags of `profilehooks serve` from args, taking
// defaults from environment variables read with getenv. Usage and errors
// are written to out.
func ParseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	var retry string
	fs := flag.NewFlagSet("profilehooks serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.DatabaseURL, "database-url", "sqlite://data/profilehooks.db", "database: sqlite://<path> or postgres://…")
	fs.StringVar(&c.AdminToken, "admin-token", "", "bootstrap admin bearer token; empty runs in dev mode (loopback only)")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL of incoming endpoints (default http://<addr>)")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", "data/secret.key", "file with the key that seals stored secrets (created in dev mode)")
	fs.BoolVar(&c.AllowPrivateTargets, "allow-private-targets", false, "let webhooks call loopback and private addresses")
	fs.StringVar(&retry, "retry-schedule", "", "comma-separated delays before each delivery attempt (default 0s,5s,5m,30m,2h,5h,10h,10h)")
	fs.StringVar(&c.LogFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.IntVar(&c.ComplexityLimit, "complexity-limit", 5000, "largest complexity of one GraphQL operation")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "longest graceful shutdown")
	fs.DurationVar(&c.LeaseMargin, "lease-margin", 30*time.Second, "added to a webhook's timeout to make a claimed delivery's lease")
	fs.DurationVar(&c.Retention, "retention", 30*24*time.Hour, "how long delivery attempts and finished deliveries are kept")
	fs.Float64Var(&c.InboundRateLimit, "inbound-rate-limit", 50, "requests per second one incoming endpoint may take (0: no limit)")
	fs.IntVar(&c.InboundBurst, "inbound-burst", 100, "requests an incoming endpoint may take at once before the rate limit applies")
	fs.Int64Var(&c.InboundMaxBody, "inbound-max-body", 1<<20, "largest body of an incoming request, in bytes")
	finishSecurityFlags := securityFlags(fs, &c)

	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := f.Value.Set(v); err != nil {
				envErr = errors.Join(envErr, fmt.Errorf("server: %s: %w", name, err))
			}
		}
	})
	if envErr != nil {
		return Config{}, envErr
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("server: unexpected arguments %q", fs.Args())
	}
	finishSecurityFlags()
	schedule, err := ParseRetrySchedule(retry)
	if err != nil {
		return Config{}, err
	}
	c.RetrySchedule = schedule
	return c, c.Validate()
}

// ParseRetrySchedule parses comma-separated durations ("0s,5s,5m"). An
// empty string means DefaultRetrySchedule.
func ParseRetrySchedule(s string) ([]time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return DefaultRetrySchedule, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("server: --retry-schedule: %q is not a non-negative duration", part)
		}
		out = append(out, d)
	}
	return out, nil
}

// DevMode reports whether c runs without any authentication configured:
// neither an admin token nor an OIDC issuer.
func (c Config) DevMode() bool { return c.AdminToken == "" && !c.OIDC.Enabled() }

// Validate checks the combination of settings.
func (c Config) Validate() error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("server: --addr %q: %w", c.Addr, err)
	}
	if c.DevMode() && !isLoopbackHost(host) {
		return fmt.Errorf("server: refusing to listen on %s without authentication: set --admin-token or --oidc-issuer, or listen on a loopback address", c.Addr)
	}
	if err := c.validateSecurity(); err != nil {
		return err
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("server: --log-format must be json or text, not %q", c.LogFormat)
	}
	if c.ComplexityLimit <= 0 {
		return errors.New("server: --complexity-limit must be positive")
	}
	if c.InboundRateLimit < 0 || c.InboundBurst < 0 || c.InboundMaxBody < 0 {
		return errors.New("server: --inbound-rate-limit, --inbound-burst and --inbound-max-body must not be negative")
	}
	return nil
}

// PublicBaseURL returns PublicURL without a trailing slash, or the URL of
// Addr when PublicURL is empty.
func (c Config) PublicBaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + c.Addr
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
