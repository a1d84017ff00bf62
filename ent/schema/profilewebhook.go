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

// ProfileWebhook is an outgoing webhook: the profile events it fires on,
// the URL it posts to, and how the body and the answer map to profile
// fields.
type ProfileWebhook struct {
	ent.Schema
}

// Mixin of the ProfileWebhook.
func (ProfileWebhook) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "whk_"}, TimeMixin{}}
}

// Fields of the ProfileWebhook.
func (ProfileWebhook) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.String("url").NotEmpty(),
		field.Bool("enabled").Default(true),
		field.JSON("triggers", []schematype.Trigger{}).
			Annotations(entgql.Type("[ProfileTrigger!]"), entgql.Skip(entgql.SkipWhereInput)),
		field.JSON("request_parameters", []schematype.ParameterMapping{}).
			Annotations(entgql.Type("[ParameterMapping!]"), entgql.Skip(entgql.SkipWhereInput)),
		field.JSON("response_parameters", []schematype.ParameterMapping{}).
			Annotations(entgql.Type("[ParameterMapping!]"), entgql.Skip(entgql.SkipWhereInput)),
		field.JSON("headers", []schematype.HTTPHeader{}).
			Annotations(entgql.Type("[HttpHeader!]"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("signing_secret").Sensitive().
			Comment("The whsec_ signing secret, sealed with the service's secret key."),
		field.String("previous_signing_secret").Optional().Sensitive().
			Comment("The secret before the last rotation, sealed; signatures with it are sent until previousSecretExpiresAt."),
		field.Time("previous_secret_expires_at").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Int("max_attempts").Optional().Nillable().
			Comment("Fewer attempts than the retry schedule has; null means the whole schedule."),
		field.Int("timeout_seconds").Default(10).
			Comment("Request timeout of one attempt."),
		field.Time("failing_since").Optional().Nillable().
			Comment("Start of the current run of failed attempts; null after a success.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("disabled_reason").Optional().
			Comment("Why the service disabled the webhook (410 Gone, failing too long); empty when an admin did.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("credential_id").Optional().Nillable().
			Comment("The webhook credential its requests authenticate with; null for none.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the ProfileWebhook.
func (ProfileWebhook) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", Delivery.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
		edge.From("credential", WebhookCredential.Type).Ref("webhooks").Field("credential_id").Unique(),
	}
}

// Annotations of the ProfileWebhook.
func (ProfileWebhook) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
