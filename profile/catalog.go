package profile

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/customprofilefield"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// CustomPrefix starts the key of every custom field in mappings and
// snapshots: "custom.badgeNumber".
const CustomPrefix = "custom."

// EventPrefix starts the keys of the read-only event fields that request
// parameters may send: "event.id", "event.type", "event.occurredAt".
const EventPrefix = "event."

// Field is one entry of the profile-field catalog: what the mapping
// drop-downs list and what mappings may name.
type Field struct {
	// Key is the name mappings use: a User field name, CustomPrefix+key,
	// or EventPrefix+name.
	Key   string
	Label string
	Type  schematype.FieldType
	// Custom is true for admin-defined fields.
	Custom bool
	// Identifier is true for the fields that find a user; their values are
	// unique among users.
	Identifier bool
	// ReadOnly is true for fields that response and input parameters may not
	// write.
	ReadOnly bool
	// Options are the allowed values of a SELECT field; nil otherwise.
	Options []string

	column string                  // the ent column of a built-in text field
	get    func(*ent.User) *string // its value on a user
}

// Writable reports whether response and input parameters may write f.
func (f Field) Writable() bool { return !f.ReadOnly }

func text(key, label, column string, typ schematype.FieldType, get func(*ent.User) *string) Field {
	return Field{Key: key, Label: label, Type: typ, column: column, get: get}
}

func identifier(f Field) Field {
	f.Identifier = true
	return f
}

// builtins are the built-in profile fields in the order the console lists
// them. The keys are also the User fields of the GraphQL API.
var builtins = []Field{
	{Key: "id", Label: "User ID", Type: schematype.FieldText, ReadOnly: true},
	identifier(text("email", "Email", "email", schematype.FieldEmail, func(u *ent.User) *string { return u.Email })),
	identifier(text("userName", "User name", "user_name", schematype.FieldText, func(u *ent.User) *string { return u.UserName })),
	identifier(text("employeeId", "Employee ID", "employee_id", schematype.FieldText, func(u *ent.User) *string { return u.EmployeeID })),
	identifier(text("externalId", "External ID", "external_id", schematype.FieldText, func(u *ent.User) *string { return u.ExternalID })),
	text("firstName", "First name", "first_name", schematype.FieldText, func(u *ent.User) *string { return u.FirstName }),
	text("lastName", "Last name", "last_name", schematype.FieldText, func(u *ent.User) *string { return u.LastName }),
	text("displayName", "Display name", "display_name", schematype.FieldText, func(u *ent.User) *string { return u.DisplayName }),
	text("jobTitle", "Job title", "job_title", schematype.FieldText, func(u *ent.User) *string { return u.JobTitle }),
	text("department", "Department", "department", schematype.FieldText, func(u *ent.User) *string { return u.Department }),
	text("division", "Division", "division", schematype.FieldText, func(u *ent.User) *string { return u.Division }),
	text("costCenter", "Cost center", "cost_center", schematype.FieldText, func(u *ent.User) *string { return u.CostCenter }),
	text("managerEmail", "Manager email", "manager_email", schematype.FieldEmail, func(u *ent.User) *string { return u.ManagerEmail }),
	text("workPhone", "Work phone", "work_phone", schematype.FieldText, func(u *ent.User) *string { return u.WorkPhone }),
	text("mobilePhone", "Mobile phone", "mobile_phone", schematype.FieldText, func(u *ent.User) *string { return u.MobilePhone }),
	text("officeLocation", "Office location", "office_location", schematype.FieldText, func(u *ent.User) *string { return u.OfficeLocation }),
	text("city", "City", "city", schematype.FieldText, func(u *ent.User) *string { return u.City }),
	text("country", "Country", "country", schematype.FieldText, func(u *ent.User) *string { return u.Country }),
	text("timeZone", "Time zone", "time_zone", schematype.FieldText, func(u *ent.User) *string { return u.TimeZone }),
	text("locale", "Locale", "locale", schematype.FieldText, func(u *ent.User) *string { return u.Locale }),
	text("hireDate", "Hire date", "hire_date", schematype.FieldDate, func(u *ent.User) *string { return u.HireDate }),
	{Key: "active", Label: "Active", Type: schematype.FieldBoolean, ReadOnly: true},
	{Key: "createdAt", Label: "Created at", Type: schematype.FieldDateTime, ReadOnly: true},
	{Key: "updatedAt", Label: "Updated at", Type: schematype.FieldDateTime, ReadOnly: true},
}

