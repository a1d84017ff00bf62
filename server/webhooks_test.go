package server_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

type mappingRow struct {
	APIField     string `json:"apiField"`
	ProfileField string `json:"profileField"`
}

type webhookData struct {
	ID                 string       `json:"id"`
	Name               string       `json:"name"`
	URL                string       `json:"url"`
	Enabled            bool         `json:"enabled"`
	Triggers           []string     `json:"triggers"`
	RequestParameters  []mappingRow `json:"requestParameters"`
	ResponseParameters []mappingRow `json:"responseParameters"`
	Headers            []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
}

func TestProfileWebhookLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	var created struct {
		CreateProfileWebhook struct {
			SigningSecret  string
			ProfileWebhook webhookData
		}
	}
	env.Must(t, createWebhook, map[string]any{"input": webhookInput(map[string]any{
		"triggers":           []string{"CREATE_USER", "ACTIVATE_DEACTIVATE_USER"},
		"requestParameters":  rows("name.first", "firstName", "name.last", "lastName", "contact.email", "email", "eventId", "event.id"),
		"responseParameters": rows("data.id", "externalId"),
		"headers":            []map[string]any{{"name": "X-Tenant", "value": "acme"}},
	})}, &created)
	hook := created.CreateProfileWebhook.ProfileWebhook
	secret := created.CreateProfileWebhook.SigningSecret
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	require.Len(t, key, 32)
	require.True(t, hook.Enabled)
	require.Equal(t, []string{"CREATE_USER", "ACTIVATE_DEACTIVATE_USER"}, hook.Triggers)
	require.Equal(t, "name.first", hook.RequestParameters[0].APIField)
	require.Equal(t, "acme", hook.Headers[0].Value)

	// The secret is sealed at rest, never stored in clear text.
	stored, err := env.DB.Client.ProfileWebhook.Get(context.Background(), hook.ID)
	require.NoError(t, err)
	require.NotContains(t, stored.SigningSecret, strings.TrimPrefix(secret, "whsec_"))
	require.True(t, strings.HasPrefix(stored.SigningSecret, "v1:"))

	// A list that is given replaces the stored list; fields left out stay.
	update := `mutation($id: ID!, $input: UpdateProfileWebhookInput!) {
	  updateProfileWebhook(id: $id, input: $input) { id name url enabled triggers requestParameters { apiField profileField } responseParameters { apiField profileField } headers { name value } }
	}`
	input := map[string]any{
		"enabled":           false,
		"requestParameters": rows("email", "email"),
		"headers":           []map[string]any{},
	}
	var upd struct{ UpdateProfileWebhook webhookData }
	env.Must(t, update, map[string]any{"id": hook.ID, "input": input}, &upd)
	first := upd.UpdateProfileWebhook
	require.False(t, first.Enabled)
	require.Equal(t, []mappingRow{{"email", "email"}}, first.RequestParameters)
	require.Equal(t, []mappingRow{{"data.id", "externalId"}}, first.ResponseParameters, "a list left out is kept")
	require.Empty(t, first.Headers)
	require.Equal(t, hook.Name, first.Name)

	// Re-applying the same configuration is idempotent.
	env.Must(t, update, map[string]any{"id": hook.ID, "input": input}, &upd)
	require.Equal(t, first, upd.UpdateProfileWebhook)

	// An update is validated as a whole.
	e := env.Fail(t, "BAD_USER_INPUT", update, map[string]any{"id": hook.ID, "input": map[string]any{"url": "mailto:x@example.com"}})
	require.Equal(t, "input.url", e.Field())

	// Listed, found by node, deleted.
	var list struct {
		ProfileWebhooks struct {
			TotalCount int
			Edges      []struct{ Node webhookData }
		}
	}
	env.Must(t, `{ profileWebhooks(first: 10, where: {enabled: false}) { totalCount edges { node { id name } } } }`, nil, &list)
	require.Equal(t, 1, list.ProfileWebhooks.TotalCount)
	var del struct{ DeleteProfileWebhook string }
	env.Must(t, `mutation($id: ID!) { deleteProfileWebhook(id: $id) }`, map[string]any{"id": hook.ID}, &del)
	require.Equal(t, hook.ID, del.DeleteProfileWebhook)
	env.Fail(t, "NOT_FOUND", `mutation($id: ID!) { deleteProfileWebhook(id: $id) }`, map[string]any{"id": hook.ID})
	env.Fail(t, "NOT_FOUND", update, map[string]any{"id": hook.ID, "input": map[string]any{"name": "x"}})
}

