package inbound

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/predicate"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/ent/user"
	"github.com/profilehooks/profilehooks/mapping"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/store"
)

// The statuses of an applied object.
const (
	StatusCreated   = "created"
	StatusUpdated   = "updated"
	StatusUnchanged = "unchanged"
)

// activeKey is the catalog key of the active flag, which input parameters
// may map: it activates or deactivates the user.
const activeKey = "active"

// identifierPredicates find a user by an identifier field's canonical
// value; it has an entry for each of profile.IdentifierKeys.
var identifierPredicates = map[string]func(string) predicate.User{
	"email":      user.Email,
	"userName":   user.UserName,
	"employeeId": user.EmployeeID,
	"externalId": user.ExternalID,
}

// plan is an endpoint's input parameters resolved against the profile
// catalog, once per request.
type plan struct {
	endpoint *ent.InboundEndpoint
	cat      *profile.Catalog
	rows     []row
}

// row is one input parameter.
type row struct {
	apiField   string
	path       mapping.Path
	field      profile.Field
	identifier bool
}

// newPlan resolves ep's input parameters with the catalog client reads.
func newPlan(ctx context.Context, client *ent.Client, ep *ent.InboundEndpoint) (*plan, error) {
	cat, err := profile.LoadCatalog(ctx, client)
	if err != nil {
		return nil, err
	}
	p := &plan{endpoint: ep, cat: cat, rows: make([]row, 0, len(ep.InputParameters))}
	for _, in := range ep.InputParameters {
		path, err := mapping.ParsePath(in.APIField)
		if err != nil {
			return nil, fmt.Errorf("inbound: endpoint %s: %w", ep.ID, err)
		}
		f, ok := cat.Lookup(in.ProfileField)
		if !ok {
			return nil, fmt.Errorf("inbound: endpoint %s maps unknown profile field %q", ep.ID, in.ProfileField)
		}
		if in.UserIdentifier && identifierPredicates[f.Key] == nil {
			return nil, fmt.Errorf("inbound: endpoint %s identifies users by %q, which is no identifier field", ep.ID, f.Key)
		}
		p.rows = append(p.rows, row{apiField: in.APIField, path: path, field: f, identifier: in.UserIdentifier})
	}
	return p, nil
}

// MappedValue is the value one input parameter read from an object.
type MappedValue struct {
	APIField     string
	ProfileField string
	// Present is false when the object has nothing at APIField.
	Present bool
	// Value is the JSON value read (nil for null or when not present).
	Value any
}

// FieldChange is the change of one profile field, typed as in event
// snapshots: nil for unset.
type FieldChange struct {
	ProfileField string
	From         any
	To           any
}

// outcome is what applying one object did, or would do.
type outcome struct {
	mapped  []MappedValue
	before  *ent.User // the matched user before the change; nil when created
	after   *ent.User // the user after the change
	status  string
	changes []FieldChange
	ignored []string
}

// changedFields returns the keys of the changed profile fields, sorted
// as events list them.
func (o *outcome) changedFields() []string {
	out := make([]string, len(o.changes))
	for i, c := range o.changes {
		out[i] = c.ProfileField
	}
	slices.Sort(out)
	return out
}

// apply maps one decoded JSON object through p and makes the changes in the
// transaction of ctx's ent client. The outcome is returned with an error
// too, as far as it got. Errors that are the caller's are *Error.
func (h *Handler) apply(ctx context.Context, p *plan, obj any) (*outcome, error) {
	m, ok := obj.(map[string]any)
	if !ok {
		return &outcome{}, newError(http.StatusUnprocessableEntity, CodeInvalidPayload, "each object must be a JSON object, not %s", jsonKind(obj))
	}
	o := &outcome{ignored: ignoredFields(m, p.rows), mapped: p.values(m)}
	client := ent.FromContext(ctx)
	if client == nil {
		return o, store.ErrNoClient
	}
	u, decider, err := p.identify(ctx, client, o.mapped)
	if err != nil {
		return o, err
	}
	changes, active, err := p.changes(o.mapped)
	if err != nil {
		return o, err
	}
	src := profile.Source{Kind: schematype.SourceInboundEndpoint, ID: p.endpoint.ID}
	if u == nil {
		if p.endpoint.OnUnknownUser != schematype.UnknownUserCreate {
			return o, fieldError(http.StatusUnprocessableEntity, CodeUserNotFound, decider.APIField,
				"no user has %s %q", decider.ProfileField, fmt.Sprint(decider.Value))
		}
		o.after, err = h.cfg.Profiles.CreateUser(ctx, changes, active == nil || *active, src)
		o.status = StatusCreated
	} else {
		o.before = u
		o.after, err = h.update(ctx, u, changes, active, src)
		o.status = StatusUnchanged
		if err == nil && o.after.Version != u.Version {
			o.status = StatusUpdated
		}
	}
	if err != nil {
		return o, err
	}
	o.changes = p.diff(o.before, o.after)
	return o, nil
}

