package webhook

import (
	"context"
	"fmt"
	"slices"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/profilewebhook"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/mapping"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
)

// EndpointKeyBytes is the number of random bytes in an endpoint's URL key
// (192 bits).
const EndpointKeyBytes = 24

// EndpointSpec is a new incoming endpoint. Nil pointers take the defaults:
// enabled, OAUTH2, REJECT.
type EndpointSpec struct {
	Name            string
	Enabled         *bool
	AuthMode        *schematype.InboundAuthMode
	InputParameters []schematype.InputMapping
	OnUnknownUser   *schematype.UnknownUserPolicy
	// LinkedWebhookIDs are webhooks that talk to the same third party:
	// changes that came in through the endpoint are never sent to them.
	// Nil links none.
	LinkedWebhookIDs []string
}

// EndpointPatch changes an incoming endpoint. Nil members keep their
// values; a list that is not nil replaces the stored list.
type EndpointPatch struct {
	Name             *string
	Enabled          *bool
	AuthMode         *schematype.InboundAuthMode
	InputParameters  []schematype.InputMapping
	OnUnknownUser    *schematype.UnknownUserPolicy
	LinkedWebhookIDs []string
}

// CreatedEndpoint is a new endpoint with its HMAC signing secret, which is
// shown this once.
type CreatedEndpoint struct {
	InboundEndpoint *ent.InboundEndpoint
	SigningSecret   string
}

// CreateEndpoint validates spec and stores a new incoming endpoint with a
// new URL key and HMAC secret.
func (s *Service) CreateEndpoint(ctx context.Context, spec EndpointSpec) (*CreatedEndpoint, error) {
	client, cat, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	name, err := profile.CheckName(spec.Name)
	if err != nil {
		return nil, fault.Invalid("input.name", "%s", err)
	}
	if err := checkInputParameters(cat, spec.InputParameters); err != nil {
		return nil, fault.Prefix("input.inputParameters", err)
	}
	if err := checkLinkedWebhooks(ctx, client, spec.LinkedWebhookIDs); err != nil {
		return nil, fault.Prefix("input.linkedWebhookIds", err)
	}
	signing := secret.NewSigningSecret()
	create := client.InboundEndpoint.Create().
		SetName(name).
		SetEnabled(spec.Enabled == nil || *spec.Enabled).
		SetKey(secret.NewURLKey(EndpointKeyBytes)).
		SetInputParameters(spec.InputParameters).
		SetHmacSecret(s.Box.Seal(signing))
	if spec.LinkedWebhookIDs != nil {
		create.SetLinkedWebhookIds(spec.LinkedWebhookIDs)
	}
	if spec.AuthMode != nil {
		create.SetAuthMode(*spec.AuthMode)
	}
	if spec.OnUnknownUser != nil {
		create.SetOnUnknownUser(*spec.OnUnknownUser)
	}
	ep, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: create endpoint: %w", err)
	}
	return &CreatedEndpoint{InboundEndpoint: ep, SigningSecret: signing}, nil
}

// UpdateEndpoint applies patch to the endpoint with the given id. Its URL
// and secret stay the same.
func (s *Service) UpdateEndpoint(ctx context.Context, id string, patch EndpointPatch) (*ent.InboundEndpoint, error) {
	client, cat, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	ep, err := client.InboundEndpoint.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("inbound endpoint", id)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: load endpoint: %w", err)
	}
	upd := client.InboundEndpoint.UpdateOne(ep)
	if patch.Name != nil {
		name, err := profile.CheckName(*patch.Name)
		if err != nil {
			return nil, fault.Invalid("input.name", "%s", err)
		}
		upd.SetName(name)
	}
	if patch.InputParameters != nil {
		if err := checkInputParameters(cat, patch.InputParameters); err != nil {
			return nil, fault.Prefix("input.inputParameters", err)
		}
		upd.SetInputParameters(patch.InputParameters)
	}
	if patch.LinkedWebhookIDs != nil {
		if err := checkLinkedWebhooks(ctx, client, patch.LinkedWebhookIDs); err != nil {
			return nil, fault.Prefix("input.linkedWebhookIds", err)
		}
		upd.SetLinkedWebhookIds(patch.LinkedWebhookIDs)
	}
	if patch.Enabled != nil {
		upd.SetEnabled(*patch.Enabled)
	}
	if patch.AuthMode != nil {
		upd.SetAuthMode(*patch.AuthMode)
	}
	if patch.OnUnknownUser != nil {
		upd.SetOnUnknownUser(*patch.OnUnknownUser)
	}
	ep, err = upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: update endpoint: %w", err)
	}
	return ep, nil
}

