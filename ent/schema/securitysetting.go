package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/profilehooks/profilehooks/access/securitytype"
)

// SecuritySetting holds the service-wide security settings in a single row
// (ID "security"): the lifetime of access tokens the OAuth server issues,
// trusted token issuers, the IP allowlist of incoming endpoints and the
// console's CORS origins. A missing row means the defaults. Package access
// reads and writes it; GraphQL sees it through access.Settings.
type SecuritySetting struct {
	ent.Schema
}

// Fields of the SecuritySetting.
func (SecuritySetting) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.Int64("access_token_lifetime_seconds").Positive(),
		field.JSON("trusted_issuers", []securitytype.TrustedIssuer{}),
		field.Strings("inbound_allowlist").
			Comment("CIDR prefixes; empty allows any address."),
		field.Strings("cors_origins").
			Comment("Origins (scheme://host[:port]) the console may call the API from."),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
		field.String("updated_by").Default(""),
	}
}

// Annotations of the SecuritySetting.
func (SecuritySetting) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
