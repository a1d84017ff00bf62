package egress_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/egress"
)

// startServer starts an HTTP server for handler listening on addr ("ip:0")
// and closes it when the test ends. It skips the test when addr cannot be
// listened on (e.g. no IPv6 loopback in the sandbox).
func startServer(t *testing.T, addr string, handler http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(handler)
	require.NoError(t, srv.Listener.Close())
	srv.Listener = ln
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// countingHandler answers 200 "ok" and counts the requests it served.
func countingHandler(hits *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "ok")
	})
}

// get issues a GET for url with client, bound to the test's context.
func get(t *testing.T, client *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	if resp != nil {
		t.Cleanup(func() { _ = resp.Body.Close() })
	}
	return resp, err
}

func TestNewClientGuard(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name         string
		listen       string // address the server listens on
		host         string // host the client is given in the URL
		allowPrivate bool
	}{
		{"ipv4 literal blocked", "127.0.0.1:0", "127.0.0.1", false},
		{"ipv4 literal allowed", "127.0.0.1:0", "127.0.0.1", true},
		{"localhost resolved then blocked", "127.0.0.1:0", "localhost", false},
		{"localhost allowed", "127.0.0.1:0", "localhost", true},
		{"ipv6 literal blocked", "[::1]:0", "[::1]", false},
		{"ipv6 literal allowed", "[::1]:0", "[::1]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := startServer(t, tt.listen, countingHandler(&hits))
			_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
			require.NoError(t, err)
			url := "http://" + tt.host + ":" + port + "/hook"

			client := egress.NewClient(egress.Options{AllowPrivate: tt.allowPrivate})
			t.Cleanup(client.CloseIdleConnections)
			resp, err := get(t, client, url)

			if !tt.allowPrivate {
				require.Error(t, err)
				require.Nil(t, resp)
				require.ErrorIs(t, err, egress.ErrBlocked)
				var be *egress.BlockedError
				require.ErrorAs(t, err, &be)
				require.NotContains(t, be.Address, "localhost", "the guard must see the resolved address")
				require.Equal(t, egress.ClassSSRFBlocked, egress.Classify(err))
				require.Zero(t, hits.Load(), "handler must never be reached")
				return
			}
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, "ok", string(body))
			require.Equal(t, int64(1), hits.Load())
		})
	}
}

func TestNewClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		status int
	}{
		{"302 found", http.StatusFound},
		{"301 moved", http.StatusMovedPermanently},
		{"307 temporary", http.StatusTemporaryRedirect},
		{"308 permanent", http.StatusPermanentRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var otherHits atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/other", tt.status)
			})
			mux.Handle("/other", countingHandler(&otherHits))
			srv := startServer(t, "127.0.0.1:0", mux)

			client := egress.NewClient(egress.Options{AllowPrivate: true})
			t.Cleanup(client.CloseIdleConnections)
			resp, err := get(t, client, srv.URL+"/hook")
			require.NoError(t, err)
			require.Equal(t, tt.status, resp.StatusCode)
			require.Equal(t, "/other", resp.Header.Get("Location"))
			require.Zero(t, otherHits.Load(), "redirect target must never be hit")
		})
	}
}

func TestNewClientTimeout(t *testing.T) {
	t.Parallel()

	release := make(chan struct{})
	srv := startServer(t, "127.0.0.1:0", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	// Cleanups run last-in first-out: release the handler, then close srv.
	t.Cleanup(func() { close(release) })

	client := egress.NewClient(egress.Options{AllowPrivate: true, Timeout: 50 * time.Millisecond})
	t.Cleanup(client.CloseIdleConnections)
	resp, err := get(t, client, srv.URL)
	require.Error(t, err)
	require.Nil(t, resp)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, egress.ClassTimeout, egress.Classify(err))
}