// update changes u's profile, then its active flag when mapped.
func (h *Handler) update(ctx context.Context, u *ent.User, changes []profile.Change, active *bool, src profile.Source) (*ent.User, error) {
	after := u
	var err error
	if len(changes) > 0 {
		if after, err = h.cfg.Profiles.UpdateProfile(ctx, u.ID, changes, src); err != nil {
			return nil, err
		}
	}
	if active != nil {
		if after, err = h.cfg.Profiles.SetActive(ctx, u.ID, *active, src); err != nil {
			return nil, err
		}
	}
	return after, nil
}

// values reads every row's value from m.
func (p *plan) values(m map[string]any) []MappedValue {
	out := make([]MappedValue, len(p.rows))
	for i, r := range p.rows {
		v, ok := mapping.Get(m, r.path)
		out[i] = MappedValue{APIField: r.apiField, ProfileField: r.field.Key, Present: ok, Value: v}
	}
	return out
}

// identify finds the user: the first identifier row with a value decides;
// an identifier value of another row that belongs to a different user is
// a conflict. It returns a nil user when the deciding value matches
// nobody, and the deciding value.
func (p *plan) identify(ctx context.Context, client *ent.Client, vals []MappedValue) (*ent.User, *MappedValue, error) {
	var (
		u       *ent.User
		snap    map[string]any
		decider *MappedValue
	)
	for i := range vals {
		v := &vals[i]
		if !p.rows[i].identifier || !v.Present || blank(v.Value) {
			continue
		}
		s, err := identifierText(p.rows[i], v.Value)
		if err != nil {
			return nil, nil, err
		}
		if decider == nil {
			decider = v
			if u, err = findUser(ctx, client, v.ProfileField, s); err != nil {
				return nil, nil, err
			}
			if u != nil {
				snap = p.cat.Snapshot(u)
			}
			continue
		}
		if u != nil && snap[v.ProfileField] == s {
			continue
		}
		other, err := findUser(ctx, client, v.ProfileField, s)
		switch {
		case err != nil:
			return nil, nil, err
		case other == nil:
			continue
		case u == nil:
			return nil, nil, fieldError(http.StatusConflict, CodeIdentifierConflict, v.APIField,
				"%s %q matches no user, but %s %q belongs to user %s", decider.ProfileField, fmt.Sprint(decider.Value), v.ProfileField, s, other.ID)
		case other.ID != u.ID:
			return nil, nil, fieldError(http.StatusConflict, CodeIdentifierConflict, v.APIField,
				"%s %q belongs to user %s, but %s %q to user %s", decider.ProfileField, fmt.Sprint(decider.Value), u.ID, v.ProfileField, s, other.ID)
		}
	}
	if decider == nil {
		return nil, nil, p.noIdentifier()
	}
	return u, decider, nil
}

func (p *plan) noIdentifier() *Error {
	var names []string
	for _, r := range p.rows {
		if r.identifier {
			names = append(names, r.apiField)
		}
	}
	field := ""
	if len(names) > 0 {
		field = names[0]
	}
	return fieldError(http.StatusUnprocessableEntity, CodeNoIdentifier, field,
		"the object has no value for any identifier field (%s)", strings.Join(names, ", "))
}

