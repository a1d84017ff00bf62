package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// IdempotencyKey is an Idempotency-Key an incoming endpoint has seen: the
// hash of the body it came with and the answer given, so a repeated request
// gets the same answer without being applied again, on every replica.
type IdempotencyKey struct {
	ent.Schema
}

// Mixin of the IdempotencyKey.
func (IdempotencyKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "idk_"}}
}

// Fields of the IdempotencyKey.
func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("endpoint_id").Immutable().NotEmpty(),
		field.String("key").Immutable().NotEmpty(),
		field.String("request_hash").
			Comment("The hex SHA-256 of the request body."),
		field.Int("status").Default(0).
			Comment("The status of the stored answer; 0 while the first request is being processed."),
		field.Bytes("response").Optional().
			Comment("The body of the stored answer."),
		field.Time("created_at").
			Comment("When the first request claimed the key (or took over an abandoned claim)."),
		field.Time("expires_at").
			Comment("After this the key may be used again."),
	}
}

// Indexes of the IdempotencyKey.
func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("endpoint_id", "key").Unique(), index.Fields("expires_at")}
}

// Annotations of the IdempotencyKey.
func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "idempotency_keys"}, entgql.Skip(entgql.SkipAll)}
}
