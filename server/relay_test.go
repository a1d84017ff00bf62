package server_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

type userPage struct {
	Users struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Edges []struct {
			Cursor string
			Node   userData
		}
	}
}

func TestUsersConnectionPagesFiltersAndOrders(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	for i := range 7 {
		in := map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "lastName": fmt.Sprintf("L%d", 6-i), "department": "Ops"}
		if i%2 == 0 {
			in["department"] = "Dev"
		}
		u := mustCreateUser(t, env, in)
		if i == 3 {
			env.Must(t, `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, map[string]any{"id": u.ID}, nil)
		}
	}
	q := `query($after: Cursor, $where: UserWhereInput, $order: UserOrder) {
	  users(first: 3, after: $after, where: $where, orderBy: $order) {
	    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id email lastName department active } }
	  }
	}`
	// Page through everything ordered by last name.
	var seen []string
	var after any
	for {
		var page userPage
		env.Must(t, q, map[string]any{"after": after, "order": map[string]any{"field": "LAST_NAME", "direction": "ASC"}}, &page)
		require.Equal(t, 7, page.Users.TotalCount)
		for _, e := range page.Users.Edges {
			seen = append(seen, *e.Node.LastName)
		}
		if !page.Users.PageInfo.HasNextPage {
			break
		}
		after = page.Users.PageInfo.EndCursor
	}
	require.Equal(t, []string{"L0", "L1", "L2", "L3", "L4", "L5", "L6"}, seen)

	var page userPage
	env.Must(t, q, map[string]any{"where": map[string]any{"department": "Dev", "active": true}}, &page)
	require.Equal(t, 4, page.Users.TotalCount)
	env.Must(t, q, map[string]any{"where": map[string]any{"active": false}}, &page)
	require.Equal(t, 1, page.Users.TotalCount)
	env.Must(t, q, map[string]any{"where": map[string]any{"emailContainsFold": "U5@"}}, &page)
	require.Equal(t, 1, page.Users.TotalCount)
	require.Equal(t, "u5@example.com", *page.Users.Edges[0].Node.Email)
	env.Must(t, q, map[string]any{"where": map[string]any{"or": []map[string]any{{"lastName": "L0"}, {"lastName": "L6"}}}}, &page)
	require.Equal(t, 2, page.Users.TotalCount)

	var last struct {
		Users struct{ Edges []struct{ Node userData } }
	}
	env.Must(t, `{ users(last: 2, orderBy: {field: EMAIL}) { edges { node { email } } } }`, nil, &last)
	require.Equal(t, "u5@example.com", *last.Users.Edges[0].Node.Email)
	require.Equal(t, "u6@example.com", *last.Users.Edges[1].Node.Email)
}

func TestNodeResolvesEveryType(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	u := mustCreateUser(t, env, map[string]any{"email": "n@example.com"})
	var cf struct{ CreateCustomProfileField struct{ ID string } }
	env.Must(t, `mutation { createCustomProfileField(input: {key: "badge", label: "Badge", type: TEXT}) { id } }`, nil, &cf)
	var wh struct {
		CreateProfileWebhook struct{ ProfileWebhook struct{ ID string } }
	}
	env.Must(t, createWebhook, map[string]any{"input": webhookInput(nil)}, &wh)
	var ep struct {
		CreateInboundEndpoint struct{ InboundEndpoint struct{ ID string } }
	}
	env.Must(t, createEndpoint, map[string]any{"input": endpointInput(nil)}, &ep)
	ev := events(t, env, u.ID)[0]

	ids := map[string]string{
		u.ID: "User", cf.CreateCustomProfileField.ID: "CustomProfileField",
		wh.CreateProfileWebhook.ProfileWebhook.ID:   "ProfileWebhook",
		ep.CreateInboundEndpoint.InboundEndpoint.ID: "InboundEndpoint", ev.ID: "ProfileEvent",
	}
	var list []string
	for id, typ := range ids {
		var out struct {
			Node struct {
				ID       string `json:"id"`
				Typename string `json:"__typename"`
			}
		}
		env.Must(t, `query($id: ID!) { node(id: $id) { id __typename } }`, map[string]any{"id": id}, &out)
		require.Equal(t, typ, out.Node.Typename, id)
		require.Equal(t, id, out.Node.ID)
		list = append(list, id)
	}
	var many struct{ Nodes []struct{ ID string } }
	env.Must(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": list}, &many)
	require.Len(t, many.Nodes, len(list))

	env.Fail(t, "NOT_FOUND", `{ node(id: "usr_01J0000000000000000000000") { id } }`, nil)
	env.Fail(t, "NOT_FOUND", `{ node(id: "nonsense") { id } }`, nil)
}

// TestConnectionsMakeNoNPlusOneQueries proves that a page of users with
// their custom fields, and a page of events with their users, cost the same
// number of SQL statements whatever the page size.
func TestConnectionsMakeNoNPlusOneQueries(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.Options{})
	env.Must(t, `mutation { createCustomProfileField(input: {key: "badge", label: "Badge", type: TEXT}) { id } }`, nil, nil)
	for i := range 25 {
		mustCreateUser(t, env, map[string]any{
			"email": fmt.Sprintf("q%d@example.com", i), "firstName": "Q",
			"customFields": []map[string]any{{"key": "badge", "value": fmt.Sprint(i)}},
		})
	}
	cost := func(query string, n int) int64 {
		before := env.Queries.Load()
		env.Must(t, query, map[string]any{"n": n}, nil)
		return env.Queries.Load() - before
	}
	users := `query($n: Int) { users(first: $n) { totalCount edges { node { id email firstName customFields { key value } } } } }`
	require.Equal(t, cost(users, 2), cost(users, 20))
	evs := `query($n: Int) { profileEvents(first: $n) { edges { node { id trigger user { id email } } } } }`
	require.Equal(t, cost(evs, 2), cost(evs, 20))
	require.LessOrEqual(t, cost(evs, 20), int64(3), "events and their users load in a fixed number of queries")
}
