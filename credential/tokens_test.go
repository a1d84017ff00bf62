package credential_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/credential"
	"github.com/profilehooks/profilehooks/credential/credentialtest"
	"github.com/profilehooks/profilehooks/egress"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/webhookcredential"
	"github.com/profilehooks/profilehooks/secret"
)

// clock is a settable clock for token lifetimes.
type clock struct{ now atomic.Pointer[time.Time] }

func newClock() *clock {
	c := &clock{}
	c.set(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	return c
}

func (c *clock) Now() time.Time          { return *c.now.Load() }
func (c *clock) set(t time.Time)         { c.now.Store(&t) }
func (c *clock) advance(d time.Duration) { c.set(c.Now().Add(d)) }

// fixture is a Service talking to a real token endpoint on loopback
// through the SSRF-guarded client (private targets allowed).
type fixture struct {
	svc    *credential.Service
	box    *secret.Box
	tokens *credentialtest.TokenServer
	clock  *clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	box, err := secret.NewBox(secret.Random(secret.KeySize))
	require.NoError(t, err)
	f := &fixture{box: box, tokens: credentialtest.NewTokenServer(t), clock: newClock()}
	f.svc = credential.New(credential.Config{
		Box:  box,
		HTTP: egress.NewClient(egress.Options{AllowPrivate: true}),
		Now:  f.clock.Now,
	})
	return f
}

// clientCredentials returns a stored-looking client credentials credential.
func (f *fixture) clientCredentials(id string, version int64) *ent.WebhookCredential {
	return &ent.WebhookCredential{
		ID: id, Version: version, Type: webhookcredential.TypeOAuth2ClientCredentials,
		TokenURL: f.tokens.URL, ClientID: "profilehooks", ClientSecret: f.box.Seal("client-secret-1234"),
		Scopes: []string{"users:write", "users:read"}, Audience: "https://api.example.test",
	}
}

func (f *fixture) authorize(t *testing.T, cred *ent.WebhookCredential) (*credential.Authorization, string) {
	t.Helper()
	h := http.Header{}
	a, err := f.svc.Authorize(context.Background(), cred, h)
	require.NoError(t, err)
	return a, h.Get("Authorization")
}

func TestClientCredentialsTokenIsCachedUntilShortlyBeforeExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cred := f.clientCredentials("wcr_cc", 1)

	a, got := f.authorize(t, cred)
	require.Equal(t, "Bearer tok-1", got)
	require.Equal(t, "Authorization", a.Header())
	require.True(t, a.Refreshable())
	reqs := f.tokens.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "client_credentials", reqs[0].Form.Get("grant_type"))
	require.Equal(t, "users:write users:read", reqs[0].Form.Get("scope"))
	require.Equal(t, "https://api.example.test", reqs[0].Form.Get("audience"))
	require.Equal(t, "profilehooks", reqs[0].ClientID)
	require.Equal(t, "client-secret-1234", reqs[0].ClientSecret)

	// The token lives 3600 s and is replaced 30 s before it expires.
	f.clock.advance(3569 * time.Second)
	_, got = f.authorize(t, cred)
	require.Equal(t, "Bearer tok-1", got)
	require.Equal(t, 1, f.tokens.Count())
	f.clock.advance(2 * time.Second)
	_, got = f.authorize(t, cred)
	require.Equal(t, "Bearer tok-2", got)
	require.Equal(t, 2, f.tokens.Count())
}

func TestShortLivedTokenIsReplacedAfterThreeQuartersOfItsLife(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.tokens.ExpiresIn = 40
	cred := f.clientCredentials("wcr_short", 1)
	_, got := f.authorize(t, cred)
	require.Equal(t, "Bearer tok-1", got)
	f.clock.advance(29 * time.Second)
	_, got = f.authorize(t, cred)
	require.Equal(t, "Bearer tok-1", got)
	f.clock.advance(2 * time.Second)
	_, got = f.authorize(t, cred)
	require.Equal(t, "Bearer tok-2", got)
}

func TestTokenWithoutExpiryIsKeptUntilRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.tokens.ExpiresIn = 0
	cred := f.clientCredentials("wcr_forever", 1)
	a, _ := f.authorize(t, cred)
	f.clock.advance(1000 * time.Hour)
	_, got := f.authorize(t, cred)
	require.Equal(t, "Bearer tok-1", got)

	h := http.Header{}
	_, err := f.svc.Refresh(context.Background(), a, h)
	require.NoError(t, err)
	require.Equal(t, "Bearer tok-2", h.Get("Authorization"))
}

func TestBurstOfDeliveriesFetchesOneToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cred := f.clientCredentials("wcr_burst", 1)
	arrived, release := f.tokens.Hold()
	defer release()

	const callers = 20
	var (
		wg      sync.WaitGroup
		started sync.WaitGroup
		got     = make([]string, callers)
	)
	started.Add(callers)
	for i := range callers {
		wg.Go(func() {
			h := http.Header{}
			started.Done()
			_, err := f.svc.Authorize(context.Background(), cred, h)
			require.NoError(t, err)
			got[i] = h.Get("Authorization")
		})
	}
	started.Wait()
	<-arrived // the one token request is waiting at the endpoint
	release()
	wg.Wait()
	require.Equal(t, 1, f.tokens.Count(), "one token request for the whole burst")
	for _, g := range got {
		require.Equal(t, "Bearer tok-1", g)
	}
}

