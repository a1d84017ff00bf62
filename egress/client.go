package egress

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

const (
	// DefaultTimeout is the whole-request timeout used when
	// Options.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxConnsPerHost is the per-host connection limit used when
	// Options.MaxConnsPerHost is zero.
	DefaultMaxConnsPerHost = 64

	// keepAlive is the TCP keep-alive probe interval of pooled connections.
	keepAlive = 30 * time.Second
	// idleConnTimeout is how long an idle pooled connection is kept.
	idleConnTimeout = 90 * time.Second
	// maxResponseHeaderBytes caps the response headers a third party may
	// send us.
	maxResponseHeaderBytes = 1 << 20
)

// Options configure NewClient. The zero value blocks private targets and uses
// a 10s timeout and 64 connections per host.
type Options struct {
	// AllowPrivate lets connections reach addresses that [Blocked] refuses
	// (tests, on-prem deployments). False, the zero value, enforces the
	// guard.
	AllowPrivate bool
	// Timeout is the whole-request timeout of the client, covering dial,
	// TLS handshake, headers and reading the body. Zero or negative means
	// [DefaultTimeout].
	Timeout time.Duration
	// MaxConnsPerHost limits both the active and the idle connections kept
	// per host. Zero or negative means [DefaultMaxConnsPerHost].
	MaxConnsPerHost int
}

// withDefaults returns o with zero or negative fields replaced by defaults.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	return o
}

// NewClient returns an *http.Client that never follows redirects (a 3xx is
// returned as the response, body unread), guards every dial with [Blocked]
// unless opts.AllowPrivate is set, and times out whole requests after
// opts.Timeout. Its transport is [NewTransport](opts). The client has no
// cookie jar. Every call returns a new client with its own connection pool;
// share one per process.
func NewClient(opts Options) *http.Client {
	opts = opts.withDefaults()
	return &http.Client{
		Transport: NewTransport(opts),
		Timeout:   opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// NewTransport returns the *http.Transport used by [NewClient], for callers
// that wrap it in another RoundTripper. It never uses a proxy (Proxy is nil
// and the environment is ignored), so the guard sees the real destination of
// every connection; it keeps connections alive with MaxIdleConnsPerHost and
// MaxConnsPerHost both set to opts.MaxConnsPerHost, requires TLS 1.2 or
// later, and attempts HTTP/2. The dial and TLS handshake each time out after
// opts.Timeout; zero fields of opts mean the defaults documented on [Options].
func NewTransport(opts Options) *http.Transport {
	opts = opts.withDefaults()
	dialer := &net.Dialer{
		Timeout:   opts.Timeout,
		KeepAlive: keepAlive,
	}
	if !opts.AllowPrivate {
		dialer.ControlContext = guardControl
	}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    opts.Timeout,
		MaxIdleConns:           0, // no global limit; per-host limits apply
		MaxIdleConnsPerHost:    opts.MaxConnsPerHost,
		MaxConnsPerHost:        opts.MaxConnsPerHost,
		IdleConnTimeout:        idleConnTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
	}
}

// guardControl is the net.Dialer control hook. It runs after DNS resolution,
// once per address the dialer tries, before the socket connects.
func guardControl(_ context.Context, network, address string, _ syscall.RawConn) error {
	return checkDial(network, address)
}

// checkDial returns a *BlockedError when the resolved address (an "ip:port"
// as passed to a dialer control hook) must not be connected to. Addresses
// that do not parse as ip:port are refused: the guard fails closed.
func checkDial(_, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Blocked(ap.Addr()) {
		return &BlockedError{Address: address}
	}
	return nil
}
