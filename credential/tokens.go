package credential

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/webhookcredential"
)

// TokenError is a failed token request of an OAuth2 credential: the token
// endpoint's error answer, a failure to reach it, or the caller giving up
// waiting. Its text never holds a secret.
type TokenError struct {
	// Credential is the credential's ID.
	Credential string
	Err        error
}

func (e *TokenError) Error() string {
	return "credential: token endpoint of " + e.Credential + ": " + describe(e.Err)
}

func (e *TokenError) Unwrap() error { return e.Err }

// describe says what went wrong with a token request, with the endpoint's
// RFC 6749 error code and description when it sent them.
func describe(err error) string {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err.Error()
	}
	msg := "answered"
	if re.Response != nil {
		msg += " " + re.Response.Status
	}
	switch {
	case re.ErrorCode != "" && re.ErrorDescription != "":
		msg += ": " + re.ErrorCode + " (" + re.ErrorDescription + ")"
	case re.ErrorCode != "":
		msg += ": " + re.ErrorCode
	default:
		if body := strings.Join(strings.Fields(string(re.Body)), " "); body != "" {
			msg += ": " + truncate(body, 200)
		}
	}
	return msg
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// tokenCache holds the access tokens of OAuth2 credentials: one entry per
// credential, for its latest version.
type tokenCache struct {
	mu      sync.Mutex
	byID    map[string]*entry
	flights singleflight.Group
}

// entry is one credential version: how to fetch its tokens (with its
// secrets opened) and the last token fetched.
type entry struct {
	version int64
	fetch   func(context.Context) (*oauth2.Token, error)
	token   *oauth2.Token
	// until is when token stops being used, shortly before it expires;
	// zero means until a receiver refuses it.
	until time.Time
}

// entryFor returns the entry of cred's version, making it when needed. A
// newer version replaces the entry of an older one; a caller holding an
// older version than the cache (a delivery that loaded the credential just
// before it changed) gets an entry of its own, which is not kept.
func (c *tokenCache) entryFor(s *Service, cred *ent.WebhookCredential) (*entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.byID[cred.ID]
	if old != nil && old.version == cred.Version {
		return old, nil
	}
	fetch, err := s.fetcher(cred)
	if err != nil {
		return nil, err
	}
	e := &entry{version: cred.Version, fetch: fetch}
	if old == nil || old.version < cred.Version {
		c.byID[cred.ID] = e
	}
	return e, nil
}

// token returns a fresh cached token of cred, or fetches one.
func (c *tokenCache) token(ctx context.Context, s *Service, cred *ent.WebhookCredential) (*oauth2.Token, error) {
	e, err := c.entryFor(s, cred)
	if err != nil {
		return nil, err
	}
	if tok := c.fresh(e, s.now()); tok != nil {
		return tok, nil
	}
	return c.fetch(ctx, s, cred, e, false)
}

// fresh returns e's token when it is still to be used at now.
func (c *tokenCache) fresh(e *entry, now time.Time) *oauth2.Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.token == nil || (!e.until.IsZero() && !now.Before(e.until)) {
		return nil
	}
	return e.token
}

// refetch fetches a new token of cred whatever the cache holds, and keeps
// it.
func (c *tokenCache) refetch(ctx context.Context, s *Service, cred *ent.WebhookCredential) (*oauth2.Token, error) {
	e, err := c.entryFor(s, cred)
	if err != nil {
		return nil, err
	}
	return c.fetch(ctx, s, cred, e, true)
}

// drop forgets stale, the token a receiver refused, unless the entry holds
// another token already (another delivery refreshed it first).
func (c *tokenCache) drop(cred *ent.WebhookCredential, stale *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byID[cred.ID]; e != nil && e.version == cred.Version && e.token != nil && e.token.AccessToken == stale.AccessToken {
		e.token = nil
	}
}

// forget drops the entry of a deleted credential.
func (c *tokenCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
}

// fetch requests a token for e from the token endpoint and keeps it in e.
// Concurrent callers for the same credential version share one request,
// which runs to its own timeout even when the caller that started it gives
// up; each caller waits until its own ctx ends. Unless force is set, a
// fresh token that a request finishing just before stored is used instead.
func (c *tokenCache) fetch(ctx context.Context, s *Service, cred *ent.WebhookCredential, e *entry, force bool) (*oauth2.Token, error) {
	key := cred.ID + "@" + strconv.FormatInt(cred.Version, 10)
	ch := c.flights.DoChan(key, func() (any, error) {
		if tok := c.fresh(e, s.now()); tok != nil && !force {
			return tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.TokenTimeout)
		defer cancel()
		tok, err := e.fetch(context.WithValue(fctx, oauth2.HTTPClient, s.cfg.HTTP))
		if err != nil {
			return nil, &TokenError{Credential: cred.ID, Err: err}
		}
		until, keep := freshUntil(tok, s.now(), s.cfg.RefreshMargin)
		c.mu.Lock()
		if keep {
			e.token, e.until = tok, until
		} else {
			e.token = nil
		}
		c.mu.Unlock()
		return tok, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*oauth2.Token), nil
	case <-ctx.Done():
		return nil, &TokenError{Credential: cred.ID, Err: fmt.Errorf("no token in time: %w", ctx.Err())}
	}
}

// freshUntil returns until when tok, fetched at now, is used: margin before
// it expires, or after three quarters of its life when that is shorter than
// four margins; zero when it does not expire. keep is false for a token
// that expired on arrival.
func freshUntil(tok *oauth2.Token, now time.Time, margin time.Duration) (until time.Time, keep bool) {
	var life time.Duration
	switch {
	case tok.ExpiresIn > 0:
		life = time.Duration(tok.ExpiresIn) * time.Second
	case tok.Expiry.IsZero():
		return time.Time{}, true
	default:
		life = time.Until(tok.Expiry)
	}
	if life <= 0 {
		return time.Time{}, false
	}
	return now.Add(life - min(margin, life/4)), true
}

// fetcher returns how to fetch the tokens of an OAuth2 credential, with its
// secrets opened.
func (s *Service) fetcher(cred *ent.WebhookCredential) (func(context.Context) (*oauth2.Token, error), error) {
	clientSecret, err := s.open(cred, "client secret", cred.ClientSecret)
	if err != nil {
		return nil, err
	}
	switch cred.Type {
	case webhookcredential.TypeOAuth2ClientCredentials:
		cc := &clientcredentials.Config{
			ClientID: cred.ClientID, ClientSecret: clientSecret, TokenURL: cred.TokenURL, Scopes: cred.Scopes,
		}
		if cred.Audience != "" {
			cc.EndpointParams = url.Values{"audience": {cred.Audience}}
		}
		return cc.Token, nil
	case webhookcredential.TypeOAuth2Password:
		password, err := s.open(cred, "password", cred.Password)
		if err != nil {
			return nil, err
		}
		oc := &oauth2.Config{
			ClientID: cred.ClientID, ClientSecret: clientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: cred.TokenURL}, Scopes: cred.Scopes,
		}
		return func(ctx context.Context) (*oauth2.Token, error) {
			return oc.PasswordCredentialsToken(ctx, cred.Username, password)
		}, nil
	}
	return nil, fmt.Errorf("credential: %s credentials have no token endpoint", cred.Type)
}
