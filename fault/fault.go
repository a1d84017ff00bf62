// Package fault defines the domain errors of profilehooks. Domain packages
// return them; the GraphQL layer turns them into error codes (BAD_USER_INPUT,
// NOT_FOUND, CONFLICT) and the HTTP endpoints into statuses.
package fault

import (
	"errors"
	"fmt"
)

// ErrNotFound is wrapped by errors about a missing object.
var ErrNotFound = errors.New("not found")

// NotFound returns an error that wraps ErrNotFound and names what is missing.
func NotFound(kind, id string) error {
	return fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
}

// InvalidError is bad input: Field is the input path of the offending value
// ("input.requestParameters[1].apiField") and Reason says what is wrong.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// Invalid returns an *InvalidError for field; the reason is formatted.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ConflictError is input that clashes with stored data: a duplicate
// identifier, an object still in use. Field is empty when no single input
// field is to blame.
type ConflictError struct {
	Field  string
	Reason string
}

func (e *ConflictError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// Conflict returns a *ConflictError for field; the reason is formatted.
func Conflict(field, format string, args ...any) error {
	return &ConflictError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Prefix returns err with prefix joined in front of the field of an
// *InvalidError or *ConflictError ("input" + "email" = "input.email"); other
// errors come back unchanged.
func Prefix(prefix string, err error) error {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return &InvalidError{Field: join(prefix, inv.Field), Reason: inv.Reason}
	}
	var c *ConflictError
	if errors.As(err, &c) && c.Field != "" {
		return &ConflictError{Field: join(prefix, c.Field), Reason: c.Reason}
	}
	return err
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case field[0] == '[':
		return prefix + field
	}
	return prefix + "." + field
}