// eventFields are the pseudo fields of the event being delivered.
var eventFields = []Field{
	{Key: EventPrefix + "id", Label: "Event ID", Type: schematype.FieldText, ReadOnly: true},
	{Key: EventPrefix + "type", Label: "Event type", Type: schematype.FieldText, ReadOnly: true},
	{Key: EventPrefix + "occurredAt", Label: "Event time", Type: schematype.FieldDateTime, ReadOnly: true},
}

var builtinByKey = func() map[string]Field {
	m := make(map[string]Field, len(builtins))
	for _, f := range builtins {
		m[f.Key] = f
	}
	return m
}()

// IdentifierKeys lists the keys of the identifier fields.
func IdentifierKeys() []string {
	var keys []string
	for _, f := range builtins {
		if f.Identifier {
			keys = append(keys, f.Key)
		}
	}
	return keys
}

// Catalog is the set of profile fields at one moment: the built-in fields,
// the custom fields defined then, and the event fields. The zero value holds
// nothing; use LoadCatalog.
type Catalog struct {
	fields []Field
	byKey  map[string]Field
}

// LoadCatalog reads the custom field definitions with client (one query)
// and returns the whole catalog.
func LoadCatalog(ctx context.Context, client *ent.Client) (*Catalog, error) {
	defs, err := client.CustomProfileField.Query().
		Order(ent.Asc(customprofilefield.FieldKey)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("profile: load custom fields: %w", err)
	}
	return NewCatalog(defs), nil
}

// NewCatalog returns the catalog of the built-in fields, the given custom
// field definitions (listed by key) and the event fields.
func NewCatalog(defs []*ent.CustomProfileField) *Catalog {
	c := &Catalog{
		fields: make([]Field, 0, len(builtins)+len(defs)+len(eventFields)),
		byKey:  make(map[string]Field, len(builtins)+len(defs)+len(eventFields)),
	}
	c.fields = append(c.fields, builtins...)
	customs := make([]Field, 0, len(defs))
	for _, d := range defs {
		customs = append(customs, customField(d))
	}
	sort.Slice(customs, func(i, j int) bool { return customs[i].Key < customs[j].Key })
	c.fields = append(c.fields, customs...)
	c.fields = append(c.fields, eventFields...)
	for _, f := range c.fields {
		c.byKey[f.Key] = f
	}
	return c
}

func customField(d *ent.CustomProfileField) Field {
	return Field{
		Key:     CustomPrefix + d.Key,
		Label:   d.Label,
		Type:    d.Type,
		Custom:  true,
		Options: d.Options,
	}
}

// Fields returns every field: built-in first, then custom by key, then the
// event fields. The caller must not modify the slice.
func (c *Catalog) Fields() []Field { return c.fields }

// Lookup returns the field with the given key.
func (c *Catalog) Lookup(key string) (Field, bool) {
	f, ok := c.byKey[key]
	return f, ok
}

// IsEventField reports whether key names an event pseudo field.
func IsEventField(key string) bool { return strings.HasPrefix(key, EventPrefix) }

// Snapshot returns the profile of u by field key, typed as the JSON body of a
// webhook carries it: strings, booleans, numbers, ISO-8601 dates and RFC 3339
// times, and nil for unset fields. Custom fields appear for every definition
// in the catalog; event fields do not appear.
func (c *Catalog) Snapshot(u *ent.User) map[string]any {
	snap := make(map[string]any, len(c.fields))
	for _, f := range c.fields {
		switch {
		case f.get != nil:
			snap[f.Key] = optional(f.get(u))
		case f.Custom:
			v, ok := u.CustomFields[strings.TrimPrefix(f.Key, CustomPrefix)]
			if !ok {
				snap[f.Key] = nil
				continue
			}
			snap[f.Key] = typed(f.Type, v)
		}
	}
	snap["id"] = u.ID
	snap["active"] = u.Active
	snap["createdAt"] = u.CreatedAt.UTC().Format(time.RFC3339Nano)
	snap["updatedAt"] = u.UpdatedAt.UTC().Format(time.RFC3339Nano)
	return snap
}

func optional(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// Fields returns the whole catalog as Query.profileFields lists it.
func Fields(ctx context.Context, client *ent.Client) ([]*Field, error) {
	cat, err := LoadCatalog(ctx, client)
	if err != nil {
		return nil, err
	}
	out := make([]*Field, len(cat.fields))
	for i := range cat.fields {
		out[i] = &cat.fields[i]
	}
	return out, nil
}
