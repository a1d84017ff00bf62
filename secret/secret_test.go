package secret_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/secret"
)

func TestBoxRoundTripAndTamper(t *testing.T) {
	t.Parallel()
	box, err := secret.NewBox(secret.Random(secret.KeySize))
	require.NoError(t, err)
	sealed := box.Seal("whsec_abc")
	require.NotContains(t, sealed, "whsec_abc")
	got, err := box.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, "whsec_abc", got)

	other, err := secret.NewBox(secret.Random(secret.KeySize))
	require.NoError(t, err)
	_, err = other.Open(sealed)
	require.Error(t, err)
	_, err = box.Open(sealed[:len(sealed)-4] + "AAAA")
	require.Error(t, err)
	_, err = box.Open("plain")
	require.Error(t, err)
}

func TestLoadKeyFileCreatesWithMode0600(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	_, err := secret.LoadKeyFile(path, false)
	require.Error(t, err)
	box, err := secret.LoadKeyFile(path, true)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	again, err := secret.LoadKeyFile(path, false)
	require.NoError(t, err)
	v, err := again.Open(box.Seal("x"))
	require.NoError(t, err)
	require.Equal(t, "x", v)
}

func TestNewSigningSecret(t *testing.T) {
	t.Parallel()
	s := secret.NewSigningSecret()
	require.True(t, strings.HasPrefix(s, "whsec_"))
	require.NotEqual(t, s, secret.NewSigningSecret())
	require.GreaterOrEqual(t, len(secret.NewURLKey(24)), 32) // 192 bits
}
