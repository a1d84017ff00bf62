// Package profile is the user directory of profilehooks: the profile-field
// catalog (built-in, custom and event fields), the validation of profile
// values, and the user lifecycle (create, update profile, activate,
// deactivate). Every change writes its ProfileEvent in the same transaction.
package profile

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/predicate"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/ent/user"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/store"
)

// Source says where a change came from; it is recorded on its events.
type Source struct {
	Kind schematype.ChangeSource
	// ID is the incoming endpoint or webhook the change came through; empty
	// for the admin API.
	ID string
}

// AdminAPI is the Source of changes made through the GraphQL API.
var AdminAPI = Source{Kind: schematype.SourceAdminAPI}

// Change sets one profile field.
type Change struct {
	// Key is a catalog key: a built-in field name or "custom.<key>".
	Key string
	// Value is the new value in text form; nil or an empty string clears
	// the field.
	Value *string
	// Path names the input that carried the change; errors about it name
	// this path ("input.email", "input.customFields[2].value").
	Path string
}

// EventHook is called for every event in the transaction that records it,
// with that transaction's client; an error rolls the whole change back. The
// dispatcher uses it to write the event's deliveries (outbox).
type EventHook func(ctx context.Context, client *ent.Client, ev *ent.ProfileEvent) error

// Service changes users and records the events the changes cause. The zero
// value is ready to use: it reads time.Now and has no event hook.
type Service struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// OnEvent, if not nil, is called for every recorded event.
	OnEvent EventHook
	// LockRows makes a change lock the user's row before reading it
	// (SELECT … FOR UPDATE), so concurrent changes to one user see each
	// other's results: needed on PostgreSQL. SQLite serialises writers and
	// has no FOR UPDATE, so it leaves this off.
	LockRows bool
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// CreateUser creates a user from changes and records a CREATE_USER event.
// At least one identifier field must be set.
func (s *Service) CreateUser(ctx context.Context, changes []Change, active bool, src Source) (*ent.User, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := LoadCatalog(ctx, client)
	if err != nil {
		return nil, err
	}
	d, err := plan(ctx, client, cat, &ent.User{}, changes)
	if err != nil {
		return nil, err
	}
	if !d.hasIdentifier() {
		return nil, fault.Invalid("input", "at least one of %s is required", strings.Join(IdentifierKeys(), ", "))
	}
	now := s.now()
	create := client.User.Create().SetActive(active).SetCreatedAt(now).SetUpdatedAt(now).SetVersion(1)
	if len(d.custom) > 0 {
		create.SetCustomFields(d.custom)
	}
	for key, v := range d.builtins {
		if v != nil {
			if err := create.Mutation().SetField(builtinByKey[key].column, *v); err != nil {
				return nil, fmt.Errorf("profile: set %s: %w", key, err)
			}
		}
	}
	u, err := create.Save(ctx)
	if err != nil {
		return nil, saveError(err)
	}
	changed := append(d.changed, "active", "id")
	if err := s.record(ctx, client, schematype.EventUserCreated, u, changed, cat, src); err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateProfile applies changes to the user with the given id. Fields not
// named keep their values. When a value changed it records an
// UPDATE_USER_PROFILE event; when nothing changed it writes nothing and
// returns the user as it is.
func (s *Service) UpdateProfile(ctx context.Context, id string, changes []Change, src Source) (*ent.User, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.getUser(ctx, client, id)
	if err != nil {
		return nil, err
	}
	cat, err := LoadCatalog(ctx, client)
	if err != nil {
		return nil, err
	}
	d, err := plan(ctx, client, cat, u, changes)
	if err != nil {
		return nil, err
	}
	if len(d.changed) == 0 {
		return u, nil
	}
	if !d.hasIdentifier() {
		return nil, fault.Invalid("input", "a user must keep at least one of %s", strings.Join(IdentifierKeys(), ", "))
	}
	upd := client.User.UpdateOne(u).SetUpdatedAt(s.now()).SetCustomFields(d.custom).AddVersion(1)
	for key, v := range d.builtins {
		col := builtinByKey[key].column
		if v == nil {
			err = upd.Mutation().ClearField(col)
		} else {
			err = upd.Mutation().SetField(col, *v)
		}
		if err != nil {
			return nil, fmt.Errorf("profile: set %s: %w", key, err)
		}
	}
	u, err = upd.Save(ctx)
	if err != nil {
		return nil, saveError(err)
	}
	if err := s.record(ctx, client, schematype.EventUserUpdated, u, d.changed, cat, src); err != nil {
		return nil, err
	}
	return u, nil
}

// SetActive activates or deactivates the user with the given id and records
// an ACTIVATE_DEACTIVATE_USER event (user.activated or user.deactivated).
// A user already in that state is returned unchanged and no event is
// written, so the call is idempotent.
func (s *Service) SetActive(ctx context.Context, id string, active bool, src Source) (*ent.User, error) {
	client, err := store.ClientFrom(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.getUser(ctx, client, id)
	if err != nil {
		return nil, err
	}
	if u.Active == active {
		return u, nil
	}
	cat, err := LoadCatalog(ctx, client)
	if err != nil {
		return nil, err
	}
	u, err = client.User.UpdateOne(u).SetActive(active).SetUpdatedAt(s.now()).AddVersion(1).Save(ctx)
	if err != nil {
		return nil, saveError(err)
	}
	typ := schematype.EventUserDeactivated
	if active {
		typ = schematype.EventUserActivated
	}
	if err := s.record(ctx, client, typ, u, []string{"active"}, cat, src); err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) record(ctx context.Context, client *ent.Client, typ schematype.EventType, u *ent.User, changed []string, cat *Catalog, src Source) error {
	slices.Sort(changed)
	ev, err := client.ProfileEvent.Create().
		SetType(typ).
		SetTrigger(typ.Trigger()).
		SetUserID(u.ID).
		SetChangedFields(changed).
		SetSnapshot(cat.Snapshot(u)).
		SetSource(src.Kind).
		SetSourceID(src.ID).
		SetUserVersion(u.Version).
		SetOccurredAt(s.now()).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("profile: record %s event: %w", typ, err)
	}
	if s.OnEvent != nil {
		return s.OnEvent(ctx, client, ev)
	}
	return nil
}

func (s *Service) getUser(ctx context.Context, client *ent.Client, id string) (*ent.User, error) {
	q := client.User.Query().Where(user.ID(id))
	if s.LockRows {
		q = q.ForUpdate()
	}
	u, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.NotFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("profile: load user: %w", err)
	}
	return u, nil
}

