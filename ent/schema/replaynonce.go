package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ReplayNonce is a webhook-id an HMAC endpoint has accepted. A message
// with a webhook-id seen before, until the nonce expires, is refused on
// every replica.
type ReplayNonce struct {
	ent.Schema
}

// Mixin of the ReplayNonce.
func (ReplayNonce) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "rpn_"}}
}

// Fields of the ReplayNonce.
func (ReplayNonce) Fields() []ent.Field {
	return []ent.Field{
		field.String("endpoint_id").Immutable().NotEmpty(),
		field.String("message_id").Immutable().NotEmpty().
			Comment("The webhook-id header value."),
		field.Time("expires_at").
			Comment("After this the timestamp tolerance refuses the message anyway."),
	}
}

// Indexes of the ReplayNonce.
func (ReplayNonce) Indexes() []ent.Index {
	return []ent.Index{index.Fields("endpoint_id", "message_id").Unique(), index.Fields("expires_at")}
}

// Annotations of the ReplayNonce.
func (ReplayNonce) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "replay_nonces"}, entgql.Skip(entgql.SkipAll)}
}
