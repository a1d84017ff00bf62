package inbound

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// discoveryRetry is the shortest time between two failed discoveries of
// one issuer, so a down identity provider is not hammered.
const discoveryRetry = 10 * time.Second

// errUntrusted reports a JWT from no trusted issuer or for no trusted
// audience.
var errUntrusted = errors.New("inbound: token from no trusted issuer and audience")

// jwtAlgorithms are the signature algorithms accepted from identity
// providers: asymmetric ones only.
var jwtAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// issuerCache keeps an OpenID Connect provider (discovery document and
// key set) per trusted issuer, so tokens are verified without a network
// call once the keys are known; go-oidc refreshes the keys when a token
// names a key it does not hold.
type issuerCache struct {
	http *http.Client
	now  func() time.Time

	mu        sync.Mutex
	providers map[string]*oidc.Provider
	failed    map[string]time.Time // issuer -> last failed discovery
}

func newIssuerCache(client *http.Client, now func() time.Time) *issuerCache {
	return &issuerCache{http: client, now: now, providers: map[string]*oidc.Provider{}, failed: map[string]time.Time{}}
}

// verify checks raw against the trusted issuers: the token's iss picks the
// issuer entries, and go-oidc checks the signature with the issuer's keys,
// the audience and the expiry. It returns the caller's name, "subject
// (issuer)".
func (c *issuerCache) verify(ctx context.Context, raw string, trusted []TrustedIssuer) (string, error) {
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return "", err
	}
	var last error = errUntrusted
	for _, t := range trusted {
		if t.Issuer != iss {
			continue
		}
		p, err := c.provider(ctx, t.Issuer)
		if err != nil {
			return "", err
		}
		algs := make([]string, len(jwtAlgorithms))
		for i, a := range jwtAlgorithms {
			algs[i] = string(a)
		}
		v := p.Verifier(&oidc.Config{ClientID: t.Audience, SupportedSigningAlgs: algs, Now: c.now})
		tok, err := v.Verify(ctx, raw)
		if err != nil {
			last = err
			continue
		}
		return fmt.Sprintf("%s (%s)", tok.Subject, tok.Issuer), nil
	}
	return "", last
}

// provider returns the provider of a trusted issuer, discovering it on
// first use.
func (c *issuerCache) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	c.mu.Lock()
	p, ok := c.providers[issuer]
	failedAt, failed := c.failed[issuer]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	if failed && c.now().Sub(failedAt) < discoveryRetry {
		return nil, fmt.Errorf("inbound: discovery of %s failed recently", issuer)
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(context.WithoutCancel(ctx), c.http), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuer)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed[issuer] = c.now()
		return nil, fmt.Errorf("inbound: discover %s: %w", issuer, err)
	}
	c.providers[issuer] = p
	delete(c.failed, issuer)
	return p, nil
}

// unverifiedIssuer reads the iss claim of raw without checking anything
// else; it only picks the issuer to verify with.
func unverifiedIssuer(raw string) (string, error) {
	tok, err := jwt.ParseSigned(raw, jwtAlgorithms)
	if err != nil {
		return "", fmt.Errorf("inbound: not a signed JWT: %w", err)
	}
	var claims jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return "", fmt.Errorf("inbound: unreadable JWT claims: %w", err)
	}
	if claims.Issuer == "" {
		return "", errors.New("inbound: JWT without iss")
	}
	return claims.Issuer, nil
}