func TestInboundEndpointLifecycle(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	var created struct {
		CreateInboundEndpoint struct {
			SigningSecret   string
			InboundEndpoint struct {
				ID              string
				URL             string
				Enabled         bool
				AuthMode        string
				OnUnknownUser   string
				InputParameters []struct {
					APIField       string
					ProfileField   string
					UserIdentifier bool
				}
			}
		}
	}
	env.Must(t, createEndpoint, map[string]any{"input": endpointInput(map[string]any{"inputParameters": []map[string]any{
		{"apiField": "emp.id", "profileField": "employeeId", "userIdentifier": true},
		{"apiField": "emp.mail", "profileField": "email", "userIdentifier": true},
		{"apiField": "emp.status", "profileField": "active"},
	}})}, &created)
	ep := created.CreateInboundEndpoint.InboundEndpoint
	require.True(t, strings.HasPrefix(created.CreateInboundEndpoint.SigningSecret, "whsec_"))
	require.Equal(t, "OAUTH2", ep.AuthMode)
	require.Equal(t, "REJECT", ep.OnUnknownUser)
	require.True(t, ep.Enabled)
	require.True(t, ep.InputParameters[0].UserIdentifier)
	require.False(t, ep.InputParameters[2].UserIdentifier)

	u, err := url.Parse(ep.URL)
	require.NoError(t, err)
	require.Equal(t, "https", u.Scheme)
	require.Equal(t, "hooks.example.test", u.Host)
	key, ok := strings.CutPrefix(u.Path, "/inbound/")
	require.True(t, ok, ep.URL)
	raw, err := base64.RawURLEncoding.DecodeString(key)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(raw)*8, 128, "the key carries at least 128 random bits")

	var other struct {
		CreateInboundEndpoint struct{ InboundEndpoint struct{ URL string } }
	}
	env.Must(t, createEndpoint, map[string]any{"input": endpointInput(nil)}, &other)
	require.NotEqual(t, ep.URL, other.CreateInboundEndpoint.InboundEndpoint.URL)

	update := `mutation($id: ID!, $input: UpdateInboundEndpointInput!) {
	  updateInboundEndpoint(id: $id, input: $input) { id url authMode onUnknownUser enabled name }
	}`
	var upd struct {
		UpdateInboundEndpoint struct {
			URL, AuthMode, OnUnknownUser, Name string
			Enabled                            bool
		}
	}
	env.Must(t, update, map[string]any{"id": ep.ID, "input": map[string]any{"authMode": "HMAC", "onUnknownUser": "CREATE", "enabled": false}}, &upd)
	require.Equal(t, ep.URL, upd.UpdateInboundEndpoint.URL, "the URL never changes")
	require.Equal(t, "HMAC", upd.UpdateInboundEndpoint.AuthMode)
	require.Equal(t, "CREATE", upd.UpdateInboundEndpoint.OnUnknownUser)
	require.False(t, upd.UpdateInboundEndpoint.Enabled)
	require.Equal(t, "Payroll", upd.UpdateInboundEndpoint.Name)

	e := env.Fail(t, "BAD_USER_INPUT", update, map[string]any{"id": ep.ID, "input": map[string]any{"inputParameters": rows("title", "jobTitle")}})
	require.Equal(t, "input.inputParameters", e.Field())

	env.Must(t, `mutation($id: ID!) { deleteInboundEndpoint(id: $id) }`, map[string]any{"id": ep.ID}, nil)
	env.Fail(t, "NOT_FOUND", `mutation($id: ID!) { deleteInboundEndpoint(id: $id) }`, map[string]any{"id": ep.ID})
}

