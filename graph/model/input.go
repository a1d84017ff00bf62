package model

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/profilehooks/profilehooks/profile"
)

// UserInput is the Go form of both CreateUserInput and
// UpdateUserProfileInput: a field that is not given is not changed, a field
// given as null is cleared.
type UserInput struct {
	Email          graphql.Omittable[*string] `json:"email"`
	UserName       graphql.Omittable[*string] `json:"userName"`
	EmployeeID     graphql.Omittable[*string] `json:"employeeId"`
	ExternalID     graphql.Omittable[*string] `json:"externalId"`
	FirstName      graphql.Omittable[*string] `json:"firstName"`
	LastName       graphql.Omittable[*string] `json:"lastName"`
	DisplayName    graphql.Omittable[*string] `json:"displayName"`
	JobTitle       graphql.Omittable[*string] `json:"jobTitle"`
	Department     graphql.Omittable[*string] `json:"department"`
	Division       graphql.Omittable[*string] `json:"division"`
	CostCenter     graphql.Omittable[*string] `json:"costCenter"`
	ManagerEmail   graphql.Omittable[*string] `json:"managerEmail"`
	WorkPhone      graphql.Omittable[*string] `json:"workPhone"`
	MobilePhone    graphql.Omittable[*string] `json:"mobilePhone"`
	OfficeLocation graphql.Omittable[*string] `json:"officeLocation"`
	City           graphql.Omittable[*string] `json:"city"`
	Country        graphql.Omittable[*string] `json:"country"`
	TimeZone       graphql.Omittable[*string] `json:"timeZone"`
	Locale         graphql.Omittable[*string] `json:"locale"`
	HireDate       graphql.Omittable[*string] `json:"hireDate"`
	// Active is only in CreateUserInput; nil there means true.
	Active       *bool                   `json:"active"`
	CustomFields []CustomFieldValueInput `json:"customFields"`
}

// IsActive reports whether a user created from in starts active.
func (in UserInput) IsActive() bool { return in.Active == nil || *in.Active }

// Changes returns the profile changes in asks for: the built-in fields that
// are given, in catalog order, then the custom fields in input order. Each
// names its input path for errors.
func (in UserInput) Changes() []profile.Change {
	builtins := []struct {
		key   string
		value graphql.Omittable[*string]
	}{
		{"email", in.Email}, {"userName", in.UserName}, {"employeeId", in.EmployeeID},
		{"externalId", in.ExternalID}, {"firstName", in.FirstName}, {"lastName", in.LastName},
		{"displayName", in.DisplayName}, {"jobTitle", in.JobTitle}, {"department", in.Department},
		{"division", in.Division}, {"costCenter", in.CostCenter}, {"managerEmail", in.ManagerEmail},
		{"workPhone", in.WorkPhone}, {"mobilePhone", in.MobilePhone}, {"officeLocation", in.OfficeLocation},
		{"city", in.City}, {"country", in.Country}, {"timeZone", in.TimeZone},
		{"locale", in.Locale}, {"hireDate", in.HireDate},
	}
	changes := make([]profile.Change, 0, len(builtins)+len(in.CustomFields))
	for _, b := range builtins {
		if v, given := b.value.ValueOK(); given {
			changes = append(changes, profile.Change{Key: b.key, Value: v, Path: "input." + b.key})
		}
	}
	for i, c := range in.CustomFields {
		changes = append(changes, profile.Change{
			Key:   profile.CustomPrefix + c.Key,
			Value: c.Value,
			Path:  fmt.Sprintf("input.customFields[%d]", i),
		})
	}
	return changes
}
