package profile

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/customprofilefield"
	"github.com/profilehooks/profilehooks/ent/predicate"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/ent/user"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/store"
)

// customKey is the form of a custom field's key: lower camel case.
var customKey = regexp.MustCompile(`^[a-z][a-zA-Z0-9]{0,62}$`)

// MaxLabelLength is the longest label or name accepted, in bytes.
const MaxLabelLength = 200

// CustomFieldSpec describes a custom field to create.
type CustomFieldSpec struct {
	Key     string
	Label   string
	Type    schematype.FieldType
	Options []string
}

// CustomFieldPatch changes a custom field; nil members keep their values.
type CustomFieldPatch struct {
	Label   *string
	Options []string
}

// MappingUser is implemented by whatever stores mappings (webhooks,
// endpoints): it names the first configuration that maps key, or returns
// "" when none does.
type MappingUser func(ctx context.Context, client *ent.Client, key string) (string, error)

// CreateCustomField defines a new custom profile field.
func (s *Service) CreateCustomField(ctx context.Context, spec CustomFieldSpec) (*ent.CustomProfileField, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	if !customKey.MatchString(spec.Key) {
		return nil, fault.Invalid("input.key", "%q must be lower camel case: a letter, then letters and digits, at most 63 in all", spec.Key)
	}
	label, err := CheckName(spec.Label)
	if err != nil {
		return nil, fault.Invalid("input.label", "%s", err)
	}
	if !slices.Contains(schematype.CustomFieldTypes, spec.Type) {
		return nil, fault.Invalid("input.type", "%s is not a type custom fields may have", spec.Type)
	}
	if err := checkOptions(spec.Type, spec.Options); err != nil {
		return nil, err
	}
	exists, err := client.CustomProfileField.Query().Where(customprofilefield.Key(spec.Key)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("profile: check custom field key: %w", err)
	}
	if exists {
		return nil, fault.Conflict("input.key", "a custom field with key %q exists already", spec.Key)
	}
	now := s.now()
	return client.CustomProfileField.Create().
		SetKey(spec.Key).
		SetLabel(label).
		SetType(spec.Type).
		SetOptions(spec.Options).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
}

// UpdateCustomField changes the label or, of a SELECT field, the options of
// a custom field. Options that users hold may not be removed.
func (s *Service) UpdateCustomField(ctx context.Context, id string, p CustomFieldPatch) (*ent.CustomProfileField, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	def, err := getCustomField(ctx, client, id)
	if err != nil {
		return nil, err
	}
	upd := client.CustomProfileField.UpdateOne(def).SetUpdatedAt(s.now())
	if p.Label != nil {
		label, err := CheckName(*p.Label)
		if err != nil {
			return nil, fault.Invalid("input.label", "%s", err)
		}
		upd.SetLabel(label)
	}
	if p.Options != nil {
		if err := checkOptions(def.Type, p.Options); err != nil {
			return nil, err
		}
		for _, old := range def.Options {
			if slices.Contains(p.Options, old) {
				continue
			}
			held, err := client.User.Query().Where(customValueIs(def.Key, old)).Exist(ctx)
			if err != nil {
				return nil, fmt.Errorf("profile: check option use: %w", err)
			}
			if held {
				return nil, fault.Conflict("input.options", "option %q is held by users; change their values first", old)
			}
		}
		upd.SetOptions(p.Options)
	}
	return upd.Save(ctx)
}

// DeleteCustomField deletes a custom field and clears its value on every
// user that holds one, recording an UPDATE_USER_PROFILE event for each. It
// is refused while inUse names a configuration that maps the field.
func (s *Service) DeleteCustomField(ctx context.Context, id string, inUse MappingUser) (string, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return "", err
	}
	def, err := getCustomField(ctx, client, id)
	if err != nil {
		return "", err
	}
	if inUse != nil {
		by, err := inUse(ctx, client, CustomPrefix+def.Key)
		if err != nil {
			return "", err
		}
		if by != "" {
			return "", fault.Conflict("id", "custom field %q is mapped by %s; remove the mapping first", def.Key, by)
		}
	}
	holders, err := client.User.Query().Where(hasCustomValue(def.Key)).All(ctx)
	if err != nil {
		return "", fmt.Errorf("profile: find values of %s: %w", def.Key, err)
	}
	if err := client.CustomProfileField.DeleteOne(def).Exec(ctx); err != nil {
		return "", fmt.Errorf("profile: delete custom field: %w", err)
	}
	cat, err := LoadCatalog(ctx, client)
	if err != nil {
		return "", err
	}
	for _, u := range holders {
		values := make(map[string]string, len(u.CustomFields))
		for k, v := range u.CustomFields {
			if k != def.Key {
				values[k] = v
			}
		}
		u, err := client.User.UpdateOne(u).SetCustomFields(values).SetUpdatedAt(s.now()).AddVersion(1).Save(ctx)
		if err != nil {
			return "", fmt.Errorf("profile: clear %s: %w", def.Key, err)
		}
		if err := s.record(ctx, client, schematype.EventUserUpdated, u, []string{CustomPrefix + def.Key}, cat, AdminAPI); err != nil {
			return "", err
		}
	}
	return def.ID, nil
}

func getCustomField(ctx context.Context, client *ent.Client, id string) (*ent.CustomProfileField, error) {
	def, err := client.CustomProfileField.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("custom profile field", id)
	}
	if err != nil {
		return nil, fmt.Errorf("profile: load custom field: %w", err)
	}
	return def, nil
}

func checkOptions(t schematype.FieldType, options []string) error {
	if t != schematype.FieldSelect {
		if len(options) > 0 {
			return fault.Invalid("input.options", "only SELECT fields have options")
		}
		return nil
	}
	if len(options) == 0 {
		return fault.Invalid("input.options", "a SELECT field needs at least one option")
	}
	for i, o := range options {
		path := fmt.Sprintf("input.options[%d]", i)
		switch {
		case strings.TrimSpace(o) != o || o == "":
			return fault.Invalid(path, "options must be non-empty and not start or end with white space")
		case len(o) > MaxLabelLength:
			return fault.Invalid(path, "longer than %d bytes", MaxLabelLength)
		case slices.Index(options, o) < i:
			return fault.Invalid(path, "option %q is listed twice", o)
		}
	}
	return nil
}

// CheckName trims a name or label and checks that it is not empty and not
// too long.
func CheckName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", fmt.Errorf("must not be empty")
	case len(s) > MaxLabelLength:
		return "", fmt.Errorf("longer than %d bytes", MaxLabelLength)
	}
	return s, nil
}

func hasCustomValue(key string) predicate.User {
	return func(s *entsql.Selector) {
		s.Where(sqljson.HasKey(s.C(user.FieldCustomFields), sqljson.Path(key)))
	}
}

func customValueIs(key, value string) predicate.User {
	return func(s *entsql.Selector) {
		s.Where(sqljson.ValueEQ(s.C(user.FieldCustomFields), value, sqljson.Path(key)))
	}
}
