// Package credential keeps the credentials outgoing webhooks authenticate
// with: OAuth2 clients (client credentials and password grants), static
// bearer tokens, basic auth and API key headers. One credential serves
// every webhook that references it.
//
// It validates which fields each type requires and allows, seals the
// secret fields with the service's secret.Box (the API only ever shows
// hints of them), fetches OAuth2 access tokens through the SSRF-guarded
// client with golang.org/x/oauth2, caches them until shortly before they
// expire (one token per credential version, shared by every delivery, one
// token request for a burst of deliveries), and sets the credential's
// header on a webhook's requests.
package credential

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/webhookcredential"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
)

// Config configures a Service. Client, Box and HTTP are required; zero
// durations take the defaults their comments give.
type Config struct {
	// Client is the service's ent client; operations that run outside a
	// transaction (Test, Load) read through it.
	Client *ent.Client
	// Box seals and opens the secret fields.
	Box *secret.Box
	// HTTP sends token requests; use egress.NewClient so the SSRF guard
	// applies to token endpoints as to webhooks.
	HTTP *http.Client
	// Now is the clock token lifetimes are measured on; nil means time.Now.
	Now func() time.Time
	// RefreshMargin is how long before its expiry a cached access token is
	// replaced; 0 means 30s. A token living less than four margins is
	// replaced after three quarters of its life.
	RefreshMargin time.Duration
	// TokenTimeout bounds one token request; 0 means 10s. A caller waits at
	// most until its own context ends.
	TokenTimeout time.Duration
}

// Service creates, changes, deletes and tests webhook credentials, and
// authorises the requests of the webhooks that use them. Create, Update and
// Delete run in the transaction of the ent client in their context. A
// Service is safe for concurrent use.
type Service struct {
	cfg    Config
	tokens tokenCache
}

// New returns a Service for cfg.
func New(cfg Config) *Service {
	if cfg.RefreshMargin <= 0 {
		cfg.RefreshMargin = 30 * time.Second
	}
	if cfg.TokenTimeout <= 0 {
		cfg.TokenTimeout = 10 * time.Second
	}
	return &Service{cfg: cfg, tokens: tokenCache{byID: map[string]*entry{}}}
}

func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// Spec is a new credential. Which fields its Type requires and allows is
// in the README; a nil or empty field is not set.
type Spec struct {
	Name         string
	Type         webhookcredential.Type
	TokenURL     *string
	ClientID     *string
	ClientSecret *string
	Username     *string
	Password     *string
	Scopes       []string
	Audience     *string
	Token        *string
	HeaderName   *string
}

// Patch changes a credential; its type cannot change. Nil members keep
// their values, an empty string clears an optional field, and Scopes, when
// not nil, replaces the stored list. A secret given replaces the stored
// one.
type Patch struct {
	Name         *string
	TokenURL     *string
	ClientID     *string
	ClientSecret *string
	Username     *string
	Password     *string
	Scopes       []string
	Audience     *string
	Token        *string
	HeaderName   *string
}

// Create validates spec and stores a new credential with its secrets
// sealed.
func (s *Service) Create(ctx context.Context, spec Spec) (*ent.WebhookCredential, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	c := config{
		name: spec.Name, typ: spec.Type,
		tokenURL: deref(spec.TokenURL, ""), clientID: deref(spec.ClientID, ""), username: deref(spec.Username, ""),
		audience: deref(spec.Audience, ""), head: deref(spec.HeaderName, ""), scopes: spec.Scopes,
		clientSecret: secretField{plain: spec.ClientSecret}, password: secretField{plain: spec.Password},
		token: secretField{plain: spec.Token},
	}
	if err := c.validate(); err != nil {
		return nil, fault.Prefix("input", err)
	}
	create := client.WebhookCredential.Create().SetType(c.typ)
	s.apply(create.Mutation(), c)
	cred, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("credential: create: %w", err)
	}
	return cred, nil
}

// Update applies patch to the credential with the given id. The result is
// validated as a whole, and its version goes up, so deliveries fetch a new
// access token.
func (s *Service) Update(ctx context.Context, id string, patch Patch) (*ent.WebhookCredential, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	cred, err := client.WebhookCredential.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("webhook credential", id)
	}
	if err != nil {
		return nil, fmt.Errorf("credential: load: %w", err)
	}
	c := config{
		name: deref(patch.Name, cred.Name), typ: cred.Type,
		tokenURL: deref(patch.TokenURL, cred.TokenURL), clientID: deref(patch.ClientID, cred.ClientID),
		username: deref(patch.Username, cred.Username), audience: deref(patch.Audience, cred.Audience),
		head: deref(patch.HeaderName, cred.HeaderName), scopes: cred.Scopes,
		clientSecret: secretField{sealed: cred.ClientSecret, plain: patch.ClientSecret},
		password:     secretField{sealed: cred.Password, plain: patch.Password},
		token:        secretField{sealed: cred.Token, plain: patch.Token},
	}
	if patch.Scopes != nil {
		c.scopes = patch.Scopes
	}
	if err := c.validate(); err != nil {
		return nil, fault.Prefix("input", err)
	}
	upd := client.WebhookCredential.UpdateOne(cred).AddVersion(1)
	s.apply(upd.Mutation(), c)
	cred, err = upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("credential: update: %w", err)
	}
	return cred, nil
}

