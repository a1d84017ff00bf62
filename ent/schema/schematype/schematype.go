// Package schematype holds the value types that ent stores in columns
// (enums and JSON documents) and that the GraphQL schema exposes as they are.
// It imports neither ent's generated code nor the domain packages, so both
// can use it.
package schematype

import (
	"fmt"
	"io"
	"strconv"
)

// Trigger is a profile event that a webhook can subscribe to.
type Trigger string

// The triggers an admin can pick on a profile webhook.
const (
	TriggerCreateUser             Trigger = "CREATE_USER"
	TriggerUpdateUserProfile      Trigger = "UPDATE_USER_PROFILE"
	TriggerActivateDeactivateUser Trigger = "ACTIVATE_DEACTIVATE_USER"
)

// Triggers lists every Trigger in the order the console shows them.
var Triggers = []Trigger{TriggerCreateUser, TriggerUpdateUserProfile, TriggerActivateDeactivateUser}

// Values lists the enum values; ent uses it for the column's check.
func (Trigger) Values() []string { return enumValues(Triggers) }

// Valid reports whether t is one of Triggers.
func (t Trigger) Valid() bool { return contains(Triggers, t) }

// MarshalGQL writes t as a GraphQL enum value.
func (t Trigger) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(t))) }

// UnmarshalGQL reads a GraphQL enum value into t.
func (t *Trigger) UnmarshalGQL(v any) error { return unmarshalEnum(v, Triggers, t, "ProfileTrigger") }

// EventType is the name a profile event carries on the wire (the
// Profilehooks-Event header and the default body's "type").
type EventType string

// The event types.
const (
	EventUserCreated     EventType = "user.created"
	EventUserUpdated     EventType = "user.updated"
	EventUserActivated   EventType = "user.activated"
	EventUserDeactivated EventType = "user.deactivated"
)

// EventTypes lists every EventType.
var EventTypes = []EventType{EventUserCreated, EventUserUpdated, EventUserActivated, EventUserDeactivated}

// Values lists the enum values; ent uses it for the column's check.
func (EventType) Values() []string { return enumValues(EventTypes) }

// Trigger returns the webhook trigger that an event of type e fires.
func (e EventType) Trigger() Trigger {
	switch e {
	case EventUserCreated:
		return TriggerCreateUser
	case EventUserUpdated:
		return TriggerUpdateUserProfile
	default:
		return TriggerActivateDeactivateUser
	}
}

// MarshalGQL writes e as a GraphQL string.
func (e EventType) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(e))) }

// UnmarshalGQL reads a GraphQL string into e.
func (e *EventType) UnmarshalGQL(v any) error { return unmarshalEnum(v, EventTypes, e, "EventType") }

// ChangeSource says where a profile change came from.
type ChangeSource string

// The change sources.
const (
	SourceAdminAPI        ChangeSource = "ADMIN_API"
	SourceInboundEndpoint ChangeSource = "INBOUND_ENDPOINT"
	SourceWebhookResponse ChangeSource = "WEBHOOK_RESPONSE"
)

// ChangeSources lists every ChangeSource.
var ChangeSources = []ChangeSource{SourceAdminAPI, SourceInboundEndpoint, SourceWebhookResponse}

// Values lists the enum values; ent uses it for the column's check.
func (ChangeSource) Values() []string { return enumValues(ChangeSources) }

// MarshalGQL writes s as a GraphQL enum value.
func (s ChangeSource) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a GraphQL enum value into s.
func (s *ChangeSource) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, ChangeSources, s, "ChangeSource")
}

// ParameterMapping maps a third party's API field to a profile field. The
// zero value maps nothing and fails validation.
type ParameterMapping struct {
	// APIField is the third party's field name, or a dotted path into
	// nested JSON objects ("data.user.email").
	APIField string `json:"apiField"`
	// ProfileField is a key from the profile-field catalog ("email",
	// "custom.badge").
	ProfileField string `json:"profileField"`
}

// InputMapping is a ParameterMapping of an incoming endpoint; rows with
// UserIdentifier set are used, in order, to find the user to update.
type InputMapping struct {
	APIField       string `json:"apiField"`
	ProfileField   string `json:"profileField"`
	UserIdentifier bool   `json:"userIdentifier"`
}

// HTTPHeader is a custom header sent with every request of a webhook.
type HTTPHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The delivery statuses. PENDING and RETRYING are open; the others are final.
const (
	DeliveryPending   DeliveryStatus = "PENDING"
	DeliveryRetrying  DeliveryStatus = "RETRYING"
	DeliverySucceeded DeliveryStatus = "SUCCEEDED"
	DeliveryFailed    DeliveryStatus = "FAILED"
	DeliveryCancelled DeliveryStatus = "CANCELLED"
)

