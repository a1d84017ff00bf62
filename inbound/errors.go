package inbound

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/profilehooks/profilehooks/fault"
)

// Error codes of the answers; README.md lists them with their statuses.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeInvalidPayload       = "invalid_payload"
	CodeInvalidRequest       = "invalid_request"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeUnauthenticated      = "unauthenticated"
	CodeForbidden            = "forbidden"
	CodeEndpointDisabled     = "endpoint_disabled"
	CodeAddressNotAllowed    = "address_not_allowed"
	CodeNotFound             = "not_found"
	CodePayloadTooLarge      = "payload_too_large"
	CodeTooManyObjects       = "too_many_objects"
	CodeNoIdentifier         = "no_identifier"
	CodeInvalidValue         = "invalid_value"
	CodeUserNotFound         = "user_not_found"
	CodeIdentifierConflict   = "identifier_conflict"
	CodeIdempotencyMismatch  = "idempotency_key_reused"
	CodeIdempotencyInFlight  = "idempotency_key_in_use"
	CodeRateLimited          = "rate_limited"
	CodeInternal             = "internal"
)

// Error is an error answer: of the whole request, or of one object of a
// batch. Field, when not empty, names the offending input: the apiField of
// an input parameter.
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
	// Index is the position in the batch of the object that failed an
	// atomic batch; nil otherwise.
	Index *int

	header http.Header // sent with the answer: WWW-Authenticate, Retry-After
}

// InputField returns Field, or nil when it is empty.
func (e *Error) InputField() *string {
	if e.Field == "" {
		return nil
	}
	return &e.Field
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Code + ": " + e.Message
	}
	return e.Code + ": " + e.Field + ": " + e.Message
}

// MarshalJSON writes {"code", "message", "field"} with a null field when
// none, and "index" for an atomic batch.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Code    string  `json:"code"`
		Message string  `json:"message"`
		Field   *string `json:"field"`
		Index   *int    `json:"index,omitempty"`
	}{e.Code, e.Message, e.InputField(), e.Index})
}

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func fieldError(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// with returns a copy of e that sends the header name: value.
func (e *Error) with(name, value string) *Error {
	c := *e
	c.header = c.header.Clone()
	if c.header == nil {
		c.header = http.Header{}
	}
	c.header.Set(name, value)
	return &c
}

var errInternal = newError(http.StatusInternalServerError, CodeInternal, "internal error; the details are in the service's log")

// asError turns an error of the profile service into an answer: invalid
// values are 422 naming the field, conflicts 409; anything else is a fault
// of the service (nil).
func asError(err error) *Error {
	var (
		e        *Error
		invalid  *fault.InvalidError
		conflict *fault.ConflictError
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &invalid):
		return fieldError(http.StatusUnprocessableEntity, CodeInvalidValue, inputField(invalid.Field), "%s", invalid.Reason)
	case errors.As(err, &conflict):
		return fieldError(http.StatusConflict, CodeIdentifierConflict, inputField(conflict.Field), "%s", conflict.Reason)
	}
	return nil
}

// inputField drops the GraphQL-style "input" the profile service names
// whole-input errors with; every other field is already an apiField.
func inputField(f string) string {
	if f == "input" {
		return ""
	}
	return f
}
