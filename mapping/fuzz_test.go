package mapping_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/mapping"
)

// FuzzGet reads arbitrary paths out of arbitrary JSON documents: ParsePath
// never panics and round-trips what it accepts, and Get never panics and
// finds exactly the value its parent object holds under the last segment.
// The seeds run as a normal test; `go test -fuzz FuzzGet ./mapping/`
// explores further.
func FuzzGet(f *testing.F) {
	seeds := []struct{ doc, path string }{
		{`{"id":"x1","data":{"user":{"email":"a@b.c","tags":null}}}`, "data.user.email"},
		{`{"data":{"user":null}}`, "data.user.email"},
		{`{"a":{"b":{"c":{"d":1}}}}`, "a.b.c.d"},
		{`{"a.b":1,"a":{"b":2}}`, "a.b"},
		{`{"list":[{"a":1}]}`, "list.0.a"},
		{`[{"a":1}]`, "a"},
		{`"scalar"`, "x"},
		{`{"":1}`, "a..b"},
		{`{" a":1}`, " a"},
		{`{"a":1}`, ""},
		{`{"é":{"ü":true}}`, "é.ü"},
		{`{}`, strings.Repeat("a.", 20) + "a"},
		{`{"a":{"b":1}}`, strings.Repeat("x", 300)},
	}
	for _, s := range seeds {
		f.Add([]byte(s.doc), s.path)
	}
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		p, err := mapping.ParsePath(path)
		if err != nil {
			require.Nil(t, p)
			return
		}
		require.Equal(t, path, p.String())
		require.LessOrEqual(t, len(p), mapping.MaxDepth)
		for _, seg := range p {
			require.NotEmpty(t, seg)
		}
		var v any
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		got, ok := mapping.Get(v, p)
		parent := v
		if len(p) > 1 {
			var found bool
			parent, found = mapping.Get(v, p[:len(p)-1])
			if !found {
				require.False(t, ok, "a path below a missing one is missing")
				return
			}
		}
		obj, isObj := parent.(map[string]any)
		if !isObj {
			require.False(t, ok, "nothing is found below a non-object")
			return
		}
		want, present := obj[p[len(p)-1]]
		require.Equal(t, present, ok)
		require.Equal(t, want, got)
	})
}