// DeliveryStatuses lists every DeliveryStatus.
var DeliveryStatuses = []DeliveryStatus{DeliveryPending, DeliveryRetrying, DeliverySucceeded, DeliveryFailed, DeliveryCancelled}

// Values lists the enum values; ent uses it for the column's check.
func (DeliveryStatus) Values() []string { return enumValues(DeliveryStatuses) }

// Open reports whether s is PENDING or RETRYING.
func (s DeliveryStatus) Open() bool { return s == DeliveryPending || s == DeliveryRetrying }

// MarshalGQL writes s as a GraphQL enum value.
func (s DeliveryStatus) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a GraphQL enum value into s.
func (s *DeliveryStatus) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, DeliveryStatuses, s, "DeliveryStatus")
}

// CustomFieldValue is the value of one custom field on a user, in its
// canonical text form.
type CustomFieldValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// FieldType is the type of a profile field's value.
type FieldType string

// The field types. Built-in fields use TEXT, EMAIL, DATE and BOOLEAN; custom
// fields may use any of them.
const (
	FieldText     FieldType = "TEXT"
	FieldNumber   FieldType = "NUMBER"
	FieldBoolean  FieldType = "BOOLEAN"
	FieldDate     FieldType = "DATE"
	FieldDateTime FieldType = "DATETIME"
	FieldEmail    FieldType = "EMAIL"
	FieldURL      FieldType = "URL"
	FieldSelect   FieldType = "SELECT"
)

// FieldTypes lists every FieldType.
var FieldTypes = []FieldType{FieldText, FieldNumber, FieldBoolean, FieldDate, FieldDateTime, FieldEmail, FieldURL, FieldSelect}

// CustomFieldTypes lists the types an admin may give a custom field.
var CustomFieldTypes = []FieldType{FieldText, FieldNumber, FieldBoolean, FieldDate, FieldEmail, FieldURL, FieldSelect}

// Values lists the enum values; ent uses it for the column's check.
func (FieldType) Values() []string { return enumValues(FieldTypes) }

// MarshalGQL writes t as a GraphQL enum value.
func (t FieldType) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(t))) }

// UnmarshalGQL reads a GraphQL enum value into t.
func (t *FieldType) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, FieldTypes, t, "ProfileFieldType")
}

// UnknownUserPolicy says what an incoming endpoint does with data for a user
// that no identifier row finds.
type UnknownUserPolicy string

// The policies; the zero value is not valid, Reject is the default.
const (
	UnknownUserReject UnknownUserPolicy = "REJECT"
	UnknownUserCreate UnknownUserPolicy = "CREATE"
)

// Values lists the enum values; ent uses it for the column's check.
func (UnknownUserPolicy) Values() []string {
	return enumValues([]UnknownUserPolicy{UnknownUserReject, UnknownUserCreate})
}

// MarshalGQL writes p as a GraphQL enum value.
func (p UnknownUserPolicy) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(p)))
}

// UnmarshalGQL reads a GraphQL enum value into p.
func (p *UnknownUserPolicy) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, []UnknownUserPolicy{UnknownUserReject, UnknownUserCreate}, p, "UnknownUserPolicy")
}

// InboundAuthMode is how a third party proves who it is when it calls an
// incoming endpoint.
type InboundAuthMode string

// The auth modes; OAuth2 is the default.
const (
	InboundAuthOAuth2 InboundAuthMode = "OAUTH2"
	InboundAuthJWT    InboundAuthMode = "JWT"
	InboundAuthHMAC   InboundAuthMode = "HMAC"
)

// Values lists the enum values; ent uses it for the column's check.
func (InboundAuthMode) Values() []string {
	return enumValues([]InboundAuthMode{InboundAuthOAuth2, InboundAuthJWT, InboundAuthHMAC})
}

// MarshalGQL writes m as a GraphQL enum value.
func (m InboundAuthMode) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(m))) }

// UnmarshalGQL reads a GraphQL enum value into m.
func (m *InboundAuthMode) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, []InboundAuthMode{InboundAuthOAuth2, InboundAuthJWT, InboundAuthHMAC}, m, "InboundAuthMode")
}

func enumValues[T ~string](all []T) []string {
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = string(v)
	}
	return out
}

func contains[T comparable](all []T, v T) bool {
	for _, a := range all {
		if a == v {
			return true
		}
	}
	return false
}

func unmarshalEnum[T ~string](v any, all []T, dst *T, name string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("schematype: %s must be a string, got %T", name, v)
	}
	if !contains(all, T(s)) {
		return fmt.Errorf("schematype: %q is not a valid %s", s, name)
	}
	*dst = T(s)
	return nil
}