// saveError turns a unique-index violation that slipped past the checks in
// plan (a concurrent writer on PostgreSQL) into a conflict.
func saveError(err error) error {
	if ent.IsConstraintError(err) {
		return &fault.ConflictError{Reason: "an identifier value is already used by another user"}
	}
	return fmt.Errorf("profile: save user: %w", err)
}

// draft is the outcome of plan: the built-in fields that change (nil
// clears), the complete new custom-field map and the changed keys.
type draft struct {
	builtins map[string]*string
	custom   map[string]string
	changed  []string
	ids      []string // identifier keys set after the change
}

func (d *draft) hasIdentifier() bool { return len(d.ids) > 0 }

// plan validates changes against u and the catalog and works out what
// changes. For a new user, u is the zero User.
func plan(ctx context.Context, client *ent.Client, cat *Catalog, u *ent.User, changes []Change) (*draft, error) {
	d := &draft{builtins: map[string]*string{}, custom: make(map[string]string, len(u.CustomFields))}
	for k, v := range u.CustomFields {
		d.custom[k] = v
	}
	paths := make(map[string]string, len(changes))
	for _, ch := range changes {
		f, ok := cat.Lookup(ch.Key)
		switch {
		case !ok:
			return nil, fault.Invalid(ch.Path, "unknown profile field %q", ch.Key)
		case f.ReadOnly:
			return nil, fault.Invalid(ch.Path, "profile field %q is read-only", ch.Key)
		case paths[ch.Key] != "":
			return nil, fault.Invalid(ch.Path, "profile field %q is already set by %s", ch.Key, paths[ch.Key])
		}
		paths[ch.Key] = ch.Path
		var v *string
		if ch.Value != nil && strings.TrimSpace(*ch.Value) != "" {
			n, err := Normalize(f, *ch.Value)
			if err != nil {
				return nil, fault.Invalid(ch.Path, "%s", err)
			}
			v = &n
		}
		if f.Custom {
			d.setCustom(strings.TrimPrefix(f.Key, CustomPrefix), v)
			continue
		}
		if old := f.get(u); !equal(old, v) {
			d.builtins[f.Key] = v
			d.changed = append(d.changed, f.Key)
		}
	}
	for _, key := range IdentifierKeys() {
		v, changed := d.builtins[key]
		if !changed {
			if builtinByKey[key].get(u) != nil {
				d.ids = append(d.ids, key)
			}
			continue
		}
		if v == nil {
			continue
		}
		d.ids = append(d.ids, key)
		if err := checkUnique(ctx, client, key, *v, u.ID, paths[key]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *draft) setCustom(key string, v *string) {
	old, had := d.custom[key]
	switch {
	case v == nil && had:
		delete(d.custom, key)
	case v != nil && (!had || old != *v):
		d.custom[key] = *v
	default:
		return
	}
	d.changed = append(d.changed, CustomPrefix+key)
}

func checkUnique(ctx context.Context, client *ent.Client, key, value, self, path string) error {
	q := client.User.Query().Where(predicate.User(entsql.FieldEQ(builtinByKey[key].column, value)))
	if self != "" {
		q = q.Where(user.IDNEQ(self))
	}
	other, err := q.FirstID(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("profile: check %s: %w", key, err)
	}
	return fault.Conflict(path, "%s %q is already used by user %s", key, value, other)
}

func equal(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
