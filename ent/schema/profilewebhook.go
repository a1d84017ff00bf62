package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
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
	}
}

// Annotations of the ProfileWebhook.
func (ProfileWebhook) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
