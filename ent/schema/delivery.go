package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// Delivery is one event on its way to one webhook. It is written in the
// transaction of its event (outbox) with the exact body every attempt sends;
// its ID is the webhook-id header, the same on every retry and redelivery.
type Delivery struct {
	ent.Schema
}

// Mixin of the Delivery.
func (Delivery) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "dlv_"}, TimeMixin{}}
}

// Fields of the Delivery.
func (Delivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("webhook_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("event_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("user_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int64("sequence").Immutable().
			Comment("The user's version the event produced; deliveries of one webhook and user go out in this order.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("trigger").GoType(schematype.Trigger("")).Immutable().
			Annotations(entgql.Type("ProfileTrigger")),
		field.String("event_type").GoType(schematype.EventType("")).Immutable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Enum("status").GoType(schematype.DeliveryStatus("")).
			Default(string(schematype.DeliveryPending)).
			Annotations(entgql.Type("DeliveryStatus"), entgql.OrderField("STATUS")),
		field.Int("attempt_count").Default(0).NonNegative(),
		field.Int("retry_base").Default(0).NonNegative().
			Comment("attemptCount when the delivery was last redelivered; the retry schedule counts from it.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("next_attempt_at").Optional().Nillable().
			Comment("When the next attempt is due; null once the delivery is finished.").
			Annotations(entgql.OrderField("NEXT_ATTEMPT_AT")),
		field.String("last_error").Optional().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Bytes("body").Immutable().
			Comment("The JSON body every attempt sends.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("test").Default(false).Immutable().
			Comment("True for deliveries made by testProfileWebhook."),
		field.String("lease_owner").Optional().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("lease_expires_at").Optional().Nillable().
			Comment("A claimed delivery is owned by one dispatcher until then; an expired lease is claimed again.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("finished_at").Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Bool("waiting").Default(false).
			Comment("True while an earlier open delivery of the same webhook and user goes first; the claim skips waiting deliveries, and the lane's next one stops waiting when the one before it finishes.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Delivery.
func (Delivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("webhook", ProfileWebhook.Type).Ref("deliveries").Field("webhook_id").Unique().Required().Immutable(),
		edge.To("event", ProfileEvent.Type).Field("event_id").Unique().Required().Immutable(),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
		// GraphQL exposes attempts as [DeliveryAttempt!]! in profilehooks.graphql.
		edge.To("attempts", DeliveryAttempt.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipType)),
	}
}

// Indexes of the Delivery.
func (Delivery) Indexes() []ent.Index {
	return []ent.Index{
		// Listing and filtering by status.
		index.Fields("status", "next_attempt_at"),
		// The claim: lane heads by due time, first attempts and retries
		// apart, so a claim reads the heads it takes and never the backlog
		// waiting behind them. Queries state these predicates in the same
		// words (dispatcher.dueWith) so both planners match them.
		// The status leads, although the predicate fixes it, so SQLite's
		// planner ranks these above the general (status, next_attempt_at)
		// index.
		index.Fields("status", "next_attempt_at", "id").
			StorageKey("delivery_due_pending").
			Annotations(entsql.IndexWhere("status = 'PENDING' AND test = false AND waiting = false")),
		index.Fields("status", "next_attempt_at", "id").
			StorageKey("delivery_due_retrying").
			Annotations(entsql.IndexWhere("status = 'RETRYING' AND test = false AND waiting = false")),
		// Lanes (one webhook's deliveries for one user, in sequence order):
		// the oldest open delivery of a lane, and whether a lane is busy.
		// Only open deliveries are indexed, so these never read a lane's
		// finished history.
		index.Fields("webhook_id", "user_id", "sequence").
			StorageKey("delivery_open_lane").
			Annotations(entsql.IndexWhere("status IN ('PENDING', 'RETRYING') AND test = false")),
		// Whether a lane has a delivery that is not waiting.
		index.Fields("webhook_id", "user_id").
			StorageKey("delivery_lane_head").
			Annotations(entsql.IndexWhere("status IN ('PENDING', 'RETRYING') AND test = false AND waiting = false")),
		// Listing, replay and retention.
		index.Fields("created_at"),
	}
}

// Annotations of the Delivery.
func (Delivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// DeliveryAttempt is one try of a delivery: what was sent, what came back,
// how long it took and how it failed.
type DeliveryAttempt struct {
	ent.Schema
}

// Mixin of the DeliveryAttempt.
func (DeliveryAttempt) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "att_"}}
}

// Fields of the DeliveryAttempt.
func (DeliveryAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.String("delivery_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("number").Immutable().Positive(),
		field.String("request_url").Immutable().Annotations(entgql.MapsTo("requestUrl")),
		field.JSON("request_headers", []schematype.HTTPHeader{}).Immutable().
			Comment("Headers sent, credentials redacted.").
			Annotations(entgql.Type("[HttpHeader!]")),
		field.String("request_body").Immutable(),
		field.Int("response_status").Optional().Nillable().Immutable(),
		field.JSON("response_headers", []schematype.HTTPHeader{}).Optional().Immutable().
			Annotations(entgql.Type("[HttpHeader!]")),
		field.String("response_body").Optional().Immutable().
			Comment("At most 64 KiB; responseBodyTruncated says whether more came."),
		field.Bool("response_body_truncated").Default(false).Immutable(),
		field.Int64("duration_ms").Immutable(),
		field.String("error_class").Optional().Nillable().Immutable().
			Comment("timeout, dns, connection, tls, ssrf_blocked, http_status, response_mapping or oauth_token."),
		field.String("error").Optional().Immutable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Time("created_at").Immutable().Default(time.Now).
			Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// Edges of the DeliveryAttempt.
func (DeliveryAttempt) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("delivery", Delivery.Type).Ref("attempts").Field("delivery_id").Unique().Required().Immutable(),
	}
}

// Indexes of the DeliveryAttempt.
func (DeliveryAttempt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("delivery_id", "number"), index.Fields("created_at")}
}

// Annotations of the DeliveryAttempt.
func (DeliveryAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
