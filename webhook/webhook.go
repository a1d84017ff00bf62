// Package webhook configures the two directions of profile sync: outgoing
// profile webhooks (trigger events, URL, request and response parameters,
// headers, signing secret) and incoming endpoints (input parameters, user
// identifiers, unknown-user policy, auth mode). It validates every
// configuration against the profile-field catalog before it is stored.
package webhook

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/ent/webhookcredential"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/mapping"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
)

// MaxURLLength is the longest webhook URL accepted, in bytes.
const MaxURLLength = 2048

// DefaultTimeoutSeconds is the request timeout of a webhook that sets none.
const DefaultTimeoutSeconds = 10

// MaxTimeoutSeconds is the longest request timeout a webhook may set.
const MaxTimeoutSeconds = 60

// DefaultGracePeriod is how long deliveries carry the old signature after
// a secret rotation when none is given.
const DefaultGracePeriod = 24 * time.Hour

// MaxHeaderValueLength is the longest custom header value, in bytes.
const MaxHeaderValueLength = 4096

// Service creates, changes and deletes webhooks and incoming endpoints. Its
// operations run in the transaction of the ent client in their context.
type Service struct {
	// Box seals the signing secrets before they are stored. It must not be
	// nil.
	Box *secret.Box
	// PublicURL is the base of incoming endpoint URLs, without a trailing
	// slash ("https://hooks.example.com").
	PublicURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// WebhookSpec is a new profile webhook. A nil Enabled means true; a nil or
// empty CredentialID means no credential.
type WebhookSpec struct {
	Name               string
	URL                string
	Enabled            *bool
	Triggers           []schematype.Trigger
	RequestParameters  []schematype.ParameterMapping
	ResponseParameters []schematype.ParameterMapping
	Headers            []schematype.HTTPHeader
	MaxAttempts        *int
	TimeoutSeconds     *int
	CredentialID       *string
}

// WebhookPatch changes a profile webhook. Nil members keep their values; a
// list that is not nil replaces the stored list; an empty CredentialID
// removes the credential.
type WebhookPatch struct {
	Name               *string
	URL                *string
	Enabled            *bool
	Triggers           []schematype.Trigger
	RequestParameters  []schematype.ParameterMapping
	ResponseParameters []schematype.ParameterMapping
	Headers            []schematype.HTTPHeader
	MaxAttempts        *int
	TimeoutSeconds     *int
	CredentialID       *string
}

// CreatedWebhook is a new webhook with its signing secret, which is shown
// this once.
type CreatedWebhook struct {
	ProfileWebhook *ent.ProfileWebhook
	SigningSecret  string
}

// CreateWebhook validates spec and stores a new webhook with a new signing
// secret.
func (s *Service) CreateWebhook(ctx context.Context, spec WebhookSpec) (*CreatedWebhook, error) {
	client, cat, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	w := webhookConfig{
		name: spec.Name, url: spec.URL, triggers: spec.Triggers,
		request: spec.RequestParameters, response: spec.ResponseParameters, headers: spec.Headers,
		maxAttempts: spec.MaxAttempts, timeoutSeconds: deref(spec.TimeoutSeconds, DefaultTimeoutSeconds),
	}
	if err := w.validate(cat); err != nil {
		return nil, fault.Prefix("input", err)
	}
	if err := checkCredential(ctx, client, spec.CredentialID); err != nil {
		return nil, err
	}
	signing := secret.NewSigningSecret()
	hook, err := client.ProfileWebhook.Create().
		SetName(w.name).
		SetURL(w.url).
		SetEnabled(spec.Enabled == nil || *spec.Enabled).
		SetTriggers(w.triggers).
		SetRequestParameters(nonNil(w.request)).
		SetResponseParameters(nonNil(w.response)).
		SetHeaders(nonNil(w.headers)).
		SetSigningSecret(s.Box.Seal(signing)).
		SetNillableMaxAttempts(w.maxAttempts).
		SetTimeoutSeconds(w.timeoutSeconds).
		SetNillableCredentialID(nonEmpty(spec.CredentialID)).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: create: %w", err)
	}
	return &CreatedWebhook{ProfileWebhook: hook, SigningSecret: signing}, nil
}

