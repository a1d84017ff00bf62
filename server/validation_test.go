package server_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

// counts returns the number of rows of every table, to prove that a failed
// mutation wrote nothing.
func counts(t *testing.T, env *apitest.Env) map[string]int {
	t.Helper()
	ctx := context.Background()
	c := env.DB.Client
	out := map[string]int{}
	var err error
	out["users"], err = c.User.Query().Count(ctx)
	require.NoError(t, err)
	out["events"], err = c.ProfileEvent.Query().Count(ctx)
	require.NoError(t, err)
	out["webhooks"], err = c.ProfileWebhook.Query().Count(ctx)
	require.NoError(t, err)
	out["endpoints"], err = c.InboundEndpoint.Query().Count(ctx)
	require.NoError(t, err)
	out["customFields"], err = c.CustomProfileField.Query().Count(ctx)
	require.NoError(t, err)
	return out
}

const createWebhook = `mutation($input: CreateProfileWebhookInput!) {
  createProfileWebhook(input: $input) { signingSecret profileWebhook { id name url enabled triggers requestParameters { apiField profileField } responseParameters { apiField profileField } headers { name value } } }
}`

const createEndpoint = `mutation($input: CreateInboundEndpointInput!) {
  createInboundEndpoint(input: $input) { signingSecret inboundEndpoint { id name url enabled authMode onUnknownUser inputParameters { apiField profileField userIdentifier } } }
}`

func webhookInput(overrides map[string]any) map[string]any {
	in := map[string]any{
		"name":     "HR system",
		"url":      "https://hr.example.com/hooks/users",
		"triggers": []string{"CREATE_USER"},
		"requestParameters": []map[string]any{
			{"apiField": "work_email", "profileField": "email"},
		},
	}
	for k, v := range overrides {
		in[k] = v
	}
	return in
}

func endpointInput(overrides map[string]any) map[string]any {
	in := map[string]any{
		"name": "Payroll",
		"inputParameters": []map[string]any{
			{"apiField": "emp.id", "profileField": "employeeId", "userIdentifier": true},
			{"apiField": "emp.title", "profileField": "jobTitle"},
		},
	}
	for k, v := range overrides {
		in[k] = v
	}
	return in
}

func rows(pairs ...string) []map[string]any {
	var out []map[string]any
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, map[string]any{"apiField": pairs[i], "profileField": pairs[i+1]})
	}
	return out
}

func TestValidationRejectsAndWritesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		query     string
		input     map[string]any
		code      string
		wantField string
	}{
		{"user: malformed email", createUser, map[string]any{"email": "not-an-email"}, "BAD_USER_INPUT", "input.email"},
		{"user: email with a name", createUser, map[string]any{"email": "Ada <ada@example.com>"}, "BAD_USER_INPUT", "input.email"},
		{"user: malformed manager email", createUser, map[string]any{"email": "a@example.com", "managerEmail": "boss@"}, "BAD_USER_INPUT", "input.managerEmail"},
		{"user: malformed date", createUser, map[string]any{"email": "a@example.com", "hireDate": "10/07/1843"}, "BAD_USER_INPUT", "input.hireDate"},
		{"user: impossible date", createUser, map[string]any{"email": "a@example.com", "hireDate": "2023-02-30"}, "BAD_USER_INPUT", "input.hireDate"},
		{"user: NUL character", createUser, map[string]any{"email": "a@example.com", "firstName": "A\u0000B"}, "BAD_USER_INPUT", "input.firstName"},
		{"user: no identifier", createUser, map[string]any{"firstName": "Ada"}, "BAD_USER_INPUT", "input"},
		{"user: unknown custom field", createUser, map[string]any{"email": "a@example.com", "customFields": []map[string]any{{"key": "nope", "value": "1"}}}, "BAD_USER_INPUT", "input.customFields[0]"},
		{"user: duplicate email", createUser, map[string]any{"email": "taken@example.com"}, "CONFLICT", "input.email"},

		{"webhook: empty name", createWebhook, webhookInput(map[string]any{"name": "  "}), "BAD_USER_INPUT", "input.name"},
		{"webhook: relative url", createWebhook, webhookInput(map[string]any{"url": "/hooks"}), "BAD_USER_INPUT", "input.url"},
		{"webhook: ftp url", createWebhook, webhookInput(map[string]any{"url": "ftp://example.com/x"}), "BAD_USER_INPUT", "input.url"},
		{"webhook: url without host", createWebhook, webhookInput(map[string]any{"url": "https://"}), "BAD_USER_INPUT", "input.url"},
		{"webhook: url with credentials", createWebhook, webhookInput(map[string]any{"url": "https://u:p@example.com/"}), "BAD_USER_INPUT", "input.url"},
		{"webhook: no triggers", createWebhook, webhookInput(map[string]any{"triggers": []string{}}), "BAD_USER_INPUT", "input.triggers"},
		{"webhook: trigger twice", createWebhook, webhookInput(map[string]any{"triggers": []string{"CREATE_USER", "CREATE_USER"}}), "BAD_USER_INPUT", "input.triggers[1]"},
		{"webhook: unknown profile field", createWebhook, webhookInput(map[string]any{"requestParameters": rows("a", "email", "b", "shoeSize")}), "BAD_USER_INPUT", "input.requestParameters[1].profileField"},
		{"webhook: unknown custom field", createWebhook, webhookInput(map[string]any{"requestParameters": rows("a", "custom.nope")}), "BAD_USER_INPUT", "input.requestParameters[0].profileField"},
		{"webhook: same apiField twice", createWebhook, webhookInput(map[string]any{"requestParameters": rows("mail", "email", "mail", "userName")}), "BAD_USER_INPUT", "input.requestParameters[1].apiField"},
		{"webhook: colliding paths", createWebhook, webhookInput(map[string]any{"requestParameters": rows("name", "displayName", "name.first", "firstName")}), "BAD_USER_INPUT", "input.requestParameters[1].apiField"},
		{"webhook: empty apiField", createWebhook, webhookInput(map[string]any{"requestParameters": rows("", "email")}), "BAD_USER_INPUT", "input.requestParameters[0].apiField"},
		{"webhook: empty path segment", createWebhook, webhookInput(map[string]any{"requestParameters": rows("data..email", "email")}), "BAD_USER_INPUT", "input.requestParameters[0].apiField"},
		{"webhook: response writes active", createWebhook, webhookInput(map[string]any{"responseParameters": rows("status", "active")}), "BAD_USER_INPUT", "input.responseParameters[0].profileField"},
		{"webhook: response writes createdAt", createWebhook, webhookInput(map[string]any{"responseParameters": rows("x", "externalId", "created", "createdAt")}), "BAD_USER_INPUT", "input.responseParameters[1].profileField"},
		{"webhook: response writes an event field", createWebhook, webhookInput(map[string]any{"responseParameters": rows("id", "event.id")}), "BAD_USER_INPUT", "input.responseParameters[0].profileField"},
		{"webhook: response writes a field twice", createWebhook, webhookInput(map[string]any{"responseParameters": rows("id", "externalId", "ref", "externalId")}), "BAD_USER_INPUT", "input.responseParameters[1].profileField"},
		{"webhook: reserved header", createWebhook, webhookInput(map[string]any{"headers": []map[string]any{{"name": "Content-Type", "value": "text/plain"}}}), "BAD_USER_INPUT", "input.headers[0].name"},
		{"webhook: signature header", createWebhook, webhookInput(map[string]any{"headers": []map[string]any{{"name": "X-Ok", "value": "1"}, {"name": "webhook-signature", "value": "v1,x"}}}), "BAD_USER_INPUT", "input.headers[1].name"},
		{"webhook: bad header name", createWebhook, webhookInput(map[string]any{"headers": []map[string]any{{"name": "X Bad", "value": "1"}}}), "BAD_USER_INPUT", "input.headers[0].name"},
		{"webhook: header injection", createWebhook, webhookInput(map[string]any{"headers": []map[string]any{{"name": "X-Ok", "value": "1\r\nX-Evil: 1"}}}), "BAD_USER_INPUT", "input.headers[0].value"},
		{"webhook: header twice", createWebhook, webhookInput(map[string]any{"headers": []map[string]any{{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}}}), "BAD_USER_INPUT", "input.headers[1].name"},

		{"endpoint: empty name", createEndpoint, endpointInput(map[string]any{"name": ""}), "BAD_USER_INPUT", "input.name"},
		{"endpoint: no identifier row", createEndpoint, endpointInput(map[string]any{"inputParameters": rows("title", "jobTitle")}), "BAD_USER_INPUT", "input.inputParameters"},
		{"endpoint: identifier on a non-identifier field", createEndpoint, endpointInput(map[string]any{"inputParameters": []map[string]any{
			{"apiField": "id", "profileField": "employeeId", "userIdentifier": true},
			{"apiField": "name", "profileField": "lastName", "userIdentifier": true},
		}}), "BAD_USER_INPUT", "input.inputParameters[1].userIdentifier"},
		{"endpoint: unknown profile field", createEndpoint, endpointInput(map[string]any{"inputParameters": []map[string]any{
			{"apiField": "id", "profileField": "employeeID", "userIdentifier": true},
		}}), "BAD_USER_INPUT", "input.inputParameters[0].profileField"},
		{"endpoint: writes read-only field", createEndpoint, endpointInput(map[string]any{"inputParameters": []map[string]any{
			{"apiField": "id", "profileField": "email", "userIdentifier": true},
			{"apiField": "created", "profileField": "createdAt"},
		}}), "BAD_USER_INPUT", "input.inputParameters[1].profileField"},
		{"endpoint: colliding paths", createEndpoint, endpointInput(map[string]any{"inputParameters": []map[string]any{
			{"apiField": "user.id", "profileField": "externalId", "userIdentifier": true},
			{"apiField": "user", "profileField": "displayName"},
		}}), "BAD_USER_INPUT", "input.inputParameters[0].apiField"},

		{"custom field: bad key", `mutation($input: CreateCustomProfileFieldInput!) { createCustomProfileField(input: $input) { id } }`,
			map[string]any{"key": "Badge Number", "label": "Badge", "type": "TEXT"}, "BAD_USER_INPUT", "input.key"},
		{"custom field: empty label", `mutation($input: CreateCustomProfileFieldInput!) { createCustomProfileField(input: $input) { id } }`,
			map[string]any{"key": "badge", "label": "", "type": "TEXT"}, "BAD_USER_INPUT", "input.label"},
		{"custom field: select without options", `mutation($input: CreateCustomProfileFieldInput!) { createCustomProfileField(input: $input) { id } }`,
			map[string]any{"key": "size", "label": "Size", "type": "SELECT"}, "BAD_USER_INPUT", "input.options"},
		{"custom field: options on text", `mutation($input: CreateCustomProfileFieldInput!) { createCustomProfileField(input: $input) { id } }`,
			map[string]any{"key": "size", "label": "Size", "type": "TEXT", "options": []string{"S"}}, "BAD_USER_INPUT", "input.options"},
		{"custom field: datetime type", `mutation($input: CreateCustomProfileFieldInput!) { createCustomProfileField(input: $input) { id } }`,
			map[string]any{"key": "seen", "label": "Seen", "type": "DATETIME"}, "BAD_USER_INPUT", "input.type"},
		{"custom field: duplicate key", `mutation($input: CreateCustomProfileFieldInput!) { createCustomProfileField(input: $input) { id } }`,
			map[string]any{"key": "badge", "label": "Badge again", "type": "TEXT"}, "CONFLICT", "input.key"},
	}
	env := apitest.New(t, apitest.Options{})
	mustCreateUser(t, env, map[string]any{"email": "taken@example.com"})
	env.Must(t, `mutation { createCustomProfileField(input: {key: "badge", label: "Badge", type: TEXT}) { id } }`, nil, nil)
	before := counts(t, env)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env.Fail(t, tt.code, tt.query, map[string]any{"input": tt.input})
			require.Equal(t, tt.wantField, e.Field(), "message: %s", e.Message)
			require.NotEmpty(t, e.Message)
			require.Equal(t, before, counts(t, env), "a failed mutation wrote something")
		})
	}
}

