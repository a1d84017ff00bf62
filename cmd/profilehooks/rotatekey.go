package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"entgo.io/ent/dialect"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
)

// rotateKeyUsage is the synopsis of rotate-key.
const rotateKeyUsage = "profilehooks rotate-key --old <key file> --new <key file> [--database-url <url>]"

// rotateKey runs "profilehooks rotate-key": it re-encrypts every sealed
// secret in the database (secret.SealedColumns) from the key in --old to
// the key in --new, in one transaction, so either all of them move to the
// new key or none does. The database URL defaults to
// PROFILEHOOKS_DATABASE_URL, then to the serve default. Stop the service
// first and start it again with --secret-key-file set to the new key.
func rotateKey(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rotate-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage:", rotateKeyUsage)
		fs.PrintDefaults()
	}
	oldPath := fs.String("old", "", "file holding the current secret key (base64)")
	newPath := fs.String("new", "", "file holding the new secret key (base64); create it with: head -c 32 /dev/urandom | base64 > new.key")
	dbURL := fs.String("database-url", "sqlite://data/profilehooks.db", "`sqlite://<path>` or postgres://…")
	if v := getenv("PROFILEHOOKS_DATABASE_URL"); v != "" {
		*dbURL = v
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("rotate-key: unexpected argument %q; usage: %s", fs.Arg(0), rotateKeyUsage)
	case *oldPath == "" || *newPath == "":
		return fmt.Errorf("rotate-key: --old and --new are required; usage: %s", rotateKeyUsage)
	}
	oldBox, err := secret.LoadKeyFile(*oldPath, false)
	if err != nil {
		return fmt.Errorf("rotate-key: old key: %w", err)
	}
	newBox, err := secret.LoadKeyFile(*newPath, false)
	if err != nil {
		return fmt.Errorf("rotate-key: new key: %w", err)
	}
	if _, err := oldBox.Open(newBox.Seal("probe")); err == nil {
		return errors.New("rotate-key: --old and --new hold the same key")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, *dbURL, store.Options{})
	if err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	defer db.Close()
	cols := secret.SealedColumns()
	var rep secret.RotateReport
	err = store.WithTx(ctx, db.Client, func(ctx context.Context) error {
		rep, err = secret.Rotate(ctx, ent.TxFromContext(ctx), db.Dialect == dialect.Postgres, cols, oldBox, newBox)
		return err
	})
	if err != nil {
		return fmt.Errorf("rotate-key: nothing was changed: %w", err)
	}
	fmt.Fprintf(stdout, "re-encrypted %d secrets in %d columns (%d were under the new key already); start the service with --secret-key-file %s\n",
		rep.Resealed, rep.Columns, rep.Current, *newPath)
	return nil
}
