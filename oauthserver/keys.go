package oauthserver

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/oauthsigningkey"
	"github.com/profilehooks/profilehooks/secret"
)

// reloadInterval is the shortest time between two reloads of the keys for
// a token whose key ID is unknown, so random key IDs cannot flood the
// database.
const reloadInterval = time.Second

// errUnknownKey reports a token signed with a key the service does not
// hold.
var errUnknownKey = errors.New("oauthserver: unknown signing key")

// keyring holds the service's signing keys. It loads them from the
// database on first use, makes one when there is none, and reloads them
// when a token names a key it does not know (another replica made it).
type keyring struct {
	client *ent.Client
	box    *secret.Box
	now    func() time.Time

	first    sync.Mutex // serialises the first load and key creation
	mu       sync.RWMutex
	loaded   bool
	lastLoad time.Time
	current  jose.Signer                 // signs with the oldest key
	public   map[string]*ecdsa.PublicKey // by key ID
	set      jose.JSONWebKeySet
}

// signer returns the signer of new tokens, making the first key if needed.
func (k *keyring) signer(ctx context.Context) (jose.Signer, error) {
	if err := k.ensure(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.current, nil
}

// jwks returns the public keys, making the first key if needed.
func (k *keyring) jwks(ctx context.Context) (jose.JSONWebKeySet, error) {
	if err := k.ensure(ctx); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.set, nil
}

// publicKey returns the public key with the given ID, reloading the keys
// at most once per reloadInterval when it is unknown.
func (k *keyring) publicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	k.mu.RLock()
	pub, ok := k.public[kid]
	stale := !k.loaded || k.now().Sub(k.lastLoad) >= reloadInterval
	k.mu.RUnlock()
	if ok {
		return pub, nil
	}
	if !stale {
		return nil, errUnknownKey
	}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if pub, ok := k.public[kid]; ok {
		return pub, nil
	}
	return nil, errUnknownKey
}

// ensure loads the keys once, and makes the first one if there is none.
// Concurrent first calls make one key between them.
func (k *keyring) ensure(ctx context.Context) error {
	if k.ready() {
		return nil
	}
	k.first.Lock()
	defer k.first.Unlock()
	if k.ready() {
		return nil
	}
	if err := k.reload(ctx); err != nil {
		return err
	}
	if k.ready() {
		return nil
	}
	if err := k.create(ctx); err != nil {
		return err
	}
	return k.reload(ctx)
}

func (k *keyring) ready() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.current != nil
}

// create stores a new ES256 key, sealed. Two replicas that create one at
// the same time both store theirs; reload then makes them all sign with
// the oldest, and both verify.
func (k *keyring) create(ctx context.Context) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("oauthserver: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("oauthserver: encode signing key: %w", err)
	}
	kid, err := thumbprint(&priv.PublicKey)
	if err != nil {
		return err
	}
	err = k.client.OAuthSigningKey.Create().
		SetKid(kid).
		SetPrivateKey(k.box.Seal(base64.StdEncoding.EncodeToString(der))).
		SetCreatedAt(k.now()).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("oauthserver: store signing key: %w", err)
	}
	return nil
}

// reload reads every key, oldest first, and makes the oldest the signer.
func (k *keyring) reload(ctx context.Context) error {
	rows, err := k.client.OAuthSigningKey.Query().
		Order(ent.Asc(oauthsigningkey.FieldCreatedAt), ent.Asc(oauthsigningkey.FieldID)).
		All(ctx)
	if err != nil {
		return fmt.Errorf("oauthserver: load signing keys: %w", err)
	}
	public := make(map[string]*ecdsa.PublicKey, len(rows))
	var set jose.JSONWebKeySet
	var current jose.Signer
	for _, row := range rows {
		priv, err := k.open(row)
		if err != nil {
			return err
		}
		public[row.Kid] = &priv.PublicKey
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &priv.PublicKey, KeyID: row.Kid, Algorithm: string(jose.ES256), Use: "sig"})
		if current == nil {
			current, err = jose.NewSigner(
				jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: row.Kid}},
				(&jose.SignerOptions{}).WithType("at+jwt"))
			if err != nil {
				return fmt.Errorf("oauthserver: signer: %w", err)
			}
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.loaded, k.lastLoad = true, k.now()
	k.current, k.public, k.set = current, public, set
	return nil
}

func (k *keyring) open(row *ent.OAuthSigningKey) (*ecdsa.PrivateKey, error) {
	plain, err := k.box.Open(row.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: open signing key %s: %w", row.Kid, err)
	}
	der, err := base64.StdEncoding.DecodeString(plain)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: signing key %s is not base64", row.Kid)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: parse signing key %s: %w", row.Kid, err)
	}
	priv, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("oauthserver: signing key %s is a %T, not ECDSA", row.Kid, key)
	}
	return priv, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of pub, base64url.
func thumbprint(pub *ecdsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("oauthserver: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// JWKSHandler serves GET /oauth/jwks.json: the public keys that verify the
// service's access tokens, as a JSON Web Key Set. The first call makes the
// signing key if there is none yet.
func (s *Server) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set, err := s.keys.jwks(r.Context())
		if err != nil {
			s.log.ErrorContext(r.Context(), "oauth: jwks", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		writeJSON(w, http.StatusOK, set)
	})
}
