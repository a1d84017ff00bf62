package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/profileevent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

const createUser = `mutation($input: CreateUserInput!) {
  createUser(input: $input) { id email userName employeeId firstName lastName hireDate active customFields { key value } createdAt updatedAt }
}`

const updateUser = `mutation($id: ID!, $input: UpdateUserProfileInput!) {
  updateUserProfile(id: $id, input: $input) { id email firstName lastName department hireDate active customFields { key value } }
}`

type userData struct {
	ID           string  `json:"id"`
	Email        *string `json:"email"`
	UserName     *string `json:"userName"`
	EmployeeID   *string `json:"employeeId"`
	FirstName    *string `json:"firstName"`
	LastName     *string `json:"lastName"`
	Department   *string `json:"department"`
	HireDate     *string `json:"hireDate"`
	Active       bool    `json:"active"`
	CustomFields []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"customFields"`
}

func mustCreateUser(t *testing.T, env *apitest.Env, input map[string]any) userData {
	t.Helper()
	var out struct{ CreateUser userData }
	env.Must(t, createUser, map[string]any{"input": input}, &out)
	return out.CreateUser
}

func events(t *testing.T, env *apitest.Env, userID string) []*ent.ProfileEvent {
	t.Helper()
	evs, err := env.DB.Client.ProfileEvent.Query().
		Where(profileevent.UserID(userID)).
		Order(ent.Asc(profileevent.FieldOccurredAt), ent.Asc(profileevent.FieldID)).
		All(context.Background())
	require.NoError(t, err)
	return evs
}

func TestUserLifecycleWritesEvents(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})

	u := mustCreateUser(t, env, map[string]any{
		"email": " Ada@Example.COM ", "firstName": "Ada", "lastName": "Lovelace", "hireDate": "1843-07-10",
	})
	require.Equal(t, "ada@example.com", *u.Email, "emails are trimmed and lower-cased")
	require.True(t, u.Active)
	evs := events(t, env, u.ID)
	require.Len(t, evs, 1)
	require.Equal(t, schematype.TriggerCreateUser, evs[0].Trigger)
	require.Equal(t, schematype.EventUserCreated, evs[0].Type)
	require.Equal(t, schematype.SourceAdminAPI, evs[0].Source)
	require.Equal(t, []string{"active", "email", "firstName", "hireDate", "id", "lastName"}, evs[0].ChangedFields)
	require.Equal(t, "Ada", evs[0].Snapshot["firstName"])
	require.Equal(t, true, evs[0].Snapshot["active"])
	require.Nil(t, evs[0].Snapshot["department"])

	// Only the given fields change; an explicit null clears.
	var upd struct{ UpdateUserProfile userData }
	env.Must(t, updateUser, map[string]any{"id": u.ID, "input": map[string]any{"department": "Engines", "lastName": nil}}, &upd)
	require.Equal(t, "Engines", *upd.UpdateUserProfile.Department)
	require.Nil(t, upd.UpdateUserProfile.LastName)
	require.Equal(t, "Ada", *upd.UpdateUserProfile.FirstName)
	require.Equal(t, "1843-07-10", *upd.UpdateUserProfile.HireDate)
	evs = events(t, env, u.ID)
	require.Len(t, evs, 2)
	require.Equal(t, schematype.TriggerUpdateUserProfile, evs[1].Trigger)
	require.Equal(t, []string{"department", "lastName"}, evs[1].ChangedFields)
	require.Equal(t, "Engines", evs[1].Snapshot["department"])
	require.Nil(t, evs[1].Snapshot["lastName"])

	// A change that changes nothing writes no event.
	env.Must(t, updateUser, map[string]any{"id": u.ID, "input": map[string]any{"department": "Engines", "firstName": "Ada"}}, nil)
	env.Must(t, updateUser, map[string]any{"id": u.ID, "input": map[string]any{}}, nil)
	require.Len(t, events(t, env, u.ID), 2)

	// Deactivate, deactivate again (no event), activate.
	var act struct {
		DeactivateUser struct{ Active bool }
	}
	env.Must(t, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, map[string]any{"id": u.ID}, &act)
	require.False(t, act.DeactivateUser.Active)
	env.Must(t, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, map[string]any{"id": u.ID}, nil)
	env.Must(t, `mutation($id: ID!) { activateUser(id: $id) { active } }`, map[string]any{"id": u.ID}, nil)
	evs = events(t, env, u.ID)
	require.Len(t, evs, 4)
	require.Equal(t, schematype.EventUserDeactivated, evs[2].Type)
	require.Equal(t, schematype.TriggerActivateDeactivateUser, evs[2].Trigger)
	require.Equal(t, false, evs[2].Snapshot["active"])
	require.Equal(t, schematype.EventUserActivated, evs[3].Type)
	require.Equal(t, []string{"active"}, evs[3].ChangedFields)
}

func TestCreateInactiveUser(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	u := mustCreateUser(t, env, map[string]any{"employeeId": "E1", "active": false})
	require.False(t, u.Active)
	evs := events(t, env, u.ID)
	require.Len(t, evs, 1)
	require.Equal(t, schematype.EventUserCreated, evs[0].Type)
}

func TestInjectedClockStampsUsersAndEvents(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	env := apitest.New(t, apitest.Options{Now: func() time.Time { return at }})
	u := mustCreateUser(t, env, map[string]any{"email": "clock@example.com"})
	evs := events(t, env, u.ID)
	require.Len(t, evs, 1)
	require.True(t, evs[0].OccurredAt.Equal(at))
	require.Equal(t, "2030-01-02T03:04:05Z", evs[0].Snapshot["createdAt"])
}

func TestIdentifierConflicts(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	a := mustCreateUser(t, env, map[string]any{"email": "a@example.com", "employeeId": "E1"})
	b := mustCreateUser(t, env, map[string]any{"email": "b@example.com"})

	e := env.Fail(t, "CONFLICT", createUser, map[string]any{"input": map[string]any{"email": "A@example.com"}})
	require.Equal(t, "input.email", e.Field())
	e = env.Fail(t, "CONFLICT", updateUser, map[string]any{"id": b.ID, "input": map[string]any{"employeeId": "E1"}})
	require.Equal(t, "input.employeeId", e.Field())
	require.Contains(t, e.Message, a.ID)

	// Setting a user's own value again is not a conflict.
	env.Must(t, updateUser, map[string]any{"id": a.ID, "input": map[string]any{"employeeId": "E1"}}, nil)
	n, err := env.DB.Client.User.Query().Count(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, n)
}

func TestUserNotFound(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	for _, q := range []string{
		`mutation { activateUser(id: "usr_01J0000000000000000000000") { id } }`,
		`mutation { deactivateUser(id: "usr_01J0000000000000000000000") { id } }`,
		`mutation { updateUserProfile(id: "usr_01J0000000000000000000000", input: {firstName: "x"}) { id } }`,
	} {
		env.Fail(t, "NOT_FOUND", q, nil)
	}
}