func TestRefreshAfter401FetchesOneNewToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cred := f.clientCredentials("wcr_401", 1)
	first, _ := f.authorize(t, cred)
	second, _ := f.authorize(t, cred) // another delivery holding the same token

	h := http.Header{}
	refreshed, err := f.svc.Refresh(context.Background(), first, h)
	require.NoError(t, err)
	require.Equal(t, "Bearer tok-2", h.Get("Authorization"))
	require.True(t, refreshed.Refreshable())

	// The other delivery, refused with the same stale token, takes the new
	// token instead of fetching a third.
	h = http.Header{}
	_, err = f.svc.Refresh(context.Background(), second, h)
	require.NoError(t, err)
	require.Equal(t, "Bearer tok-2", h.Get("Authorization"))
	require.Equal(t, 2, f.tokens.Count())
}

func TestNewVersionFetchesNewToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, got := f.authorize(t, f.clientCredentials("wcr_v", 1))
	require.Equal(t, "Bearer tok-1", got)
	_, got = f.authorize(t, f.clientCredentials("wcr_v", 2))
	require.Equal(t, "Bearer tok-2", got)
	_, got = f.authorize(t, f.clientCredentials("wcr_v", 2))
	require.Equal(t, "Bearer tok-2", got)
	// Another credential has its own token.
	_, got = f.authorize(t, f.clientCredentials("wcr_other", 1))
	require.Equal(t, "Bearer tok-3", got)
	require.Equal(t, 3, f.tokens.Count())
}

func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cred := &ent.WebhookCredential{
		ID: "wcr_pw", Version: 1, Type: webhookcredential.TypeOAuth2Password,
		TokenURL: f.tokens.URL, ClientID: "console", Username: "sync@example.com",
		Password: f.box.Seal("p@ss word:1"), Scopes: []string{"profile"},
	}
	_, got := f.authorize(t, cred)
	require.Equal(t, "Bearer tok-1", got)
	_, got = f.authorize(t, cred)
	require.Equal(t, "Bearer tok-1", got)
	reqs := f.tokens.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "password", reqs[0].Form.Get("grant_type"))
	require.Equal(t, "sync@example.com", reqs[0].Form.Get("username"))
	require.Equal(t, "p@ss word:1", reqs[0].Form.Get("password"))
	require.Equal(t, "profile", reqs[0].Form.Get("scope"))
	require.Equal(t, "console", reqs[0].ClientID)
}

func TestTokenEndpointErrorIsATokenError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// golang.org/x/oauth2 tries basic auth, then the client in the form.
	bad := credentialtest.Failure{Status: http.StatusUnauthorized, Body: `{"error":"invalid_client","error_description":"unknown client"}`}
	f.tokens.Fail(bad, bad)
	_, err := f.svc.Authorize(context.Background(), f.clientCredentials("wcr_bad", 1), http.Header{})
	var te *credential.TokenError
	require.True(t, errors.As(err, &te), "%v", err)
	require.Equal(t, "wcr_bad", te.Credential)
	require.Equal(t, "credential: token endpoint of wcr_bad: answered 401 Unauthorized: invalid_client (unknown client)", err.Error())
	require.NotContains(t, err.Error(), "client-secret-1234")

	// The failure is not cached: the next delivery asks again.
	_, got := f.authorize(t, f.clientCredentials("wcr_bad", 1))
	require.Equal(t, "Bearer tok-1", got)
}

func TestTokenEndpointBlockedBySSRFGuard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	guarded := credential.New(credential.Config{Box: f.box, HTTP: egress.NewClient(egress.Options{})})
	_, err := guarded.Authorize(context.Background(), f.clientCredentials("wcr_ssrf", 1), http.Header{})
	require.ErrorIs(t, err, egress.ErrBlocked)
	require.Zero(t, f.tokens.Count())
}

func TestCallerGivesUpWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	arrived, release := f.tokens.Hold()
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := f.svc.Authorize(ctx, f.clientCredentials("wcr_slow", 1), http.Header{})
		errc <- err
	}()
	<-arrived
	cancel()
	err := <-errc
	var te *credential.TokenError
	require.ErrorAs(t, err, &te)
	require.ErrorIs(t, err, context.Canceled)
}

func TestStaticCredentials(t *testing.T) {
	t.Parallel()
	box, err := secret.NewBox(secret.Random(secret.KeySize))
	require.NoError(t, err)
	svc := credential.New(credential.Config{Box: box, HTTP: http.DefaultClient})
	for _, tc := range []struct {
		name         string
		cred         *ent.WebhookCredential
		header, want string
	}{
		{"bearer", &ent.WebhookCredential{Type: webhookcredential.TypeBearer, Token: box.Seal("static-token")}, "Authorization", "Bearer static-token"},
		{"basic", &ent.WebhookCredential{Type: webhookcredential.TypeBasic, Username: "ada", Password: box.Seal("s3cret")}, "Authorization", "Basic YWRhOnMzY3JldA=="},
		{"api key", &ent.WebhookCredential{Type: webhookcredential.TypeAPIKeyHeader, HeaderName: "x-partner-key", Token: box.Seal("k-123")}, "X-Partner-Key", "k-123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			a, err := svc.Authorize(context.Background(), tc.cred, h)
			require.NoError(t, err)
			require.Equal(t, tc.header, a.Header())
			require.Equal(t, tc.want, h.Get(tc.header))
			require.False(t, a.Refreshable(), "static credentials are not refreshed after a 401")
		})
	}
}

func TestHint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "short": "…", "exactly12chr": "…2chr", "a-very-long-secret-ab12": "…ab12", "ünïcödé-sëcrét": "…crét"} {
		require.Equal(t, want, credential.Hint(in), in)
	}
}
