package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// CustomProfileField is an admin-defined profile field. Mappings name it
// "custom.<key>"; users hold its values by key.
type CustomProfileField struct {
	ent.Schema
}

// Mixin of the CustomProfileField.
func (CustomProfileField) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "cpf_"}, TimeMixin{}}
}

// Fields of the CustomProfileField.
func (CustomProfileField) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Unique().Immutable().NotEmpty().
			Annotations(entgql.OrderField("KEY")),
		field.String("label").NotEmpty().
			Annotations(entgql.OrderField("LABEL")),
		field.Enum("type").GoType(schematype.FieldType("")).
			Annotations(entgql.Type("ProfileFieldType")),
		field.Strings("options").Optional().
			Comment("The allowed values of a SELECT field, in display order."),
	}
}

// Annotations of the CustomProfileField.
func (CustomProfileField) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}
