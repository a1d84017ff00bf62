package schema

import (
	"crypto/rand"
	"sync"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/oklog/ulid/v2"
)

// IDMixin gives a type string IDs made of a type prefix and a ULID
// ("usr_01J…"), so IDs are unique across types and sort by creation time.
// The prefix lets the Relay node resolver find the table without a query.
type IDMixin struct {
	mixin.Schema
	// Prefix is the type's prefix, including its trailing underscore.
	Prefix string
}

// Fields of the IDMixin.
func (m IDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			DefaultFunc(func() string { return NewID(m.Prefix) }),
	}
}

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns a new ID with the given type prefix.
func NewID(prefix string) string {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	return prefix + ulid.MustNew(ulid.Timestamp(time.Now()), entropy).String()
}

// TimeMixin adds createdAt and updatedAt, orderable in GraphQL.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Immutable().Default(time.Now).
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}