func TestCustomFieldValuesAreTypedAndValidated(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	for _, f := range []map[string]any{
		{"key": "badge", "label": "Badge", "type": "NUMBER"},
		{"key": "remote", "label": "Remote", "type": "BOOLEAN"},
		{"key": "shirt", "label": "Shirt size", "type": "SELECT", "options": []string{"S", "M", "L"}},
		{"key": "site", "label": "Homepage", "type": "URL"},
		{"key": "since", "label": "Since", "type": "DATE"},
	} {
		env.Must(t, `mutation($input: CreateCustomProfileFieldInput!) { createCustomProfileField(input: $input) { id } }`, map[string]any{"input": f}, nil)
	}
	bad := []struct{ key, value string }{
		{"badge", "twelve"}, {"remote", "maybe"}, {"shirt", "XL"}, {"site", "example.com"}, {"since", "yesterday"},
	}
	for _, b := range bad {
		e := env.Fail(t, "BAD_USER_INPUT", createUser, map[string]any{"input": map[string]any{
			"email": "a@example.com", "customFields": []map[string]any{{"key": b.key, "value": b.value}},
		}})
		require.Equal(t, "input.customFields[0]", e.Field(), b.key)
	}
	u := mustCreateUser(t, env, map[string]any{"email": "a@example.com", "customFields": []map[string]any{
		{"key": "badge", "value": "0012.50"}, {"key": "remote", "value": "TRUE"}, {"key": "shirt", "value": "M"},
	}})
	require.Len(t, u.CustomFields, 3)
	require.Equal(t, "badge", u.CustomFields[0].Key)
	require.Equal(t, "12.5", u.CustomFields[0].Value, "numbers are stored in canonical form")
	require.Equal(t, "true", u.CustomFields[1].Value)
	evs := events(t, env, u.ID)
	require.Equal(t, 12.5, evs[0].Snapshot["custom.badge"], "snapshots carry typed values")
	require.Equal(t, true, evs[0].Snapshot["custom.remote"])
	require.Equal(t, "M", evs[0].Snapshot["custom.shirt"])
	require.Nil(t, evs[0].Snapshot["custom.site"])

	// A null value clears one key; the others stay.
	var upd struct{ UpdateUserProfile userData }
	env.Must(t, updateUser, map[string]any{"id": u.ID, "input": map[string]any{
		"customFields": []map[string]any{{"key": "remote", "value": nil}},
	}}, &upd)
	require.Len(t, upd.UpdateUserProfile.CustomFields, 2)
	require.Equal(t, []string{"custom.remote"}, events(t, env, u.ID)[1].ChangedFields)
}
