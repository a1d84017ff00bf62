package profile

import (
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// MaxValueLength is the longest value a profile field accepts, in bytes.
const MaxValueLength = 1024

// DateLayout is the layout of DATE values: an ISO-8601 calendar date.
const DateLayout = "2006-01-02"

// Normalize checks that s fits field f and returns its canonical text form:
// emails lower-cased, numbers in shortest decimal form, booleans as
// "true"/"false". Leading and trailing white space is removed first. The
// error says why the value does not fit, without naming the field.
func Normalize(f Field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", fmt.Errorf("is not valid UTF-8")
	case strings.ContainsRune(s, 0):
		return "", fmt.Errorf("contains a NUL character")
	case len(s) > MaxValueLength:
		return "", fmt.Errorf("is longer than %d bytes", MaxValueLength)
	case s == "" && f.Identifier:
		return "", fmt.Errorf("must not be empty; use null to clear it")
	}
	switch f.Type {
	case schematype.FieldEmail:
		return normalizeEmail(s)
	case schematype.FieldDate:
		if _, err := time.Parse(DateLayout, s); err != nil {
			return "", fmt.Errorf("%q is not an ISO-8601 date (YYYY-MM-DD)", s)
		}
		return s, nil
	case schematype.FieldDateTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", fmt.Errorf("%q is not an RFC 3339 time", s)
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	case schematype.FieldNumber:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return "", fmt.Errorf("%q is not a number", s)
		}
		return strconv.FormatFloat(n, 'f', -1, 64), nil
	case schematype.FieldBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return "", fmt.Errorf("%q is not a boolean (true or false)", s)
		}
		return strconv.FormatBool(b), nil
	case schematype.FieldURL:
		return s, CheckURL(s)
	case schematype.FieldSelect:
		if !slices.Contains(f.Options, s) {
			return "", fmt.Errorf("%q is not one of the options %q", s, f.Options)
		}
		return s, nil
	}
	return s, nil
}

func normalizeEmail(s string) (string, error) {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return "", fmt.Errorf("%q is not an email address with a domain", s)
	}
	return strings.ToLower(s), nil
}

// CheckURL reports whether s is an absolute http or https URL with a host.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must be an absolute http or https URL", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if u.User != nil {
		return fmt.Errorf("%q must not carry credentials; use a webhook credential instead", s)
	}
	return nil
}

// typed returns the JSON value of a canonical text value of type t.
func typed(t schematype.FieldType, s string) any {
	switch t {
	case schematype.FieldNumber:
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return n
		}
	case schematype.FieldBoolean:
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return s
}

// FromJSON converts a value decoded from JSON (a string, float64, bool or
// nil) into the text form Normalize takes, for fields of type t. nil means
// "clear". Objects and arrays do not fit any field.
func FromJSON(t schematype.FieldType, v any) (*string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return &v, nil
	case bool:
		s := strconv.FormatBool(v)
		return &s, nil
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		return &s, nil
	}
	return nil, fmt.Errorf("a JSON %s does not fit a %s field", jsonKind(v), t)
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}
