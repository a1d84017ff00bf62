package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// InboundEndpoint is a "notifying" endpoint: a URL a third party posts
// profile data to, and how that data maps onto profile fields.
type InboundEndpoint struct {
	ent.Schema
}

// Mixin of the InboundEndpoint.
func (InboundEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "inb_"}, TimeMixin{}}
}

// Fields of the InboundEndpoint.
func (InboundEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.Bool("enabled").Default(true),
		field.String("key").Unique().Immutable().NotEmpty().
			Comment("The unguessable last segment of the endpoint's URL.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("auth_mode").GoType(schematype.InboundAuthMode("")).
			Default(string(schematype.InboundAuthOAuth2)).
			Annotations(entgql.Type("InboundAuthMode")),
		field.JSON("input_parameters", []schematype.InputMapping{}).
			Annotations(entgql.Type("[InputMapping!]"), entgql.Skip(entgql.SkipWhereInput)),
		field.Enum("on_unknown_user").GoType(schematype.UnknownUserPolicy("")).
			Default(string(schematype.UnknownUserReject)).
			Annotations(entgql.Type("UnknownUserPolicy")),
		field.String("hmac_secret").Sensitive().
			Comment("The whsec_ secret for HMAC authentication, sealed with the service's secret key."),
		field.Strings("linked_webhook_ids").Optional().
			Comment("Webhooks that talk to the same third party: changes that came in through this endpoint are never sent to them.").
			Annotations(entgql.Type("[ID!]"), entgql.MapsTo("linkedWebhookIds"), entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges of the InboundEndpoint.
func (InboundEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		// The inbound log; deleted with the endpoint.
		edge.To("requests", InboundRequest.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
		edge.From("oauth_clients", OAuthClient.Type).Ref("endpoints").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations of the InboundEndpoint.
func (InboundEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
