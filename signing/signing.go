// Package signing signs and verifies webhook deliveries as the Standard
// Webhooks specification (https://www.standardwebhooks.com) describes: an
// HMAC-SHA256 over "webhook-id.webhook-timestamp.body", sent as
// "v1,<base64>" in the webhook-signature header.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret in its text form.
const SecretPrefix = "whsec_"

// Key sizes accepted by ParseSecret, in bytes.
const (
	MinKeySize = 24
	MaxKeySize = 64
)

// DefaultTolerance is how far a timestamp may be from now, in either
// direction, when Verify is given a tolerance of zero or less.
const DefaultTolerance = 5 * time.Minute

// version is the only signature scheme this package makes and checks.
const version = "v1"

var (
	// ErrSecret reports a malformed signing secret, or a Verify with the
	// zero Secret.
	ErrSecret = errors.New("signing: invalid secret")
	// ErrMissingHeaders reports that the id, timestamp or signature is
	// empty.
	ErrMissingHeaders = errors.New("signing: missing webhook headers")
	// ErrTimestamp reports a timestamp that is not unsigned decimal unix
	// seconds up to the year 9999, or that lies outside the tolerance.
	ErrTimestamp = errors.New("signing: invalid timestamp")
	// ErrNoMatch reports that no v1 signature matches the message.
	ErrNoMatch = errors.New("signing: no matching signature")
)

// Secret is a parsed signing secret (the base64-decoded key). The zero Secret
// holds no key: it is not a usable secret, and Verify rejects it with
// ErrSecret. Its String and GoString methods never reveal the key.
type Secret struct {
	key []byte
}

// ParseSecret parses a signing secret: SecretPrefix followed by the standard,
// padded base64 encoding of a key of MinKeySize to MaxKeySize bytes. Any
// other text, including a non-canonical encoding, fails with an error that
// wraps ErrSecret; the error never quotes the secret.
func ParseSecret(s string) (Secret, error) {
	enc, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return Secret{}, fmt.Errorf("%w: missing %q prefix", ErrSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return Secret{}, fmt.Errorf("%w: key is not standard base64", ErrSecret)
	}
	// DecodeString skips line breaks and tolerates stray padding bits;
	// requiring the canonical encoding keeps one key to one text.
	if base64.StdEncoding.EncodeToString(key) != enc {
		return Secret{}, fmt.Errorf("%w: key is not canonical standard base64", ErrSecret)
	}
	if len(key) < MinKeySize || len(key) > MaxKeySize {
		return Secret{}, fmt.Errorf("%w: key is %d bytes, want %d to %d",
			ErrSecret, len(key), MinKeySize, MaxKeySize)
	}
	return Secret{key: key}, nil
}

// IsZero reports whether s is the zero Secret, which holds no key.
func (s Secret) IsZero() bool { return len(s.key) == 0 }

// String returns a redacted placeholder, so a Secret never leaks into logs.
func (s Secret) String() string {
	if s.IsZero() {
		return "signing.Secret(zero)"
	}
	return "signing.Secret(redacted)"
}

// GoString is String, so %#v redacts the key too.
func (s Secret) GoString() string { return s.String() }

// Sign returns the v1 signature of a message: "v1," and the standard base64
// of HMAC-SHA256(key, id + "." + unix seconds of ts + "." + body). A nil body
// signs as an empty one. Signing with the zero Secret uses an empty key, which
// no receiver should accept; callers hold only secrets from ParseSecret.
func (s Secret) Sign(id string, ts time.Time, body []byte) string {
	return version + "," + base64.StdEncoding.EncodeToString(s.mac(id, ts.Unix(), body))
}

// mac computes the raw HMAC-SHA256 of the signed content.
func (s Secret) mac(id string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Signature returns the webhook-signature header value for a message: the
// Sign of every secret, in order, separated by single spaces. Sending several
// lets receivers verify with either the old or the new secret while a secret
// is being rotated. With no secrets it returns "".
func Signature(id string, ts time.Time, body []byte, secrets ...Secret) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = s.Sign(id, ts, body)
	}
	return strings.Join(sigs, " ")
}

// Verify checks a message's webhook-id, webhook-timestamp and
// webhook-signature header values against secret. It returns nil when:
//   - id, timestamp and signature are all non-empty (else an error wrapping
//     ErrMissingHeaders);
//   - timestamp is decimal unix seconds no further than tolerance from now,
//     in either direction (else an error wrapping ErrTimestamp);
//   - one of the whitespace-separated "v1,<base64>" entries of signature
//     equals Sign for the message, compared in constant time (else an error
//     wrapping ErrNoMatch). Entries of other versions are ignored.
//
// A zero now means time.Now(); a tolerance of zero or less means
// DefaultTolerance. The zero Secret fails with ErrSecret.
func Verify(secret Secret, id, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty webhook-id", ErrMissingHeaders)
	case timestamp == "":
		return fmt.Errorf("%w: empty webhook-timestamp", ErrMissingHeaders)
	case signature == "":
		return fmt.Errorf("%w: empty webhook-signature", ErrMissingHeaders)
	}
	if secret.IsZero() {
		return fmt.Errorf("%w: zero secret", ErrSecret)
	}
	if now.IsZero() {
		now = time.Now()
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}

	unix, err := parseUnix(timestamp)
	if err != nil {
		return err
	}
	ts := time.Unix(unix, 0)
	if ts.Before(now.Add(-tolerance)) {
		return fmt.Errorf("%w: too old", ErrTimestamp)
	}
	if ts.After(now.Add(tolerance)) {
		return fmt.Errorf("%w: too far in the future", ErrTimestamp)
	}

	want := []byte(version + "," + base64.StdEncoding.EncodeToString(secret.mac(id, unix, body)))
	sawVersion := false
	for _, sig := range strings.Fields(signature) {
		v, _, _ := strings.Cut(sig, ",")
		if v != version {
			continue
		}
		sawVersion = true
		if hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	if !sawVersion {
		return fmt.Errorf("%w: no %s signature", ErrNoMatch, version)
	}
	return ErrNoMatch
}

// maxUnix is the last second of year 9999, beyond which no timestamp is
// plausible and time.Unix arithmetic could overflow.
const maxUnix = 253402300799

// parseUnix parses decimal unix seconds: ASCII digits only, no sign, at most
// maxUnix.
func parseUnix(s string) (int64, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: not decimal unix seconds", ErrTimestamp)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxUnix {
		return 0, fmt.Errorf("%w: out of range", ErrTimestamp)
	}
	return n, nil
}
