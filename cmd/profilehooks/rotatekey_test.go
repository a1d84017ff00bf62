package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/credential"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/ent/webhookcredential"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
	"github.com/profilehooks/profilehooks/webhook"
)

func keyFile(t *testing.T, dir, name string) (string, *secret.Box) {
	t.Helper()
	path := filepath.Join(dir, name)
	box, err := secret.LoadKeyFile(path, true)
	require.NoError(t, err)
	return path, box
}

// plaintexts are the secrets seeded under the old key, by table.column and
// row.
type plaintexts map[secret.Column]map[string]string

func (p plaintexts) add(table, column, id, value string) {
	c := secret.Column{Table: table, Column: column}
	if p[c] == nil {
		p[c] = map[string]string{}
	}
	p[c][id] = value
}

// seed stores, through the real services and under box, a webhook whose
// secret was rotated (a current and a previous signing secret), an inbound
// endpoint and a credential of every type with secrets, and returns the
// plain values.
func seed(t *testing.T, dbURL string, box *secret.Box) plaintexts {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	want := plaintexts{}
	hooks := &webhook.Service{Box: box, PublicURL: "https://hooks.example.test"}
	creds := credential.New(credential.Config{Client: db.Client, Box: box})
	err = store.WithTx(ctx, db.Client, func(ctx context.Context) error {
		created, err := hooks.CreateWebhook(ctx, webhook.WebhookSpec{
			Name: "HR", URL: "https://hr.example.test/hook", Triggers: []schematype.Trigger{schematype.TriggerCreateUser},
		})
		if err != nil {
			return err
		}
		id := created.ProfileWebhook.ID
		rotated, err := hooks.RotateSecret(ctx, id, nil)
		if err != nil {
			return err
		}
		want.add("profile_webhooks", "previous_signing_secret", id, created.SigningSecret)
		want.add("profile_webhooks", "signing_secret", id, rotated.SigningSecret)
		ep, err := hooks.CreateEndpoint(ctx, webhook.EndpointSpec{
			Name:            "Payroll",
			InputParameters: []schematype.InputMapping{{APIField: "id", ProfileField: "email", UserIdentifier: true}},
		})
		if err != nil {
			return err
		}
		want.add("inbound_endpoints", "hmac_secret", ep.InboundEndpoint.ID, ep.SigningSecret)
		for i, spec := range []credential.Spec{
			{Type: webhookcredential.TypeOAuth2ClientCredentials, TokenURL: ptr("https://auth.example.test/token"), ClientID: ptr("c"), ClientSecret: ptr("client-secret-1")},
			{Type: webhookcredential.TypeOAuth2Password, TokenURL: ptr("https://auth.example.test/token"), ClientID: ptr("c"), ClientSecret: ptr("client-secret-2"), Username: ptr("u"), Password: ptr("password-2")},
			{Type: webhookcredential.TypeBasic, Username: ptr("u"), Password: ptr("password-3")},
			{Type: webhookcredential.TypeBearer, Token: ptr("token-4")},
			{Type: webhookcredential.TypeAPIKeyHeader, HeaderName: ptr("X-Key"), Token: ptr("token-5")},
		} {
			spec.Name = fmt.Sprintf("credential %d", i)
			c, err := creds.Create(ctx, spec)
			if err != nil {
				return err
			}
			for column, v := range map[string]*string{"client_secret": spec.ClientSecret, "password": spec.Password, "token": spec.Token} {
				if v != nil {
					want.add("webhook_credentials", column, c.ID, *v)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	return want
}

func ptr(s string) *string { return &s }

// sealedValues reads every non-empty value of every registered sealed
// column, by column and row.
func sealedValues(t *testing.T, dbURL string) map[secret.Column]map[string]string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	out := map[secret.Column]map[string]string{}
	for _, c := range secret.SealedColumns() {
		rows, err := db.SQL.QueryContext(ctx, fmt.Sprintf(`SELECT id, %q FROM %q WHERE %[1]q IS NOT NULL AND %[1]q <> ''`, c.Column, c.Table))
		require.NoError(t, err, c.String())
		for rows.Next() {
			var id, v string
			require.NoError(t, rows.Scan(&id, &v))
			if out[c] == nil {
				out[c] = map[string]string{}
			}
			out[c][id] = v
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}
	return out
}

func TestRotateKeyReEncryptsEverySealedSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	oldPath, oldBox := keyFile(t, dir, "old.key")
	newPath, newBox := keyFile(t, dir, "new.key")
	dbURL := "sqlite://" + filepath.Join(dir, "profilehooks.db")
	want := seed(t, dbURL, oldBox)

	var stdout, stderr bytes.Buffer
	err := run([]string{"rotate-key", "--old", oldPath, "--new", newPath, "--database-url", dbURL}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	require.Contains(t, stdout.String(), "re-encrypted 9 secrets in ")

	got := sealedValues(t, dbURL)
	n := 0
	for col, rows := range got {
		for id, sealed := range rows {
			plain, err := newBox.Open(sealed)
			require.NoError(t, err, "%s of %s opens under the new key", col, id)
			_, err = oldBox.Open(sealed)
			require.Error(t, err, "%s of %s no longer opens under the old key", col, id)
			require.Equal(t, want[col][id], plain, "%s of %s", col, id)
			n++
		}
	}
	require.Equal(t, 9, n)

	// The service reads them with the new key: a credential still
	// authorises with its secret.
	db, err := store.Open(context.Background(), dbURL, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	cred, err := db.Client.WebhookCredential.Query().Where(webhookcredential.TypeEQ(webhookcredential.TypeBearer)).Only(context.Background())
	require.NoError(t, err)
	svc := credential.New(credential.Config{Client: db.Client, Box: newBox})
	res, err := svc.Test(ent.NewContext(context.Background(), db.Client), cred.ID)
	require.NoError(t, err)
	require.True(t, res.OK)
}

func TestRotateKeyChangesNothingWhenAValueDoesNotOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	oldPath, oldBox := keyFile(t, dir, "old.key")
	newPath, _ := keyFile(t, dir, "new.key")
	_, strayBox := keyFile(t, dir, "stray.key")
	dbURL := "sqlite://" + filepath.Join(dir, "profilehooks.db")
	seed(t, dbURL, oldBox)
	// A token sealed under a third key.
	db, err := store.Open(context.Background(), dbURL, store.Options{})
	require.NoError(t, err)
	stray, err := db.Client.WebhookCredential.Create().SetName("stray").SetType(webhookcredential.TypeBearer).
		SetToken(strayBox.Seal("stray-token")).Save(context.Background())
	require.NoError(t, err)
	require.NoError(t, db.Close())
	before := sealedValues(t, dbURL)

	var stdout, stderr bytes.Buffer
	err = run([]string{"rotate-key", "--old", oldPath, "--new", newPath, "--database-url", dbURL}, &stdout, &stderr)
	require.ErrorContains(t, err, "nothing was changed")
	require.ErrorContains(t, err, stray.ID)
	require.NotContains(t, err.Error(), "stray-token")
	require.Equal(t, before, sealedValues(t, dbURL), "one transaction: no value moved")
}

func TestRotateKeyArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, _ := keyFile(t, dir, "a.key")
	b, _ := keyFile(t, dir, "b.key")
	dbURL := "sqlite://" + filepath.Join(dir, "p.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--new", b, "--database-url", dbURL}, "--old and --new are required"},
		{[]string{"--old", a, "--database-url", dbURL}, "--old and --new are required"},
		{[]string{"--old", a, "--new", a, "--database-url", dbURL}, "the same key"},
		{[]string{"--old", filepath.Join(dir, "missing.key"), "--new", b, "--database-url", dbURL}, "old key"},
		{[]string{"--old", a, "--new", b, "--database-url", "mysql://x"}, "unsupported database URL"},
		{[]string{"--old", a, "--new", b, "extra"}, "unexpected argument"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(append([]string{"rotate-key"}, tc.args...), &stdout, &stderr)
		require.ErrorContains(t, err, tc.want, strings.Join(tc.args, " "))
	}
}

// TestSealedColumnsMatchTheSchema keeps secret.SealedColumns honest: every
// sensitive ent field whose comment says it is sealed must be registered
// (or rotate-key would leave it under the old key, unreadable), and every
// registered column must exist.
func TestSealedColumnsMatchTheSchema(t *testing.T) {
	t.Parallel()
	graph, err := entc.LoadGraph("../../ent/schema", &gen.Config{})
	require.NoError(t, err)
	registered := secret.SealedColumns()
	var inSchema []secret.Column
	for _, n := range graph.Nodes {
		for _, f := range n.Fields {
			c := secret.Column{Table: n.Table(), Column: f.StorageKey()}
			inSchema = append(inSchema, c)
			if f.Sensitive() && strings.Contains(strings.ToLower(f.Comment()), "sealed") {
				require.Contains(t, registered, c, "%s is sealed: list it in secret.sealed or call secret.RegisterSealed", c)
			}
		}
	}
	for _, c := range registered {
		require.True(t, slices.Contains(inSchema, c), "registered sealed column %s is not in ent/schema", c)
	}
}
