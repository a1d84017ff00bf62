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

// AuditEntry records one mutation: who ran it, what it was called on, and
// how it ended. Entries are written outside the mutation's transaction,
// after it finished, so failed and refused mutations are recorded too.
type AuditEntry struct {
	ent.Schema
}

// Mixin of the AuditEntry.
func (AuditEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "aud_"}}
}

// Fields of the AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Time("occurred_at").Immutable().Default(time.Now).
			Annotations(entgql.OrderField("OCCURRED_AT")),
		field.String("actor").Immutable().
			Comment("Who: the OIDC subject, the API token's ID, admin-token or dev."),
		field.String("actor_name").Immutable().Default("").
			Comment("The caller's display name: the OIDC name claim or the API token's name."),
		field.Enum("credential").GoType(securitytype.Credential("")).Immutable().
			Annotations(entgql.Type("Credential")),
		field.Enum("role").GoType(securitytype.Role("")).Immutable().
			Annotations(entgql.Type("Role")),
		field.String("operation").Immutable().
			Comment("The mutation's field name, such as createUser."),
		field.String("target_id").Immutable().Default("").
			Comment("The ID the mutation acted on (its id argument, or the ID of what it returned); empty when unknown.").
			Annotations(entgql.MapsTo("targetId")),
		field.String("outcome").Immutable().
			Comment("OK, ROLLED_BACK (another field of the same mutation failed), or the error code (FORBIDDEN, NOT_FOUND, …)."),
		field.String("client_address").Immutable().Default("").
			Comment("The caller's IP address.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the AuditEntry.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("occurred_at"), index.Fields("actor", "occurred_at"), index.Fields("target_id")}
}

// Annotations of the AuditEntry.
func (AuditEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("auditLog").Description("Every mutation run through the API, with who ran it and how it ended."),
	}
}
