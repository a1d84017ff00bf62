package mapping_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/fault"
	"github.com/profilehooks/profilehooks/mapping"
)

func TestParsePaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fields    []string
		wantField string // empty: valid
	}{
		{name: "flat", fields: []string{"email", "first_name"}},
		{name: "nested siblings", fields: []string{"name.first", "name.last", "data.user.email"}},
		{name: "empty", fields: []string{"email", ""}, wantField: "[1].apiField"},
		{name: "empty segment", fields: []string{"a..b"}, wantField: "[0].apiField"},
		{name: "trailing dot", fields: []string{"a."}, wantField: "[0].apiField"},
		{name: "padded segment", fields: []string{"a. b"}, wantField: "[0].apiField"},
		{name: "duplicate", fields: []string{"email", "name", "email"}, wantField: "[2].apiField"},
		{name: "prefix after", fields: []string{"a", "a.b"}, wantField: "[1].apiField"},
		{name: "prefix before", fields: []string{"a.b.c", "a.b"}, wantField: "[0].apiField"},
		{name: "too deep", fields: []string{"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"}, wantField: "[0].apiField"},
		{name: "shared prefix is fine", fields: []string{"ab", "a.b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			paths, err := mapping.ParsePaths(tt.fields)
			if tt.wantField == "" {
				require.NoError(t, err)
				require.Len(t, paths, len(tt.fields))
				for i, p := range paths {
					require.Equal(t, tt.fields[i], p.String())
				}
				return
			}
			var inv *fault.InvalidError
			require.True(t, errors.As(err, &inv), "want *fault.InvalidError, got %v", err)
			require.Equal(t, tt.wantField, inv.Field)
		})
	}
}

func TestSetBuildsNestedObjects(t *testing.T) {
	t.Parallel()
	paths, err := mapping.ParsePaths([]string{"name.first", "name.last", "data.user.email", "active"})
	require.NoError(t, err)
	obj := map[string]any{}
	for i, v := range []any{"Ada", "Lovelace", "ada@example.com", true} {
		mapping.Set(obj, paths[i], v)
	}
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	require.JSONEq(t, `{"name":{"first":"Ada","last":"Lovelace"},"data":{"user":{"email":"ada@example.com"}},"active":true}`, string(b))
}

func TestGet(t *testing.T) {
	t.Parallel()
	var doc any
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x1","data":{"user":{"email":"a@b.c","tags":null}},"list":[1]}`), &doc))
	tests := []struct {
		path   string
		want   any
		wantOK bool
	}{
		{"id", "x1", true},
		{"data.user.email", "a@b.c", true},
		{"data.user.tags", nil, true},
		{"data.user.missing", nil, false},
		{"id.deeper", nil, false},
		{"list.0", nil, false},
	}
	for _, tt := range tests {
		p, err := mapping.ParsePath(tt.path)
		require.NoError(t, err)
		got, ok := mapping.Get(doc, p)
		require.Equal(t, tt.wantOK, ok, tt.path)
		require.Equal(t, tt.want, got, tt.path)
	}
}
