package ent

import (
	"slices"
	"strings"

	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// CustomFieldList returns the custom field values of u ordered by key; the
// GraphQL field User.customFields resolves to it without a resolver call.
func (u *User) CustomFieldList() []schematype.CustomFieldValue {
	out := make([]schematype.CustomFieldValue, 0, len(u.CustomFields))
	for k, v := range u.CustomFields {
		out = append(out, schematype.CustomFieldValue{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b schematype.CustomFieldValue) int { return strings.Compare(a.Key, b.Key) })
	return out
}
