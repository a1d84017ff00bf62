package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// OAuthClient is a third party that takes access tokens from the service's
// OAuth2 token endpoint (client-credentials grant) to call incoming
// endpoints. Its secret is stored only as a SHA-256 hash; its tokens name
// the endpoints it may call.
type OAuthClient struct {
	ent.Schema
}

// Mixin of the OAuthClient.
func (OAuthClient) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "oac_"}, TimeMixin{}}
}

// Fields of the OAuthClient.
func (OAuthClient) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.String("client_id").Unique().Immutable().NotEmpty().
			Comment("The public client identifier sent to the token endpoint.").
			Annotations(entgql.MapsTo("clientId"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("secret_hash").Sensitive().
			Comment("The hex SHA-256 of the client secret; the secret itself is never stored.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("revoked_at").Optional().Nillable().
			Comment("When the client was revoked; null while it is active. A revoked client gets no tokens and its tokens are refused.").
			Annotations(entgql.OrderField("REVOKED_AT")),
	}
}

// Edges of the OAuthClient.
func (OAuthClient) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("endpoints", InboundEndpoint.Type).
			StorageKey(edge.Table("oauth_client_endpoints"), edge.Columns("oauth_client_id", "inbound_endpoint_id")).
			Comment("The incoming endpoints the client's tokens may call."),
	}
}

// Annotations of the OAuthClient.
func (OAuthClient) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Annotation{Table: "oauth_clients"},
		entgql.RelayConnection(),
		entgql.QueryField("oauthClients"),
	}
}
