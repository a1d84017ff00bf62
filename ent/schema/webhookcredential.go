package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// WebhookCredential is how outgoing webhooks authenticate to their
// receivers: an OAuth2 client (client credentials or password grant), a
// static bearer token, basic auth or an API key header. Webhooks reference
// it by ID, so one credential serves every webhook of a domain. Its secret
// fields are sealed with the service's secret key and never leave the
// service; the hints show their last characters.
type WebhookCredential struct {
	ent.Schema
}

// Mixin of the WebhookCredential.
func (WebhookCredential) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "wcr_"}, TimeMixin{}}
}

// Fields of the WebhookCredential. Which fields a type requires or allows
// is checked by package credential.
func (WebhookCredential) Fields() []ent.Field {
	sealed := func(name, comment string) ent.Field {
		return field.String(name).Optional().Sensitive().
			Comment(comment + ", sealed with the service's secret key; empty when not set.").
			Annotations(entgql.Skip(entgql.SkipAll))
	}
	hint := func(name, comment string) ent.Field {
		return field.String(name).Optional().
			Comment(comment).
			Annotations(entgql.Skip(entgql.SkipWhereInput))
	}
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.Enum("type").
			NamedValues(
				"OAuth2ClientCredentials", "OAUTH2_CLIENT_CREDENTIALS",
				"OAuth2Password", "OAUTH2_PASSWORD",
				"Bearer", "BEARER",
				"Basic", "BASIC",
				"APIKeyHeader", "API_KEY_HEADER",
			).
			Immutable().
			Annotations(entgql.Type("WebhookCredentialType")),
		field.String("token_url").Optional().
			Comment("The OAuth2 token endpoint; empty for the other types.").
			Annotations(entgql.MapsTo("tokenUrl"), entgql.Skip(entgql.SkipWhereInput)),
		field.String("client_id").Optional().
			Comment("The OAuth2 client ID; empty for the other types.").
			Annotations(entgql.MapsTo("clientId"), entgql.Skip(entgql.SkipWhereInput)),
		sealed("client_secret", "The OAuth2 client secret"),
		hint("client_secret_hint", "A hint of the client secret: …ab12, its last four characters, or … alone when it has fewer than 12; empty when none is set."),
		field.String("username").Optional().
			Comment("The user of the password grant or of basic auth.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		sealed("password", "The password of the password grant or of basic auth"),
		hint("password_hint", "A hint of the password, like clientSecretHint."),
		field.Strings("scopes").Optional().
			Comment("The OAuth2 scopes requested.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("audience").Optional().
			Comment("The audience parameter sent to the token endpoint (client credentials only); empty for none.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		sealed("token", "The static bearer token or API key"),
		hint("token_hint", "A hint of the token, like clientSecretHint."),
		field.String("header_name").Optional().
			Comment("The header an API_KEY_HEADER credential sends its token in.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Int64("version").Default(1).
			Comment("Incremented by every change; cached access tokens belong to one version.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the WebhookCredential.
func (WebhookCredential) Edges() []ent.Edge {
	return []ent.Edge{
		// A credential in use cannot be deleted: package credential refuses
		// with a conflict, and the foreign key restricts as a last resort.
		edge.To("webhooks", ProfileWebhook.Type).
			Annotations(entsql.OnDelete(entsql.Restrict), entgql.RelayConnection()),
	}
}

// Annotations of the WebhookCredential. The webhookCredentials query is
// declared in graph/schema/credentials.graphql.
func (WebhookCredential) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
