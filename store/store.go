// Package store opens the database behind profilehooks, by URL, and brings
// its schema up to date. SQLite ("sqlite://path") is the embedded default;
// PostgreSQL ("postgres://…") is for deployments that outgrow one machine.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" database/sql driver

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/secret"
)

// DB is an open database: the ent client the service shares between the
// API and the dispatcher, and the database/sql pool its reads use.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	// Schema is, on PostgreSQL, the schema the tables live in (it names
	// the notification channels); "" on SQLite.
	Schema string
}

// Options tune Open. The zero value is the production setting.
type Options struct {
	// WrapDriver, if not nil, wraps the ent driver; tests use it to count
	// queries.
	WrapDriver func(dialect.Driver) dialect.Driver
}

// Open connects to the database at rawURL, creates the directory of a
// SQLite file if needed, and migrates the schema (see Migrate).
//
// SQLite runs in WAL mode with foreign keys on, a 10 s busy timeout,
// synchronous=NORMAL (durable across process crashes; the last commits can
// be lost on power loss) and BEGIN IMMEDIATE transactions, so writers queue
// for the lock up front instead of failing on upgrade.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	driverName, dsn, dialectName, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialectName, err)
	}
	var drv dialect.Driver = entsql.OpenDB(dialectName, db)
	if dialectName == dialect.SQLite {
		// SQLite has one writer at a time. Letting several connections race
		// for the lock puts the losers into SQLite's busy handler, which
		// sleeps for milliseconds at a time; one write connection makes
		// writers queue in Go instead and hand over at once. Reads (queries
		// outside transactions) use a pool of their own and run
		// concurrently under WAL.
		db.SetMaxOpenConns(1)
		read, err := sql.Open(driverName, dsn)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w", dialectName, err)
		}
		read.SetMaxOpenConns(8)
		read.SetMaxIdleConns(8)
		drv = readSplit{Driver: drv, read: entsql.OpenDB(dialectName, read)}
		db = read
	} else {
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
	}
	if err := db.PingContext(ctx); err != nil {
		drv.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dialectName, err)
	}
	if opts.WrapDriver != nil {
		drv = opts.WrapDriver(drv)
	}
	out := &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Dialect: dialectName}
	if dialectName == dialect.Postgres {
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&out.Schema); err != nil {
			out.Close()
			return nil, fmt.Errorf("store: read the schema: %w", err)
		}
	}
	if err := out.Migrate(ctx); err != nil {
		out.Close()
		return nil, err
	}
	return out, nil
}

// readSplit sends queries outside transactions to a read pool and
// everything else (transactions, statements outside them) to the single
// write connection of SQLite. A transaction must therefore never wait for
// another transaction of the same goroutine: with one write connection,
// that wait never ends.
type readSplit struct {
	dialect.Driver // the write connection
	read           dialect.Driver
}

func (r readSplit) Query(ctx context.Context, query string, args, v any) error {
	return r.read.Query(ctx, query, args, v)
}

func (r readSplit) Close() error {
	return errors.Join(r.Driver.Close(), r.read.Close())
}

var migrateMu sync.Mutex

// migrateLockKey is the PostgreSQL advisory lock held while migrating.
const migrateLockKey int64 = 0x70686b6d69670001

// Migrate brings the schema up to date with ent/schema: it creates missing
// tables, columns and indexes and never drops anything. It runs at every
// start-up.
func (db *DB) Migrate(ctx context.Context) error {
	// ent's migration mutates the package-level table descriptors in
	// ent/migrate, so two migrations in one process (parallel tests) must
	// not overlap.
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if db.Dialect == dialect.Postgres {
		// Replicas starting together take turns: the first migrates, the
		// others then find nothing to do.
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
			return fmt.Errorf("store: migrate: take the migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey) //nolint:errcheck // closing the connection releases it too
	}
	if err := db.Client.Schema.Create(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// Close closes the client and the pool.
func (db *DB) Close() error { return db.Client.Close() }

func parseURL(rawURL string) (driverName, dsn, dialectName string, err error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		path := strings.TrimPrefix(rawURL, "sqlite://")
		if path == "" {
			return "", "", "", errors.New("store: sqlite URL has no file path (sqlite://data/profilehooks.db)")
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return "", "", "", fmt.Errorf("store: create database directory: %w", err)
			}
		}
		q := url.Values{}
		q.Set("_fk", "1")
		q.Set("_journal_mode", "WAL")
		q.Set("_busy_timeout", "10000")
		q.Set("_synchronous", "NORMAL")
		q.Set("_txlock", "immediate")
		return "sqlite3", "file:" + path + "?" + q.Encode(), dialect.SQLite, nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return "pgx", rawURL, dialect.Postgres, nil
	}
	return "", "", "", fmt.Errorf("store: unsupported database URL %q: use sqlite://<path> or postgres://…", redact(rawURL))
}

func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable>"
	}
	return u.Redacted()
}

// WithTx runs fn in a transaction of client, with the transaction in fn's
// context (ent.TxFromContext, and its client as ent.FromContext), and
// commits when fn returns nil.
func WithTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client())); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// ErrNoClient is returned by ClientFrom when the context carries no ent
// client: the domain operations run in their caller's transaction, put
// into the context with ent.NewContext (the GraphQL layer does that for
// every mutation, WithTx for everything else).
var ErrNoClient = errors.New("store: no ent client in context")

// ClientFrom returns the ent client of ctx (usually a transaction's), or
// ErrNoClient.
func ClientFrom(ctx context.Context) (*ent.Client, error) {
	if c := ent.FromContext(ctx); c != nil {
		return c, nil
	}
	return nil, ErrNoClient
}

// NewOwnerID returns an ID naming this process as the owner of the leases
// it takes: the host name and a random suffix.
func NewOwnerID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%x", host, secret.Random(6))
}
