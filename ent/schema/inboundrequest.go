package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// InboundRequest is one request to an incoming endpoint, as the inbound log
// shows it: who sent it, what it matched and changed, and how it was
// answered. Requests to unknown endpoint keys are not recorded.
type InboundRequest struct {
	ent.Schema
}

// Mixin of the InboundRequest.
func (InboundRequest) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "inr_"}}
}

// Fields of the InboundRequest.
func (InboundRequest) Fields() []ent.Field {
	return []ent.Field{
		field.String("endpoint_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("received_at").Immutable().
			Annotations(entgql.OrderField("RECEIVED_AT")),
		field.String("client").Optional().Immutable().
			Comment("Who called: the OAuth client's ID (oac_…), the JWT's issuer and subject, or empty for HMAC and unauthenticated calls.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("remote_addr").Immutable().
			Comment("The caller's IP address.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Int("status").Immutable().
			Comment("The HTTP status of the answer.").
			Annotations(entgql.OrderField("STATUS")),
		field.Int("objects").Default(0).Immutable().
			Comment("How many objects the body held: 1 for an object, the length of a batch."),
		field.Strings("user_ids").Optional().Immutable().
			Comment("The users the request matched or created.").
			Annotations(entgql.Type("[ID!]"), entgql.MapsTo("userIds"), entgql.Skip(entgql.SkipWhereInput)),
		field.Strings("changed_fields").Optional().Immutable().
			Comment("The profile fields the request changed, on any of its users, sorted.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("error").Optional().Immutable().
			Comment("The error of the answer, or of the first object that failed; empty when none.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Bool("idempotent_replay").Default(false).Immutable().
			Comment("True when the answer was the stored answer to an earlier request with the same Idempotency-Key."),
		field.Text("body").Immutable().
			Comment("The request body, at most 64 KiB; bodyTruncated says whether more came.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Bool("body_truncated").Default(false).Immutable(),
		field.Int64("duration_ms").Default(0).Immutable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges of the InboundRequest.
func (InboundRequest) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", InboundEndpoint.Type).Ref("requests").Field("endpoint_id").
			Unique().Required().Immutable(),
	}
}

// Indexes of the InboundRequest.
func (InboundRequest) Indexes() []ent.Index {
	return []ent.Index{index.Fields("endpoint_id", "received_at"), index.Fields("received_at")}
}

// Annotations of the InboundRequest.
func (InboundRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
