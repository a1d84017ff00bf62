package dispatcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/mapping"
	"github.com/profilehooks/profilehooks/profile"
)

// writeBack applies the webhook's response parameters to the delivery's
// user, in the caller's transaction, as a change whose source is the
// webhook (so it never causes a delivery to that webhook). A path missing
// from the response, or a value that does not fit its field, is left out
// and reported in the returned text; the other values are written. The
// error is for failures of the database only.
func (d *Dispatcher) writeBack(ctx context.Context, client *ent.Client, o outcome) (string, error) {
	hook := o.delivery.Edges.Webhook
	var doc any
	if err := json.Unmarshal(o.body, &doc); err != nil {
		return "response parameters: the response body is not JSON", nil
	}
	cat, err := profile.LoadCatalog(ctx, client)
	if err != nil {
		return "", err
	}
	var problems []string
	changes := make([]profile.Change, 0, len(hook.ResponseParameters))
	for _, r := range hook.ResponseParameters {
		path, err := mapping.ParsePath(r.APIField)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", r.APIField, err))
			continue
		}
		v, ok := mapping.Get(doc, path)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: missing from the response", r.APIField))
			continue
		}
		f, ok := cat.Lookup(r.ProfileField)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: profile field %q no longer exists", r.APIField, r.ProfileField))
			continue
		}
		text, err := profile.FromJSON(f.Type, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", r.APIField, err))
			continue
		}
		changes = append(changes, profile.Change{Key: r.ProfileField, Value: text, Path: r.APIField})
	}
	src := profile.Source{Kind: schematype.SourceWebhookResponse, ID: hook.ID}
	for len(changes) > 0 {
		_, err := d.cfg.Profiles.UpdateProfile(ctx, o.delivery.UserID, changes, src)
		if err == nil {
			break
		}
		field, ok := blamed(err)
		if !ok {
			return "", err
		}
		problems = append(problems, err.Error())
		n := len(changes)
		changes = slices.DeleteFunc(changes, func(c profile.Change) bool { return c.Path == field })
		if len(changes) == n {
			break // the error blames no single value: write none
		}
	}
	if len(problems) == 0 {
		return "", nil
	}
	return "response parameters: " + strings.Join(problems, "; "), nil
}

// blamed returns the input path a validation or conflict error names.
func blamed(err error) (string, bool) {
	var inv *fault.InvalidError
	if errors.As(err, &inv) {
		return inv.Field, true
	}
	var c *fault.ConflictError
	if errors.As(err, &c) {
		return c.Field, true
	}
	return "", errors.Is(err, fault.ErrNotFound)
}
