package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User holds one person of the directory: the built-in profile fields, the
// values of custom fields, and whether the account is active. Users are never
// deleted, only deactivated, so their events and deliveries keep a target.
type User struct {
	ent.Schema
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "usr_"}, TimeMixin{}}
}

// textField describes an optional, clearable built-in text field.
type textField struct {
	name, gqlName string
	unique        bool
	orderBy       string
	comment       string
}

func (t textField) field() ent.Field {
	ants := []schema.Annotation{entgql.MapsTo(t.gqlName)}
	if t.orderBy != "" {
		ants = append(ants, entgql.OrderField(t.orderBy))
	}
	if t.name == "hire_date" {
		ants = append(ants, entgql.Type("Date"))
	}
	// MapsTo names the GraphQL field after the profile-field key
	// (employeeId); the generated where-inputs keep ent's own naming
	// (employeeID, employeeIDNEQ, …).
	b := field.String(t.name).Optional().Nillable().
		Comment(t.comment).Annotations(ants...)
	if t.unique {
		b = b.Unique()
	}
	return b
}

// Fields of the User. The GraphQL names are the profile-field keys of the
// catalog in package profile.
func (User) Fields() []ent.Field {
	texts := []textField{
		{name: "email", gqlName: "email", unique: true, orderBy: "EMAIL"},
		{name: "user_name", gqlName: "userName", unique: true, orderBy: "USER_NAME"},
		{name: "employee_id", gqlName: "employeeId", unique: true},
		{name: "external_id", gqlName: "externalId", unique: true},
		{name: "first_name", gqlName: "firstName"},
		{name: "last_name", gqlName: "lastName", orderBy: "LAST_NAME"},
		{name: "display_name", gqlName: "displayName", orderBy: "DISPLAY_NAME"},
		{name: "job_title", gqlName: "jobTitle"},
		{name: "department", gqlName: "department", orderBy: "DEPARTMENT"},
		{name: "division", gqlName: "division"},
		{name: "cost_center", gqlName: "costCenter"},
		{name: "manager_email", gqlName: "managerEmail"},
		{name: "work_phone", gqlName: "workPhone"},
		{name: "mobile_phone", gqlName: "mobilePhone"},
		{name: "office_location", gqlName: "officeLocation"},
		{name: "city", gqlName: "city"},
		{name: "country", gqlName: "country"},
		{name: "time_zone", gqlName: "timeZone"},
		{name: "locale", gqlName: "locale"},
		{name: "hire_date", gqlName: "hireDate", orderBy: "HIRE_DATE", comment: "ISO-8601 calendar date, YYYY-MM-DD."},
	}
	fields := make([]ent.Field, 0, len(texts)+2)
	for _, t := range texts {
		fields = append(fields, t.field())
	}
	return append(fields,
		field.Bool("active").Default(true),
		field.Int64("version").Default(0).
			Comment("Incremented by every change; orders the user's events and deliveries.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.JSON("custom_fields", map[string]string{}).
			Optional().
			Comment("Values of custom profile fields by key, in their canonical text form.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	)
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("events", ProfileEvent.Type).Ref("user").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("active"), index.Fields("last_name")}
}

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}
