package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
)

type auditNode struct {
	ID            string
	OccurredAt    time.Time
	Actor         string
	ActorName     string
	Credential    string
	Role          string
	Operation     string
	TargetID      string
	Outcome       string
	ClientAddress string
}

// auditLog returns the audit log, oldest first, as env's caller reads it.
func auditLog(t *testing.T, env *apitest.Env) []auditNode {
	t.Helper()
	var out struct {
		AuditLog struct {
			Edges []struct{ Node auditNode }
		}
	}
	env.Must(t, `{ auditLog(first: 100, orderBy: {field: OCCURRED_AT}) { edges { node {
		id occurredAt actor actorName credential role operation targetId outcome clientAddress } } } }`, nil, &out)
	nodes := make([]auditNode, len(out.AuditLog.Edges))
	for i, e := range out.AuditLog.Edges {
		nodes[i] = e.Node
	}
	return nodes
}

func TestAuditLogRecordsEveryMutation(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	env := apitest.New(t, apitest.Options{Now: clock.Now})

	var created struct{ CreateUser struct{ ID string } }
	env.Must(t, `mutation { createUser(input: {email: "ada@example.com"}) { id } }`, nil, &created)
	userID := created.CreateUser.ID

	// Failures are recorded although their transaction rolled back.
	env.Fail(t, "CONFLICT", `mutation { createUser(input: {email: "ada@example.com"}) { id } }`, nil)
	env.Fail(t, "NOT_FOUND", `mutation { deactivateUser(id: "usr_missing") { id } }`, nil)

	// Two fields: the second fails, so the first is rolled back.
	r := env.Do(t, `mutation { a: createUser(input: {email: "bob@example.com"}) { id } b: deactivateUser(id: "usr_gone") { id } }`, nil)
	require.Len(t, r.Errors, 1)
	var users struct{ Users struct{ TotalCount int } }
	env.Must(t, `{ users { totalCount } }`, nil, &users)
	require.Equal(t, 1, users.Users.TotalCount, "bob was rolled back")

	// A payload's object ID is the target when there is no id argument.
	tokenID, viewerToken := createToken(t, env, "auditor", "VIEWER", nil)

	// A viewer's attempt is refused and recorded, with its variables.
	viewer := as(env, viewerToken)
	viewer.Fail(t, "FORBIDDEN", `mutation($id: ID!) { activateUser(id: $id) { id } }`, map[string]any{"id": userID})

	// Queries are not recorded; viewers can read the log.
	env.Must(t, `{ viewer { subject } }`, nil, nil)
	log := auditLog(t, viewer)

	type row struct{ actor, name, credential, role, operation, target, outcome string }
	got := make([]row, len(log))
	for i, n := range log {
		got[i] = row{n.Actor, n.ActorName, n.Credential, n.Role, n.Operation, n.TargetID, n.Outcome}
		require.True(t, strings.HasPrefix(n.ID, "aud_"), n.ID)
		require.Equal(t, "127.0.0.1", n.ClientAddress)
		require.True(t, clock.Now().Equal(n.OccurredAt), "recorded on the service's clock")
	}
	admin := func(op, target, outcome string) row {
		return row{"admin-token", "bootstrap admin token", "ADMIN_TOKEN", "ADMIN", op, target, outcome}
	}
	require.Equal(t, []row{
		admin("createUser", userID, "OK"),
		admin("createUser", "", "CONFLICT"),
		admin("deactivateUser", "usr_missing", "NOT_FOUND"),
		admin("createUser", "", "ROLLED_BACK"),
		admin("deactivateUser", "usr_gone", "NOT_FOUND"),
		admin("createApiToken", tokenID, "OK"),
		{tokenID, "auditor", "API_TOKEN", "VIEWER", "activateUser", userID, "FORBIDDEN"},
	}, got)
	// The rolled-back user's ID is not claimed as a target: nothing was kept.
	require.NotContains(t, log[3].TargetID, "usr_")

	// The log is filterable like the other connections.
	var filtered struct{ AuditLog struct{ TotalCount int } }
	viewer.Must(t, `query($id: String!) { auditLog(where: {targetID: $id}) { totalCount } }`, map[string]any{"id": userID}, &filtered)
	require.Equal(t, 2, filtered.AuditLog.TotalCount)

	// Recording survives: the entries are plain rows outside any transaction.
	n, err := env.DB.Client.AuditEntry.Query().Count(t.Context())
	require.NoError(t, err)
	require.Equal(t, len(log), n)
}