// UpdateWebhook applies patch to the webhook with the given id. The result
// is validated as a whole, so a patch cannot leave a webhook invalid.
func (s *Service) UpdateWebhook(ctx context.Context, id string, patch WebhookPatch) (*ent.ProfileWebhook, error) {
	client, cat, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	hook, err := client.ProfileWebhook.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("profile webhook", id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: load: %w", err)
	}
	w := webhookConfig{
		name:           deref(patch.Name, hook.Name),
		url:            deref(patch.URL, hook.URL),
		triggers:       orStored(patch.Triggers, hook.Triggers),
		request:        orStored(patch.RequestParameters, hook.RequestParameters),
		response:       orStored(patch.ResponseParameters, hook.ResponseParameters),
		headers:        orStored(patch.Headers, hook.Headers),
		maxAttempts:    hook.MaxAttempts,
		timeoutSeconds: deref(patch.TimeoutSeconds, hook.TimeoutSeconds),
	}
	if patch.MaxAttempts != nil {
		w.maxAttempts = patch.MaxAttempts
	}
	if err := w.validate(cat); err != nil {
		return nil, fault.Prefix("input", err)
	}
	if err := checkCredential(ctx, client, patch.CredentialID); err != nil {
		return nil, err
	}
	upd := client.ProfileWebhook.UpdateOne(hook).
		SetName(w.name).
		SetURL(w.url).
		SetTriggers(w.triggers).
		SetRequestParameters(nonNil(w.request)).
		SetResponseParameters(nonNil(w.response)).
		SetHeaders(nonNil(w.headers)).
		SetTimeoutSeconds(w.timeoutSeconds)
	if patch.MaxAttempts != nil {
		upd.SetMaxAttempts(*patch.MaxAttempts)
	}
	switch id := patch.CredentialID; {
	case id == nil:
	case *id == "":
		upd.ClearCredentialID()
	default:
		upd.SetCredentialID(*id)
	}
	if patch.Enabled != nil {
		upd.SetEnabled(*patch.Enabled)
		if *patch.Enabled {
			// An admin re-enabling a webhook clears what disabled it.
			upd.SetDisabledReason("").ClearFailingSince()
		}
	}
	hook, err = upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: update: %w", err)
	}
	return hook, nil
}

// DeleteWebhook deletes the webhook with the given id and returns the id.
func (s *Service) DeleteWebhook(ctx context.Context, id string) (string, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return "", err
	}
	err = client.ProfileWebhook.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return "", fault.NotFound("profile webhook", id)
	}
	if err != nil {
		return "", fmt.Errorf("webhook: delete: %w", err)
	}
	return id, nil
}

// webhookConfig is a webhook's configuration as it will be stored.
type webhookConfig struct {
	name, url         string
	triggers          []schematype.Trigger
	request, response []schematype.ParameterMapping
	headers           []schematype.HTTPHeader
	maxAttempts       *int
	timeoutSeconds    int
}

func (w *webhookConfig) validate(cat *profile.Catalog) error {
	name, err := profile.CheckName(w.name)
	if err != nil {
		return fault.Invalid("name", "%s", err)
	}
	w.name = name
	w.url = strings.TrimSpace(w.url)
	if len(w.url) > MaxURLLength {
		return fault.Invalid("url", "longer than %d bytes", MaxURLLength)
	}
	if err := profile.CheckURL(w.url); err != nil {
		return fault.Invalid("url", "%s", err)
	}
	if err := checkTriggers(w.triggers); err != nil {
		return err
	}
	if err := checkParameters(cat, w.request, false); err != nil {
		return fault.Prefix("requestParameters", err)
	}
	if err := checkParameters(cat, w.response, true); err != nil {
		return fault.Prefix("responseParameters", err)
	}
	if w.maxAttempts != nil && *w.maxAttempts < 1 {
		return fault.Invalid("maxAttempts", "must be at least 1")
	}
	if w.timeoutSeconds < 1 || w.timeoutSeconds > MaxTimeoutSeconds {
		return fault.Invalid("timeoutSeconds", "must be between 1 and %d", MaxTimeoutSeconds)
	}
	return fault.Prefix("headers", checkHeaders(w.headers))
}

func checkTriggers(triggers []schematype.Trigger) error {
	if len(triggers) == 0 {
		return fault.Invalid("triggers", "pick at least one trigger event")
	}
	for i, t := range triggers {
		if slices.Index(triggers, t) < i {
			return fault.Invalid(fmt.Sprintf("triggers[%d]", i), "%s is listed twice", t)
		}
	}
	return nil
}

