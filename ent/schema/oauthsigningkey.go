package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// OAuthSigningKey is a key the service signs its access tokens with
// (ES256). It is made on first use and stored sealed, so every replica
// signs with the same key; the public keys are published at
// /oauth/jwks.json.
type OAuthSigningKey struct {
	ent.Schema
}

// Mixin of the OAuthSigningKey.
func (OAuthSigningKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "osk_"}}
}

// Fields of the OAuthSigningKey.
func (OAuthSigningKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("kid").Unique().Immutable().NotEmpty().
			Comment("The key ID: the key's RFC 7638 thumbprint."),
		field.String("private_key").Sensitive().Immutable().
			Comment("The PKCS #8 private key, base64, sealed with the service's secret key."),
		field.Time("created_at").Immutable(),
	}
}

// Annotations of the OAuthSigningKey.
func (OAuthSigningKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "oauth_signing_keys"}, entgql.Skip(entgql.SkipAll)}
}
