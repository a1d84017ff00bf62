package apitest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/secret"
)

// DatabaseEnv selects the database the tests run on: "sqlite" (the
// default) or "postgres". `make test` runs the storage-facing packages on
// both, so one suite covers every database.
const DatabaseEnv = "PROFILEHOOKS_TEST_DATABASE"

// PostgresURLEnv overrides DefaultPostgresURL.
const PostgresURLEnv = "PROFILEHOOKS_TEST_POSTGRES_URL"

// DefaultPostgresURL is the PostgreSQL the tests use on this machine and
// in CI.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(DatabaseEnv) == "postgres" }

// DatabaseURL returns a fresh, empty database for one test: a SQLite file
// in dir, or a schema of its own in the test PostgreSQL (dropped when t
// ends). An unreachable PostgreSQL fails the test: it is never skipped.
func DatabaseURL(t testing.TB, dir string) string {
	t.Helper()
	if !Postgres() {
		return "sqlite://" + filepath.Join(dir, "profilehooks.db")
	}
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		base = DefaultPostgresURL
	}
	db, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer db.Close()
	schema := fmt.Sprintf("t_%x", secret.Random(8))
	_, err = db.ExecContext(context.Background(), "CREATE SCHEMA "+schema)
	require.NoError(t, err, "PostgreSQL at %s is needed for %s=postgres", base, DatabaseEnv)
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
