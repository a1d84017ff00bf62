package inbound_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/apitest"
	"github.com/profilehooks/profilehooks/server"
)

// FuzzRequest posts arbitrary bodies to an endpoint (CREATE policy, so
// objects can create users) through the real handler on loopback. The
// handler never panics (a panic is a 500 or a broken connection), answers
// JSON with a status of the contract, writes nothing when it answers an
// error, and writes exactly what its per-object results say otherwise.
// The seeds run as a normal test; `go test -fuzz FuzzRequest ./inbound/`
// explores further.
func FuzzRequest(f *testing.F) {
	env := apitest.New(f, apitest.Options{Configure: func(c *server.Config) { c.InboundMaxBody = 16 << 10 }})
	ep, token := oauthEndpoint(f, env, nil)
	createUser(f, env, map[string]any{"employeeId": "E1", "email": "ada@example.com"})
	createUser(f, env, map[string]any{"employeeId": "E2", "email": "grace@example.com"})
	for _, seed := range []string{
		`{"emp": {"id": "E1", "title": "Engineer"}}`,
		`{"emp": {"id": "E3", "mail": "new@example.com", "active": false}}`,
		`[{"emp": {"id": "E1", "title": "x"}}, {"emp": {"mail": "bad"}}, 7, null, {"emp": {"id": "E4"}}]`,
		`{"emp": {"id": "E1", "mail": "grace@example.com"}}`,
		`{"emp": {"id": 12345678901234567890, "title": 1e400}}`,
		`{"emp": {"id": ["E1"], "title": {"a": 1}}}`,
		`{"emp": "E1", "lastName": null}`,
		`{"emp": {"id": "E1", "active": "yes"}}`,
		`{"emp": {"id": "\u0000", "mail": "\ud800@x.com"}}`,
		`[]`, `{}`, `null`, `"x"`, `[[[]]]`, `{"emp":`, `{"a":1} x`, "\xff\xfe",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, atomic bool) {
		url := ep.URL
		if atomic {
			url += "?atomic=true"
		}
		before := snapshot(t, env)
		r := env.Inbound(t, url, body, apitest.Bearer(token)...)
		after := snapshot(t, env)
		switch r.Status {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			require.NotNil(t, r.Error, "%s", r.Body)
			require.Equal(t, before, after, "an error answer writes nothing: %s", r.Body)
			return
		default:
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		created, applied := 0, 0
		for _, res := range r.Results {
			switch {
			case res.Error != nil:
				require.Empty(t, res.UserID)
			case res.Status == "created":
				created++
				applied++
			case res.Status == "updated":
				applied++
			default:
				require.Equal(t, "unchanged", res.Status)
			}
		}
		require.Len(t, after.Users, len(before.Users)+created, "%s", r.Body)
		if applied == 0 {
			require.Equal(t, before, after, "nothing applied, nothing written: %s", r.Body)
		} else {
			require.Greater(t, after.Events, before.Events)
		}
	})
}
