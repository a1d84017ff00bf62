package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/profilehooks/profilehooks/access/securitytype"
)

// APIToken is a credential for automation: a phk_ bearer token with a role.
// Only the SHA-256 of the token is stored; the token itself is shown once,
// when it is created.
type APIToken struct {
	ent.Schema
}

// Mixin of the APIToken.
func (APIToken) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "tok_"}}
}

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100).
			Comment("Names the token in the console and in the audit log.").
			Annotations(entgql.OrderField("NAME")),
		field.Enum("role").GoType(securitytype.Role("")).
			Annotations(entgql.Type("Role")),
		field.String("token_hash").Unique().Immutable().NotEmpty().Sensitive().
			Comment("The hex SHA-256 of the token.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("hint").Immutable().
			Comment("The last four characters of the token, to tell tokens apart."),
		field.String("created_by").Immutable().Default("").
			Comment("The subject of the caller who created the token.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Time("created_at").Immutable().Default(time.Now).
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("expires_at").Optional().Nillable().Immutable().
			Comment("When the token stops working; null means never.").
			Annotations(entgql.OrderField("EXPIRES_AT")),
		field.Time("last_used_at").Optional().Nillable().
			Comment("When the token last authenticated a request, to the minute.").
			Annotations(entgql.OrderField("LAST_USED_AT")),
		field.Time("revoked_at").Optional().Nillable().
			Comment("When the token was revoked; null while it is active."),
	}
}

// Indexes of the APIToken.
func (APIToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name")}
}

// Annotations of the APIToken.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Type("ApiToken"),
		entgql.RelayConnection(),
		entgql.QueryField("apiTokens").Description("API tokens, active and revoked; the tokens themselves are never shown again."),
	}
}