// Delete deletes the credential with the given id and returns the id. It
// is refused with a conflict while a webhook uses the credential.
func (s *Service) Delete(ctx context.Context, id string) (string, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return "", err
	}
	hook, err := client.ProfileWebhook.Query().Where(profilewebhook.CredentialID(id)).First(ctx)
	switch {
	case err == nil:
		return "", fault.Conflict("id", "webhook credential %s is used by webhook %q (%s); give that webhook another credential or none first", id, hook.Name, hook.ID)
	case !ent.IsNotFound(err):
		return "", fmt.Errorf("credential: find webhooks: %w", err)
	}
	err = client.WebhookCredential.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return "", fault.NotFound("webhook credential", id)
	}
	if err != nil {
		return "", fmt.Errorf("credential: delete: %w", err)
	}
	s.tokens.forget(id)
	return id, nil
}

// apply writes c into m: the plain fields, each new secret sealed with its
// hint, and clears what c leaves empty.
func (s *Service) apply(m *ent.WebhookCredentialMutation, c config) {
	m.SetName(c.name)
	for _, f := range []struct {
		value string
		set   func(string)
		clear func()
	}{
		{c.tokenURL, m.SetTokenURL, m.ClearTokenURL},
		{c.clientID, m.SetClientID, m.ClearClientID},
		{c.username, m.SetUsername, m.ClearUsername},
		{c.audience, m.SetAudience, m.ClearAudience},
		{c.head, m.SetHeaderName, m.ClearHeaderName},
	} {
		if f.value == "" {
			f.clear()
		} else {
			f.set(f.value)
		}
	}
	if len(c.scopes) == 0 {
		m.ClearScopes()
	} else {
		m.SetScopes(c.scopes)
	}
	for _, f := range []struct {
		secret           secretField
		set, setHint     func(string)
		clear, clearHint func()
	}{
		{c.clientSecret, m.SetClientSecret, m.SetClientSecretHint, m.ClearClientSecret, m.ClearClientSecretHint},
		{c.password, m.SetPassword, m.SetPasswordHint, m.ClearPassword, m.ClearPasswordHint},
		{c.token, m.SetToken, m.SetTokenHint, m.ClearToken, m.ClearTokenHint},
	} {
		switch {
		case f.secret.plain == nil:
			// keep the stored secret and its hint
		case *f.secret.plain == "":
			f.clear()
			f.clearHint()
		default:
			f.set(s.cfg.Box.Seal(*f.secret.plain))
			f.setHint(Hint(*f.secret.plain))
		}
	}
}

// TestResult is the answer of Test: OK, or the Error that made it fail.
type TestResult struct {
	OK    bool
	Error *string
}

// Test checks the credential with the given id: an OAuth2 credential
// fetches a new access token now (which deliveries then use); the others
// must open under the current secret key. A failure is reported in the
// result, with the token endpoint's answer; only a missing credential or a
// fault of the service is an error. Test makes a network call: it must
// not run inside a transaction.
func (s *Service) Test(ctx context.Context, id string) (*TestResult, error) {
	cred, err := s.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if oauth2Type(cred.Type) {
		_, err = s.tokens.refetch(ctx, s, cred)
	} else {
		_, _, err = s.static(cred)
	}
	if err != nil {
		msg := err.Error()
		return &TestResult{Error: &msg}, nil
	}
	return &TestResult{OK: true}, nil
}

// Load returns the credential with the given id, read through the ent
// client in ctx or, outside a transaction, the service's client.
func (s *Service) Load(ctx context.Context, id string) (*ent.WebhookCredential, error) {
	client := ent.FromContext(ctx)
	if client == nil {
		client = s.cfg.Client
	}
	cred, err := client.WebhookCredential.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("webhook credential", id)
	}
	if err != nil {
		return nil, fmt.Errorf("credential: load %s: %w", id, err)
	}
	return cred, nil
}

func oauth2Type(t webhookcredential.Type) bool {
	return t == webhookcredential.TypeOAuth2ClientCredentials || t == webhookcredential.TypeOAuth2Password
}

// open returns the plain value of a sealed secret field; "" stays "".
func (s *Service) open(cred *ent.WebhookCredential, field, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	plain, err := s.cfg.Box.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("credential: open the %s of %s: %w", field, cred.ID, err)
	}
	return plain, nil
}

func deref(p *string, stored string) string {
	if p == nil {
		return stored
	}
	return strings.TrimSpace(*p)
}
