package secret

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Column is a database column whose values are sealed with the service's
// Box. Every table of the service has its primary key in "id".
type Column struct {
	Table  string
	Column string
}

func (c Column) String() string { return c.Table + "." + c.Column }

var (
	sealedMu sync.Mutex
	// sealed lists the columns that hold sealed values. Add a new one here,
	// or call RegisterSealed from the owning package's init function: a
	// column missing from the list is not re-encrypted by rotate-key and
	// becomes unreadable once the old key is gone. The test of rotate-key
	// checks that every ent field whose comment says "sealed" is listed.
	sealed = []Column{
		{"profile_webhooks", "signing_secret"},
		{"profile_webhooks", "previous_signing_secret"},
		{"inbound_endpoints", "hmac_secret"},
		{"webhook_credentials", "client_secret"},
		{"webhook_credentials", "password"},
		{"webhook_credentials", "token"},
		{"oauth_signing_keys", "private_key"},
	}
)

// RegisterSealed adds columns to SealedColumns. A package that stores
// values sealed with the service's Box in a column not listed in this
// package calls it from an init function, so that rotate-key re-encrypts
// them.
func RegisterSealed(cols ...Column) {
	sealedMu.Lock()
	defer sealedMu.Unlock()
	sealed = append(sealed, cols...)
}

// SealedColumns returns every column registered as holding sealed values,
// sorted by table and column, each once.
func SealedColumns() []Column {
	sealedMu.Lock()
	out := slices.Clone(sealed)
	sealedMu.Unlock()
	slices.SortFunc(out, func(a, b Column) int {
		return cmp.Or(strings.Compare(a.Table, b.Table), strings.Compare(a.Column, b.Column))
	})
	return slices.Compact(out)
}

// Querier runs statements; *sql.Tx and ent's Tx (with the ExecQuery
// feature) are Queriers.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// RotateReport counts what Rotate did.
type RotateReport struct {
	// Resealed is how many values were opened with the old key and sealed
	// with the new one.
	Resealed int
	// Current is how many values the new key opened already (an earlier
	// rotation to the same key); they are left as they are.
	Current int
	// Columns is how many columns were read.
	Columns int
}

// Rotate re-encrypts the sealed values of cols: each value that oldBox
// opens is sealed again with newBox. Values that newBox opens already are
// left alone, so running Rotate twice is harmless; NULL and empty values
// are skipped. A value neither key opens stops the rotation with an error
// naming its row (never its content). Rotate writes through q and neither
// commits nor rolls back: run it in one transaction, and roll back on an
// error. postgres selects $n placeholders instead of ?.
func Rotate(ctx context.Context, q Querier, postgres bool, cols []Column, oldBox, newBox *Box) (RotateReport, error) {
	var rep RotateReport
	for _, c := range cols {
		rows, err := readSealed(ctx, q, c)
		if err != nil {
			return rep, err
		}
		rep.Columns++
		update := fmt.Sprintf("UPDATE %s SET %s = %s WHERE id = %s",
			quote(c.Table), quote(c.Column), placeholder(postgres, 1), placeholder(postgres, 2))
		for _, r := range rows {
			plain, err := oldBox.Open(r.value)
			if err != nil {
				if _, current := newBox.Open(r.value); current == nil {
					rep.Current++
					continue
				}
				return rep, fmt.Errorf("secret: rotate %s of row %s: neither key opens it: %w", c, r.id, err)
			}
			if _, err := q.ExecContext(ctx, update, newBox.Seal(plain), r.id); err != nil {
				return rep, fmt.Errorf("secret: rotate %s of row %s: %w", c, r.id, err)
			}
			rep.Resealed++
		}
	}
	return rep, nil
}

type sealedRow struct{ id, value string }

// readSealed reads every non-empty value of c. It reads them all before
// any update, since a transaction has one connection.
func readSealed(ctx context.Context, q Querier, c Column) ([]sealedRow, error) {
	query := fmt.Sprintf("SELECT id, %s FROM %s WHERE %[1]s IS NOT NULL AND %[1]s <> '' ORDER BY id", quote(c.Column), quote(c.Table))
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("secret: read %s: %w", c, err)
	}
	defer rows.Close()
	var out []sealedRow
	for rows.Next() {
		var r sealedRow
		if err := rows.Scan(&r.id, &r.value); err != nil {
			return nil, fmt.Errorf("secret: read %s: %w", c, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("secret: read %s: %w", c, err)
	}
	return out, nil
}

// quote quotes an SQL identifier; SQLite and PostgreSQL both accept double
// quotes.
func quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

func placeholder(postgres bool, n int) string {
	if postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
