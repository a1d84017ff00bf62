package secret_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/secret"
)

func newBox(t *testing.T) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(secret.Random(secret.KeySize))
	require.NoError(t, err)
	return b
}

// sealedTable makes a table "things" with a sealed column "secret" holding
// rows of the given values.
func sealedTable(t *testing.T, values map[string]any) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "rotate.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Exec(`CREATE TABLE things (id TEXT PRIMARY KEY, secret TEXT)`)
	require.NoError(t, err)
	for id, v := range values {
		_, err := db.Exec(`INSERT INTO things (id, secret) VALUES (?, ?)`, id, v)
		require.NoError(t, err)
	}
	return db
}

func rotate(t *testing.T, db *sql.DB, oldBox, newBox *secret.Box) (secret.RotateReport, error) {
	t.Helper()
	tx, err := db.Begin()
	require.NoError(t, err)
	rep, err := secret.Rotate(context.Background(), tx, false, []secret.Column{{Table: "things", Column: "secret"}}, oldBox, newBox)
	if err != nil {
		require.NoError(t, tx.Rollback())
		return rep, err
	}
	require.NoError(t, tx.Commit())
	return rep, nil
}

func stored(t *testing.T, db *sql.DB, id string) string {
	t.Helper()
	var v sql.NullString
	require.NoError(t, db.QueryRow(`SELECT secret FROM things WHERE id = ?`, id).Scan(&v))
	return v.String
}

func TestRotateReseals(t *testing.T) {
	t.Parallel()
	a, b := newBox(t), newBox(t)
	db := sealedTable(t, map[string]any{
		"1": a.Seal("one"), "2": a.Seal("two"), "3": b.Seal("three"), "4": nil, "5": "",
	})
	rep, err := rotate(t, db, a, b)
	require.NoError(t, err)
	require.Equal(t, secret.RotateReport{Resealed: 2, Current: 1, Columns: 1}, rep)
	for id, want := range map[string]string{"1": "one", "2": "two", "3": "three"} {
		got, err := b.Open(stored(t, db, id))
		require.NoError(t, err)
		require.Equal(t, want, got)
		_, err = a.Open(stored(t, db, id))
		require.Error(t, err, "the old key no longer opens %s", id)
	}
	require.Empty(t, stored(t, db, "4"))
	require.Empty(t, stored(t, db, "5"))

	// Running it again changes nothing.
	rep, err = rotate(t, db, a, b)
	require.NoError(t, err)
	require.Equal(t, secret.RotateReport{Current: 3, Columns: 1}, rep)
}

func TestRotateStopsAtAValueNeitherKeyOpens(t *testing.T) {
	t.Parallel()
	a, b, c := newBox(t), newBox(t), newBox(t)
	sealedA := a.Seal("one")
	db := sealedTable(t, map[string]any{"1": sealedA, "2": c.Seal("foreign")})
	_, err := rotate(t, db, a, b)
	require.ErrorContains(t, err, "things.secret of row 2: neither key opens it")
	require.NotContains(t, err.Error(), "foreign")
	require.Equal(t, sealedA, stored(t, db, "1"), "rolled back: nothing changed")
}

func TestSealedColumnsAreSortedAndUnique(t *testing.T) {
	t.Parallel()
	secret.RegisterSealed(secret.Column{Table: "aaa_test", Column: "x"}, secret.Column{Table: "aaa_test", Column: "x"})
	cols := secret.SealedColumns()
	require.Equal(t, secret.Column{Table: "aaa_test", Column: "x"}, cols[0])
	require.NotEqual(t, cols[0], cols[1])
	require.Contains(t, cols, secret.Column{Table: "profile_webhooks", Column: "signing_secret"})
	require.Contains(t, cols, secret.Column{Table: "webhook_credentials", Column: "token"})
}