// DeleteEndpoint deletes the endpoint with the given id and returns the id.
func (s *Service) DeleteEndpoint(ctx context.Context, id string) (string, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return "", err
	}
	err = client.InboundEndpoint.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return "", fault.NotFound("inbound endpoint", id)
	}
	if err != nil {
		return "", fmt.Errorf("webhook: delete endpoint: %w", err)
	}
	return id, nil
}

// EndpointURL returns the URL third parties post to for ep.
func (s *Service) EndpointURL(ep *ent.InboundEndpoint) string {
	return s.PublicURL + "/inbound/" + ep.Key
}

// checkInputParameters validates an endpoint's rows: paths, collisions,
// writable profile fields (and "active", which activates or deactivates),
// no field written twice, and at least one user-identifier row, each on an
// identifier field.
func checkInputParameters(cat *profile.Catalog, rows []schematype.InputMapping) error {
	apiFields := make([]string, len(rows))
	for i, r := range rows {
		apiFields[i] = r.APIField
	}
	if _, err := mapping.ParsePaths(apiFields); err != nil {
		return err
	}
	written := map[string]int{}
	identifiers := 0
	for i, r := range rows {
		path := fmt.Sprintf("[%d].profileField", i)
		f, ok := cat.Lookup(r.ProfileField)
		switch {
		case !ok:
			return fault.Invalid(path, "unknown profile field %q", r.ProfileField)
		case f.ReadOnly && f.Key != "active":
			return fault.Invalid(path, "profile field %q is read-only; input parameters cannot write it", r.ProfileField)
		case r.UserIdentifier && !f.Identifier:
			return fault.Invalid(fmt.Sprintf("[%d].userIdentifier", i),
				"profile field %q cannot identify a user; use one of %v", r.ProfileField, profile.IdentifierKeys())
		}
		if j, dup := written[r.ProfileField]; dup {
			return fault.Invalid(path, "profile field %q is already written by row %d", r.ProfileField, j)
		}
		written[r.ProfileField] = i
		if r.UserIdentifier {
			identifiers++
		}
	}
	if identifiers == 0 {
		return fault.Invalid("", "mark at least one row as user identifier")
	}
	return nil
}

// checkLinkedWebhooks checks that every ID names a profile webhook, once.
func checkLinkedWebhooks(ctx context.Context, client *ent.Client, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := client.ProfileWebhook.Query().Where(profilewebhook.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return fmt.Errorf("webhook: load linked webhooks: %w", err)
	}
	for i, id := range ids {
		if !slices.Contains(found, id) {
			return fault.Invalid(fmt.Sprintf("[%d]", i), "no profile webhook %q", id)
		}
		if slices.Index(ids, id) != i {
			return fault.Invalid(fmt.Sprintf("[%d]", i), "profile webhook %q is already linked", id)
		}
	}
	return nil
}

// MappedBy names the first webhook or endpoint whose parameters map the
// profile field key, or returns "" when none does. It has the signature of
// profile.MappingUser.
func MappedBy(ctx context.Context, client *ent.Client, key string) (string, error) {
	hooks, err := client.ProfileWebhook.Query().All(ctx)
	if err != nil {
		return "", fmt.Errorf("webhook: load webhooks: %w", err)
	}
	for _, h := range hooks {
		for _, r := range slices.Concat(h.RequestParameters, h.ResponseParameters) {
			if r.ProfileField == key {
				return fmt.Sprintf("webhook %q (%s)", h.Name, h.ID), nil
			}
		}
	}
	eps, err := client.InboundEndpoint.Query().All(ctx)
	if err != nil {
		return "", fmt.Errorf("webhook: load endpoints: %w", err)
	}
	for _, ep := range eps {
		for _, r := range ep.InputParameters {
			if r.ProfileField == key {
				return fmt.Sprintf("inbound endpoint %q (%s)", ep.Name, ep.ID), nil
			}
		}
	}
	return "", nil
}
