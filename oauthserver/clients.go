package oauthserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/inboundendpoint"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
)

// Prefixes of the client credentials, so secret scanners and people can
// tell them apart.
const (
	ClientIDPrefix     = "phc_"
	ClientSecretPrefix = "phs_"
)

// ClientSpec is a new OAuth client: CreateOAuthClientInput.
type ClientSpec struct {
	Name string
	// EndpointIDs are the incoming endpoints the client's tokens may call;
	// at least one.
	EndpointIDs []string
}

// CreatedClient is a client with its secret in clear text, which is shown
// in this answer only: CreateOAuthClientPayload.
type CreatedClient struct {
	OAuthClient  *ent.OAuthClient
	ClientSecret string
}

// CreateClient validates spec and registers a client with a new client ID
// and secret.
func (s *Server) CreateClient(ctx context.Context, spec ClientSpec) (*CreatedClient, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	name, err := profile.CheckName(spec.Name)
	if err != nil {
		return nil, fault.Invalid("input.name", "%s", err)
	}
	if err := checkEndpoints(ctx, client, spec.EndpointIDs); err != nil {
		return nil, fault.Prefix("input.endpointIds", err)
	}
	sec := newSecret()
	now := s.now()
	c, err := client.OAuthClient.Create().
		SetName(name).
		SetClientID(ClientIDPrefix + secret.NewURLKey(16)).
		SetSecretHash(hashSecret(sec)).
		AddEndpointIDs(spec.EndpointIDs...).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: create client: %w", err)
	}
	return &CreatedClient{OAuthClient: c, ClientSecret: sec}, nil
}

// RevokeClient revokes the client with the given id: it gets no more tokens
// and the tokens it holds are refused. Revoking a revoked client changes
// nothing.
func (s *Server) RevokeClient(ctx context.Context, id string) (*ent.OAuthClient, error) {
	client, c, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.RevokedAt != nil {
		return c, nil
	}
	c, err = client.OAuthClient.UpdateOne(c).SetRevokedAt(s.now()).SetUpdatedAt(s.now()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: revoke client: %w", err)
	}
	return c, nil
}

// RotateSecret gives the client with the given id a new secret; the old
// one stops working at once, tokens already issued stay valid until they
// expire. A revoked client cannot be rotated (conflict).
func (s *Server) RotateSecret(ctx context.Context, id string) (*CreatedClient, error) {
	client, c, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.RevokedAt != nil {
		return nil, fault.Conflict("id", "oauth client %s is revoked", id)
	}
	sec := newSecret()
	c, err = client.OAuthClient.UpdateOne(c).SetSecretHash(hashSecret(sec)).SetUpdatedAt(s.now()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: rotate secret: %w", err)
	}
	return &CreatedClient{OAuthClient: c, ClientSecret: sec}, nil
}

func load(ctx context.Context, id string) (*ent.Client, *ent.OAuthClient, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := client.OAuthClient.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, fault.NotFound("oauth client", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("oauthserver: load client: %w", err)
	}
	return client, c, nil
}

// checkEndpoints checks that ids names at least one incoming endpoint and
// every one exists, once.
func checkEndpoints(ctx context.Context, client *ent.Client, ids []string) error {
	if len(ids) == 0 {
		return fault.Invalid("", "name at least one incoming endpoint")
	}
	found, err := client.InboundEndpoint.Query().Where(inboundendpoint.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return fmt.Errorf("oauthserver: load endpoints: %w", err)
	}
	for i, id := range ids {
		if !slices.Contains(found, id) {
			return fault.Invalid(fmt.Sprintf("[%d]", i), "no incoming endpoint %q", id)
		}
		if slices.Index(ids, id) != i {
			return fault.Invalid(fmt.Sprintf("[%d]", i), "incoming endpoint %q is listed twice", id)
		}
	}
	return nil
}

func newSecret() string { return ClientSecretPrefix + secret.NewURLKey(32) }

// hashSecret returns the hex SHA-256 of a client secret, as stored.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