// checkParameters validates request (writes false) or response (writes
// true) parameters: paths, collisions, known profile fields, and for
// response parameters writable fields that no two rows write.
func checkParameters(cat *profile.Catalog, rows []schematype.ParameterMapping, writes bool) error {
	apiFields := make([]string, len(rows))
	for i, r := range rows {
		apiFields[i] = r.APIField
	}
	if _, err := mapping.ParsePaths(apiFields); err != nil {
		return err
	}
	written := map[string]int{}
	for i, r := range rows {
		path := fmt.Sprintf("[%d].profileField", i)
		f, ok := cat.Lookup(r.ProfileField)
		switch {
		case !ok:
			return fault.Invalid(path, "unknown profile field %q", r.ProfileField)
		case !writes:
			continue
		case f.ReadOnly:
			return fault.Invalid(path, "profile field %q is read-only; response parameters cannot write it", r.ProfileField)
		}
		if j, dup := written[r.ProfileField]; dup {
			return fault.Invalid(path, "profile field %q is already written by row %d", r.ProfileField, j)
		}
		written[r.ProfileField] = i
	}
	return nil
}

// headerName is an HTTP field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// reservedHeaders are set by the dispatcher or by Go's HTTP client, or carry
// credentials that belong in a webhook credential, where they stay secret.
var reservedHeaders = []string{
	"authorization", "connection", "content-length", "content-type", "cookie", "host",
	"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
	"webhook-id", "webhook-signature", "webhook-timestamp",
}

func checkHeaders(headers []schematype.HTTPHeader) error {
	seen := map[string]int{}
	for i, h := range headers {
		lower := strings.ToLower(h.Name)
		switch {
		case !headerName.MatchString(h.Name):
			return fault.Invalid(fmt.Sprintf("[%d].name", i), "%q is not a valid header name", h.Name)
		case slices.Contains(reservedHeaders, lower) || strings.HasPrefix(lower, "profilehooks-"):
			return fault.Invalid(fmt.Sprintf("[%d].name", i), "%s is set by the service and cannot be configured", h.Name)
		case strings.ContainsAny(h.Value, "\r\n\x00"):
			return fault.Invalid(fmt.Sprintf("[%d].value", i), "must not contain line breaks or NUL")
		case len(h.Value) > MaxHeaderValueLength:
			return fault.Invalid(fmt.Sprintf("[%d].value", i), "longer than %d bytes", MaxHeaderValueLength)
		}
		if j, dup := seen[lower]; dup {
			return fault.Invalid(fmt.Sprintf("[%d].name", i), "header %s is already set by row %d", h.Name, j)
		}
		seen[lower] = i
	}
	return nil
}

// checkCredential refuses a credential ID (nil or empty: none) that names
// no webhook credential.
func checkCredential(ctx context.Context, client *ent.Client, id *string) error {
	if id == nil || *id == "" {
		return nil
	}
	exists, err := client.WebhookCredential.Query().Where(webhookcredential.ID(*id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("webhook: find credential: %w", err)
	}
	if !exists {
		return fault.Invalid("input.credentialId", "no webhook credential %q", *id)
	}
	return nil
}

func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

func begin(ctx context.Context) (*ent.Client, *profile.Catalog, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	cat, err := profile.LoadCatalog(ctx, client)
	if err != nil {
		return nil, nil, err
	}
	return client, cat, nil
}

func deref[T any](p *T, stored T) T {
	if p == nil {
		return stored
	}
	return *p
}

func orStored[T any](given, stored []T) []T {
	if given == nil {
		return stored
	}
	return given
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// RotatedSecret is the answer to a secret rotation.
type RotatedSecret struct {
	SigningSecret           string
	PreviousSecretExpiresAt *time.Time
}

// RotateSecret gives the webhook a new signing secret. During grace (nil:
// DefaultGracePeriod; zero: none) deliveries are signed with the old and
// the new secret, so receivers can switch without losing a delivery.
func (s *Service) RotateSecret(ctx context.Context, id string, grace *time.Duration) (*RotatedSecret, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	g := deref(grace, DefaultGracePeriod)
	if g < 0 || g > 30*24*time.Hour {
		return nil, fault.Invalid("gracePeriod", "must be between 0 and 30 days")
	}
	hook, err := client.ProfileWebhook.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("profile webhook", id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: load: %w", err)
	}
	signing := secret.NewSigningSecret()
	upd := client.ProfileWebhook.UpdateOne(hook).SetSigningSecret(s.Box.Seal(signing))
	out := &RotatedSecret{SigningSecret: signing}
	if g > 0 {
		expires := s.now().Add(g)
		upd.SetPreviousSigningSecret(hook.SigningSecret).SetPreviousSecretExpiresAt(expires)
		out.PreviousSecretExpiresAt = &expires
	} else {
		upd.ClearPreviousSigningSecret().ClearPreviousSecretExpiresAt()
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, fmt.Errorf("webhook: rotate secret: %w", err)
	}
	return out, nil
}
