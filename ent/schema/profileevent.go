package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// ProfileEvent records one change to a user, written in the same
// transaction as the change. The dispatcher fans events out to webhooks.
type ProfileEvent struct {
	ent.Schema
}

// Mixin of the ProfileEvent.
func (ProfileEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "evt_"}}
}

// Fields of the ProfileEvent.
func (ProfileEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("type").GoType(schematype.EventType("")).Immutable().
			Comment("The event's name on the wire: user.created, user.updated, user.activated or user.deactivated.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Enum("trigger").GoType(schematype.Trigger("")).Immutable().
			Annotations(entgql.Type("ProfileTrigger")),
		field.String("user_id").Immutable().
			Annotations(entgql.Skip(entgql.SkipType)),
		field.Strings("changed_fields").Immutable().
			Comment("The profile-field keys whose values changed, sorted."),
		field.JSON("snapshot", map[string]any{}).Immutable().
			Comment("The user's profile after the change, by profile-field key.").
			Annotations(entgql.Type("Map"), entgql.Skip(entgql.SkipWhereInput)),
		field.Enum("source").GoType(schematype.ChangeSource("")).Immutable().
			Annotations(entgql.Type("ChangeSource")),
		field.String("source_id").Optional().Immutable().
			Comment("The endpoint or webhook the change came through; empty for the admin API.").
			Annotations(entgql.MapsTo("sourceId"), entgql.Skip(entgql.SkipWhereInput)),
		field.Int64("user_version").Immutable().Default(0).
			Comment("The user's version after the change.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("test").Default(false).Immutable().
			Comment("True for the synthetic events of testProfileWebhook; they change nothing and fan out to nobody."),
		field.Time("occurred_at").Immutable().Default(time.Now).
			Annotations(entgql.OrderField("OCCURRED_AT")),
	}
}

// Edges of the ProfileEvent.
func (ProfileEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ProfileEvent.
func (ProfileEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "occurred_at"), index.Fields("occurred_at")}
}

// Annotations of the ProfileEvent.
func (ProfileEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