func TestCustomFieldDeletion(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	var cf struct{ CreateCustomProfileField struct{ ID string } }
	env.Must(t, `mutation { createCustomProfileField(input: {key: "badge", label: "Badge", type: TEXT}) { id } }`, nil, &cf)
	id := cf.CreateCustomProfileField.ID
	holder := mustCreateUser(t, env, map[string]any{"email": "h@example.com", "customFields": []map[string]any{{"key": "badge", "value": "B-7"}}})
	other := mustCreateUser(t, env, map[string]any{"email": "o@example.com"})

	// Mapped by a webhook: refused, nothing changes.
	var hook struct {
		CreateProfileWebhook struct{ ProfileWebhook struct{ ID string } }
	}
	env.Must(t, createWebhook, map[string]any{"input": webhookInput(map[string]any{"requestParameters": rows("badge", "custom.badge")})}, &hook)
	before := counts(t, env)
	e := env.Fail(t, "CONFLICT", `mutation($id: ID!) { deleteCustomProfileField(id: $id) }`, map[string]any{"id": id})
	require.Contains(t, e.Message, "HR system")
	require.Equal(t, before, counts(t, env))

	// Unmapped: deleted, and the value is cleared with an event.
	env.Must(t, `mutation($id: ID!) { deleteProfileWebhook(id: $id) }`, map[string]any{"id": hook.CreateProfileWebhook.ProfileWebhook.ID}, nil)
	env.Must(t, `mutation($id: ID!) { deleteCustomProfileField(id: $id) }`, map[string]any{"id": id}, nil)
	var got struct{ Node userData }
	env.Must(t, `query($id: ID!) { node(id: $id) { ... on User { id customFields { key value } } } }`, map[string]any{"id": holder.ID}, &got)
	require.Empty(t, got.Node.CustomFields)
	evs := events(t, env, holder.ID)
	require.Len(t, evs, 2)
	require.Equal(t, []string{"custom.badge"}, evs[1].ChangedFields)
	require.Len(t, events(t, env, other.ID), 1, "users without a value get no event")

	// Options held by users cannot be removed.
	var sel struct{ CreateCustomProfileField struct{ ID string } }
	env.Must(t, `mutation { createCustomProfileField(input: {key: "shirt", label: "Shirt", type: SELECT, options: ["S", "M"]}) { id } }`, nil, &sel)
	env.Must(t, updateUser, map[string]any{"id": other.ID, "input": map[string]any{"customFields": []map[string]any{{"key": "shirt", "value": "M"}}}}, nil)
	e = env.Fail(t, "CONFLICT", `mutation($id: ID!) { updateCustomProfileField(id: $id, input: {options: ["S", "L"]}) { id } }`, map[string]any{"id": sel.CreateCustomProfileField.ID})
	require.Equal(t, "input.options", e.Field())
	env.Must(t, `mutation($id: ID!) { updateCustomProfileField(id: $id, input: {label: "T-shirt", options: ["S", "M", "L"]}) { id label options } }`, map[string]any{"id": sel.CreateCustomProfileField.ID}, nil)
}

func TestProfileFieldsListsTheCatalog(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	env.Must(t, `mutation { createCustomProfileField(input: {key: "badge", label: "Badge", type: NUMBER}) { id } }`, nil, nil)
	var out struct {
		ProfileFields []struct {
			Key                          string
			Type                         string
			Custom, Identifier, ReadOnly bool
		}
	}
	env.Must(t, `{ profileFields { key label type custom identifier readOnly options } }`, nil, &out)
	byKey := map[string]int{}
	for i, f := range out.ProfileFields {
		byKey[f.Key] = i
	}
	for _, key := range []string{"email", "userName", "employeeId", "externalId", "firstName", "lastName", "displayName",
		"jobTitle", "department", "division", "costCenter", "managerEmail", "workPhone", "mobilePhone", "officeLocation",
		"city", "country", "timeZone", "locale", "hireDate", "active", "custom.badge", "event.id", "event.type", "event.occurredAt"} {
		_, ok := byKey[key]
		require.True(t, ok, "profileFields lacks %s", key)
	}
	f := func(key string) struct {
		Key                          string
		Type                         string
		Custom, Identifier, ReadOnly bool
	} {
		return out.ProfileFields[byKey[key]]
	}
	require.True(t, f("email").Identifier)
	require.Equal(t, "EMAIL", f("email").Type)
	require.False(t, f("firstName").Identifier)
	require.True(t, f("active").ReadOnly)
	require.Equal(t, "DATE", f("hireDate").Type)
	require.True(t, f("custom.badge").Custom)
	require.Equal(t, "NUMBER", f("custom.badge").Type)
	require.True(t, f("event.id").ReadOnly)
	require.Less(t, byKey["hireDate"], byKey["custom.badge"], "built-in fields come first")
	require.Less(t, byKey["custom.badge"], byKey["event.id"], "event fields come last")
}
