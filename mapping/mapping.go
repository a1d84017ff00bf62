// Package mapping is the field-mapping engine: it parses the dotted API-field
// paths of request, response and input parameters, checks a set of them for
// collisions, builds nested JSON bodies from them and reads values out of
// nested JSON documents.
package mapping

import (
	"fmt"
	"strings"

	"github.com/profilehooks/profilehooks/fault"
)

// MaxPathLength is the longest API-field path accepted, in bytes.
const MaxPathLength = 256

// MaxDepth is the most segments an API-field path may have.
const MaxDepth = 16

// Path is a parsed API-field path: the keys of nested JSON objects, outermost
// first. A nil Path is not valid.
type Path []string

// String returns p in its dotted form.
func (p Path) String() string { return strings.Join(p, ".") }

// ParsePath parses a dotted API-field path such as "data.user.email". Every
// segment must be non-empty and free of white space at its ends; the path
// may not be longer than MaxPathLength bytes or deeper than MaxDepth.
func ParsePath(s string) (Path, error) {
	switch {
	case s == "":
		return nil, fmt.Errorf("mapping: must not be empty")
	case len(s) > MaxPathLength:
		return nil, fmt.Errorf("mapping: longer than %d bytes", MaxPathLength)
	}
	segs := strings.Split(s, ".")
	if len(segs) > MaxDepth {
		return nil, fmt.Errorf("mapping: deeper than %d levels", MaxDepth)
	}
	for _, seg := range segs {
		if seg == "" {
			return nil, fmt.Errorf("mapping: %q has an empty segment", s)
		}
		if strings.TrimSpace(seg) != seg {
			return nil, fmt.Errorf("mapping: %q has a segment with surrounding white space", s)
		}
	}
	return Path(segs), nil
}

// ParsePaths parses every API field of a parameter list and checks that no
// two are the same and that none is a prefix of another ("a" and "a.b"
// cannot both be written into one JSON object). A bad path is reported as
// a *fault.InvalidError whose field is "[i].apiField".
func ParsePaths(apiFields []string) ([]Path, error) {
	paths := make([]Path, len(apiFields))
	seen := make(map[string]int, len(apiFields)) // dotted path -> row
	for i, f := range apiFields {
		p, err := ParsePath(f)
		if err != nil {
			return nil, fault.Invalid(fmt.Sprintf("[%d].apiField", i), "%s", strings.TrimPrefix(err.Error(), "mapping: "))
		}
		if j, dup := seen[f]; dup {
			return nil, fault.Invalid(fmt.Sprintf("[%d].apiField", i), "%q is already mapped in row %d", f, j)
		}
		seen[f] = i
		paths[i] = p
	}
	for i, p := range paths {
		for k := 1; k < len(p); k++ {
			if j, ok := seen[p[:k].String()]; ok {
				return nil, fault.Invalid(fmt.Sprintf("[%d].apiField", i),
					"%q collides with %q of row %d: a field cannot hold both a value and nested fields", p.String(), p[:k].String(), j)
			}
		}
	}
	return paths, nil
}

// Set writes v at path p into obj, creating the nested objects on the way.
// Paths must have passed ParsePaths together, so no value is overwritten by
// an object or the other way round.
func Set(obj map[string]any, p Path, v any) {
	for _, seg := range p[:len(p)-1] {
		next, ok := obj[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[seg] = next
		}
		obj = next
	}
	obj[p[len(p)-1]] = v
}

// Get reads the value at path p of a decoded JSON document (as
// encoding/json decodes into any). It reports false when a segment is
// missing or a non-object stands in the way; a present JSON null is
// returned as (nil, true).
func Get(doc any, p Path) (any, bool) {
	cur := doc
	for _, seg := range p {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}