func TestNewClientConnectionRefused(t *testing.T) {
	t.Parallel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	client := egress.NewClient(egress.Options{AllowPrivate: true})
	resp, err := get(t, client, "http://"+addr+"/")
	require.Error(t, err)
	require.Nil(t, resp)
	require.NotErrorIs(t, err, egress.ErrBlocked)
	require.Equal(t, egress.ClassConnection, egress.Classify(err))
}

func TestNewClientUntrustedTLS(t *testing.T) {
	t.Parallel()

	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(countingHandler(&hits))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	client := egress.NewClient(egress.Options{AllowPrivate: true})
	t.Cleanup(client.CloseIdleConnections)
	resp, err := get(t, client, srv.URL)
	require.Error(t, err)
	require.Nil(t, resp)
	require.Equal(t, egress.ClassTLS, egress.Classify(err))
	require.Zero(t, hits.Load())
}

func TestNewClientDNSFailure(t *testing.T) {
	t.Parallel()

	// RFC 6761: names under .invalid never resolve.
	client := egress.NewClient(egress.Options{})
	resp, err := get(t, client, "http://nonexistent.invalid/")
	require.Error(t, err)
	require.Nil(t, resp)
	var dnsErr *net.DNSError
	require.ErrorAs(t, err, &dnsErr)
	require.Equal(t, egress.ClassDNS, egress.Classify(err))
}

func TestNewClientReusesConnections(t *testing.T) {
	t.Parallel()

	var hits atomic.Int64
	srv := startServer(t, "127.0.0.1:0", countingHandler(&hits))
	client := egress.NewClient(egress.Options{AllowPrivate: true})
	t.Cleanup(client.CloseIdleConnections)

	var reused []bool
	for range 3 {
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			reused = append(reused, info.Reused)
		}}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	require.Equal(t, []bool{false, true, true}, reused)
	require.Equal(t, int64(3), hits.Load())
}

func TestNewClientConfiguration(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		opts        egress.Options
		wantTimeout time.Duration
		wantPerHost int
	}{
		{"zero value", egress.Options{}, 10 * time.Second, 64},
		{"explicit", egress.Options{Timeout: 3 * time.Second, MaxConnsPerHost: 8}, 3 * time.Second, 8},
		{"negative means default", egress.Options{Timeout: -time.Second, MaxConnsPerHost: -1}, 10 * time.Second, 64},
		{"allow private", egress.Options{AllowPrivate: true}, 10 * time.Second, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := egress.NewClient(tt.opts)
			require.Equal(t, tt.wantTimeout, client.Timeout)
			require.Nil(t, client.Jar)
			require.ErrorIs(t, client.CheckRedirect(nil, nil), http.ErrUseLastResponse)

			tr, ok := client.Transport.(*http.Transport)
			require.True(t, ok, "transport is %T", client.Transport)
			require.Nil(t, tr.Proxy, "environment proxies must not bypass the guard")
			require.NotNil(t, tr.DialContext)
			require.True(t, tr.ForceAttemptHTTP2)
			require.NotNil(t, tr.TLSClientConfig)
			require.Equal(t, uint16(tls.VersionTLS12), tr.TLSClientConfig.MinVersion)
			require.False(t, tr.TLSClientConfig.InsecureSkipVerify)
			require.Equal(t, tt.wantPerHost, tr.MaxIdleConnsPerHost)
			require.Equal(t, tt.wantPerHost, tr.MaxConnsPerHost)
			require.False(t, tr.DisableKeepAlives)
		})
	}
}

// Ensure the guard error is reported as a dial failure by the transport and
// not, say, swallowed into a generic error.
func TestBlockedErrorChain(t *testing.T) {
	t.Parallel()

	client := egress.NewClient(egress.Options{})
	_, err := get(t, client, "http://127.0.0.1:1/")
	require.Error(t, err)
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr)
	require.Equal(t, "dial", opErr.Op)
	require.True(t, errors.Is(err, egress.ErrBlocked))
}
