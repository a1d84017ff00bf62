package apitest

import (
	"context"
	"database/sql"
	"os"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/profilehooks/profilehooks/secret"
)

// countingDriver counts the statements ent runs, in and out of
// transactions, and shows them to seen (nil: to nobody).
type countingDriver struct {
	dialect.Driver
	n    *atomic.Int64
	seen func(query string, args []any)
}

func (d countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.note(query, args)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d countingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.note(query, args)
	return d.Driver.Query(ctx, query, args, v)
}

func (d countingDriver) note(query string, args any) {
	d.n.Add(1)
	if d.seen != nil {
		list, _ := args.([]any)
		d.seen(query, list)
	}
}

func (d countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return countingTx{Tx: tx, d: d}, nil
}

type countingTx struct {
	dialect.Tx
	d countingDriver
}

func (t countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.d.note(query, args)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.d.note(query, args)
	return t.Tx.Query(ctx, query, args, v)
}

// secretKeyFile creates a key file at path, as an operator would before
// running outside dev mode.
func secretKeyFile(path string) (*secret.Box, error) {
	if _, err := os.Stat(path); err == nil {
		return secret.LoadKeyFile(path, false)
	}
	return secret.LoadKeyFile(path, true)
}

// ExecContext lets raw statements (pg_notify) through the counting wrapper.
func (t countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.d.note(query, args)
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, query, args...)
}

// QueryContext lets raw queries (advisory locks) through the counting
// wrapper.
func (t countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.d.note(query, args)
	return t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// ExecContext lets raw statements outside transactions through.
func (d countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.note(query, args)
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, query, args...)
}

// QueryContext lets raw queries outside transactions (current_schema())
// through.
func (d countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.note(query, args)
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}