// changes turns the present values into profile changes, and the active
// flag when mapped.
func (p *plan) changes(vals []MappedValue) ([]profile.Change, *bool, error) {
	var (
		out    []profile.Change
		active *bool
	)
	for i, v := range vals {
		if !v.Present {
			continue
		}
		r := p.rows[i]
		if r.field.Key == activeKey {
			b, err := activeValue(r, v.Value)
			if err != nil {
				return nil, nil, err
			}
			active = &b
			continue
		}
		text, err := jsonText(r.field.Type, v.Value)
		if err != nil {
			return nil, nil, fieldError(http.StatusUnprocessableEntity, CodeInvalidValue, r.apiField, "%s", err)
		}
		out = append(out, profile.Change{Key: r.field.Key, Value: text, Path: r.apiField})
	}
	return out, active, nil
}

// diff lists the writable profile fields (and active) whose values differ
// between before (nil: a new user) and after, in catalog order.
func (p *plan) diff(before, after *ent.User) []FieldChange {
	var b map[string]any
	if before != nil {
		b = p.cat.Snapshot(before)
	}
	a := p.cat.Snapshot(after)
	var out []FieldChange
	for _, f := range p.cat.Fields() {
		if f.ReadOnly && f.Key != activeKey {
			continue
		}
		if !reflect.DeepEqual(b[f.Key], a[f.Key]) {
			out = append(out, FieldChange{ProfileField: f.Key, From: b[f.Key], To: a[f.Key]})
		}
	}
	return out
}

func findUser(ctx context.Context, client *ent.Client, key, value string) (*ent.User, error) {
	u, err := client.User.Query().Where(identifierPredicates[key](value)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inbound: find user by %s: %w", key, err)
	}
	return u, nil
}

// identifierText returns the canonical text of an identifier value.
func identifierText(r row, v any) (string, error) {
	text, err := jsonText(r.field.Type, v)
	if err != nil {
		return "", fieldError(http.StatusUnprocessableEntity, CodeInvalidValue, r.apiField, "%s", err)
	}
	s, err := profile.Normalize(r.field, *text)
	if err != nil {
		return "", fieldError(http.StatusUnprocessableEntity, CodeInvalidValue, r.apiField, "%s", err)
	}
	return s, nil
}

func activeValue(r row, v any) (bool, error) {
	text, err := jsonText(schematype.FieldBoolean, v)
	if err == nil && text != nil {
		if b, perr := strconv.ParseBool(strings.TrimSpace(*text)); perr == nil {
			return b, nil
		}
	}
	return false, fieldError(http.StatusUnprocessableEntity, CodeInvalidValue, r.apiField, "active must be true or false")
}

// jsonText converts a decoded JSON value into the text form of profile
// changes; numbers keep the digits they were sent with. nil clears.
func jsonText(t schematype.FieldType, v any) (*string, error) {
	if n, ok := v.(json.Number); ok {
		s := n.String()
		return &s, nil
	}
	return profile.FromJSON(t, v)
}

// blank reports whether v cannot identify anybody: null or an empty
// string.
func blank(v any) bool {
	s, ok := v.(string)
	return v == nil || ok && strings.TrimSpace(s) == ""
}

// ignoredFields lists, as dotted paths, the parts of obj that no row reads:
// a key no row path goes through is listed whole; keys on the way to rows
// are descended into.
func ignoredFields(obj map[string]any, rows []row) []string {
	var out []string
	var walk func(prefix []string, m map[string]any)
	walk = func(prefix []string, m map[string]any) {
		for k, v := range m {
			path := append(prefix[:len(prefix):len(prefix)], k)
			mapped, inner := coverage(path, rows)
			switch {
			case mapped:
			case inner:
				if sub, ok := v.(map[string]any); ok {
					walk(path, sub)
				} else {
					out = append(out, strings.Join(path, "."))
				}
			default:
				out = append(out, strings.Join(path, "."))
			}
		}
	}
	walk(nil, obj)
	slices.Sort(out)
	return out
}

// coverage reports whether some row reads exactly path, and whether some
// row reads below it.
func coverage(path []string, rows []row) (mapped, inner bool) {
	for _, r := range rows {
		if len(r.path) < len(path) || !slices.Equal(r.path[:len(path)], path) {
			continue
		}
		if len(r.path) == len(path) {
			return true, false
		}
		inner = true
	}
	return false, inner
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
