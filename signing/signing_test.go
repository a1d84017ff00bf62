package signing_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/signing"
)

// The published Standard Webhooks test vector, as the reference libraries
// (and Svix's) check it.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = "1614265330"
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// --- An independent implementation, written from the specification only. ---

// specKey decodes a "whsec_" secret the way the specification describes: the
// part after the prefix is the standard base64 of the key.
func specKey(t *testing.T, secret string) []byte {
	t.Helper()
	require.True(t, strings.HasPrefix(secret, "whsec_"), "secret %q lacks whsec_ prefix", secret)
	key, err := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	require.NoError(t, err)
	return key
}

// specSign computes "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))
// by hand.
func specSign(t *testing.T, secret, id, timestamp string, body []byte) string {
	t.Helper()
	content := []byte(id + "." + timestamp + ".")
	content = append(content, body...)
	mac := hmac.New(sha256.New, specKey(t, secret))
	mac.Write(content)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// specVerify checks header values as the specification describes: the
// timestamp is integer seconds within tolerance of now, and some
// space-delimited "v1," signature equals the expected one.
func specVerify(t *testing.T, secret, id, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) bool {
	t.Helper()
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return false
	}
	want := specSign(t, secret, id, timestamp, body)
	for _, sig := range strings.Split(signature, " ") {
		if strings.HasPrefix(sig, "v1,") && hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// --- Helpers. ---

// secretText returns the whsec_ form of a key of n bytes derived from seed.
func secretText(n int, seed byte) string {
	key := make([]byte, n)
	for i := range key {
		key[i] = seed + byte(i)*7
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

func mustParse(t *testing.T, s string) signing.Secret {
	t.Helper()
	secret, err := signing.ParseSecret(s)
	require.NoError(t, err)
	require.False(t, secret.IsZero())
	return secret
}

func unixText(ts time.Time) string { return strconv.FormatInt(ts.Unix(), 10) }

// --- Tests. ---

func TestKnownAnswerVector(t *testing.T) {
	t.Parallel()
	// The independent code reproduces the published vector, so it is a
	// trustworthy oracle for everything below.
	require.Equal(t, vectorSignature, specSign(t, vectorSecret, vectorID, vectorTimestamp, []byte(vectorBody)))

	secret := mustParse(t, vectorSecret)
	unix, err := strconv.ParseInt(vectorTimestamp, 10, 64)
	require.NoError(t, err)
	ts := time.Unix(unix, 0)

	require.Equal(t, vectorSignature, secret.Sign(vectorID, ts, []byte(vectorBody)))
	require.Equal(t, vectorSignature, signing.Signature(vectorID, ts, []byte(vectorBody), secret))
	require.NoError(t, signing.Verify(secret, vectorID, vectorTimestamp, vectorSignature, []byte(vectorBody), ts, time.Minute))
}

func TestSignMatchesIndependentImplementation(t *testing.T) {
	t.Parallel()
	base := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
	tests := []struct {
		name   string
		secret string
		id     string
		ts     time.Time
		body   []byte
	}{
		{"json body", secretText(32, 1), "msg_1", base, []byte(`{"a":1}`)},
		{"empty body", secretText(32, 2), "msg_2", base, []byte{}},
		{"nil body", secretText(32, 3), "msg_3", base, nil},
		{"binary body", secretText(24, 4), "msg_4", base, []byte{0, 0xff, '.', '\n', 0x80}},
		{"body with dots", secretText(64, 5), "msg.with.dots", base, []byte("a.b.c")},
		{"unicode id", secretText(40, 6), "msg_ü_日本", base, []byte("x")},
		{"non-UTC zone", secretText(32, 7), "msg_7", base.In(time.FixedZone("X", -7*3600)), []byte("y")},
		{"epoch", secretText(32, 8), "msg_8", time.Unix(0, 0), []byte("z")},
		{"large body", secretText(32, 9), "msg_9", base, bytes.Repeat([]byte("0123456789"), 10000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secret := mustParse(t, tc.secret)
			got := secret.Sign(tc.id, tc.ts, tc.body)
			require.Equal(t, specSign(t, tc.secret, tc.id, unixText(tc.ts), tc.body), got)
			require.True(t, specVerify(t, tc.secret, tc.id, unixText(tc.ts), got, tc.body, tc.ts, time.Minute))
			require.NoError(t, signing.Verify(secret, tc.id, unixText(tc.ts), got, tc.body, tc.ts, time.Minute))
		})
	}
}

func TestSignatureForRotation(t *testing.T) {
	t.Parallel()
	oldText, newText, otherText := secretText(32, 10), secretText(32, 20), secretText(32, 30)
	oldSecret, newSecret, other := mustParse(t, oldText), mustParse(t, newText), mustParse(t, otherText)
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"event":"profile.updated"}`)

	header := signing.Signature("msg_r", ts, body, oldSecret, newSecret)
	require.Equal(t,
		specSign(t, oldText, "msg_r", unixText(ts), body)+" "+specSign(t, newText, "msg_r", unixText(ts), body),
		header)
	require.Len(t, strings.Split(header, " "), 2)

	tests := []struct {
		name   string
		text   string
		secret signing.Secret
		ok     bool
	}{
		{"old secret", oldText, oldSecret, true},
		{"new secret", newText, newSecret, true},
		{"unrelated secret", otherText, other, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.ok, specVerify(t, tc.text, "msg_r", unixText(ts), header, body, ts, time.Minute))
			err := signing.Verify(tc.secret, "msg_r", unixText(ts), header, body, ts, time.Minute)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, signing.ErrNoMatch)
			}
		})
	}

	require.Empty(t, signing.Signature("msg_r", ts, body))
	require.Equal(t, oldSecret.Sign("msg_r", ts, body), signing.Signature("msg_r", ts, body, oldSecret))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	text := secretText(32, 42)
	secret := mustParse(t, text)
	wrong := mustParse(t, secretText(32, 43))
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const tolerance = 5 * time.Minute
	body := []byte(`{"id":"p_1"}`)
	ts := unixText(now)
	valid := specSign(t, text, "msg_v", ts, body)
	at := func(d time.Duration) string { return unixText(now.Add(d)) }
	signedAt := func(d time.Duration) string { return specSign(t, text, "msg_v", at(d), body) }

	tests := []struct {
		name      string
		secret    signing.Secret
		id        string
		timestamp string
		signature string
		body      []byte
		now       time.Time
		tolerance time.Duration
		wantErr   error // nil means the message verifies
	}{
		{name: "valid", id: "msg_v", timestamp: ts, signature: valid, body: body},
		{name: "valid among other versions", id: "msg_v", timestamp: ts, signature: "v2,Zm9v v1a,YmFy " + valid + " v0,x", body: body},
		{name: "valid after a bad v1", id: "msg_v", timestamp: ts, signature: "v1,bm9wZQ== " + valid, body: body},
		{name: "extra whitespace", id: "msg_v", timestamp: ts, signature: "  " + valid + "   ", body: body},
		{name: "old edge of tolerance", id: "msg_v", timestamp: at(-tolerance), signature: signedAt(-tolerance), body: body},
		{name: "new edge of tolerance", id: "msg_v", timestamp: at(tolerance), signature: signedAt(tolerance), body: body},
		{name: "zero tolerance means default", id: "msg_v", timestamp: at(-4 * time.Minute), signature: signedAt(-4 * time.Minute), body: body, tolerance: -1},

		{name: "tampered body", id: "msg_v", timestamp: ts, signature: valid, body: []byte(`{"id":"p_2"}`), wantErr: signing.ErrNoMatch},
		{name: "truncated body", id: "msg_v", timestamp: ts, signature: valid, body: body[:len(body)-1], wantErr: signing.ErrNoMatch},
		{name: "nil body", id: "msg_v", timestamp: ts, signature: valid, wantErr: signing.ErrNoMatch},
		{name: "tampered id", id: "msg_w", timestamp: ts, signature: valid, body: body, wantErr: signing.ErrNoMatch},
		{name: "tampered timestamp", id: "msg_v", timestamp: at(time.Second), signature: valid, body: body, wantErr: signing.ErrNoMatch},
		{name: "wrong secret", secret: wrong, id: "msg_v", timestamp: ts, signature: valid, body: body, wantErr: signing.ErrNoMatch},
		{name: "truncated signature", id: "msg_v", timestamp: ts, signature: valid[:len(valid)-2], body: body, wantErr: signing.ErrNoMatch},
		{name: "signature without version", id: "msg_v", timestamp: ts, signature: strings.TrimPrefix(valid, "v1,"), body: body, wantErr: signing.ErrNoMatch},
		{name: "upper-case version", id: "msg_v", timestamp: ts, signature: "V" + valid[1:], body: body, wantErr: signing.ErrNoMatch},
		{name: "only other versions", id: "msg_v", timestamp: ts, signature: "v2," + strings.TrimPrefix(valid, "v1,"), body: body, wantErr: signing.ErrNoMatch},
		{name: "comma-joined signatures", id: "msg_v", timestamp: ts, signature: valid + "," + valid, body: body, wantErr: signing.ErrNoMatch},

		{name: "too old", id: "msg_v", timestamp: at(-tolerance - time.Second), signature: signedAt(-tolerance - time.Second), body: body, wantErr: signing.ErrTimestamp},
		{name: "far too old", id: "msg_v", timestamp: "0", signature: specSign(t, text, "msg_v", "0", body), body: body, wantErr: signing.ErrTimestamp},
		{name: "too new", id: "msg_v", timestamp: at(tolerance + time.Second), signature: signedAt(tolerance + time.Second), body: body, wantErr: signing.ErrTimestamp},
		{name: "outside default tolerance", id: "msg_v", timestamp: at(-6 * time.Minute), signature: signedAt(-6 * time.Minute), body: body, tolerance: -1, wantErr: signing.ErrTimestamp},
		{name: "milliseconds", id: "msg_v", timestamp: strconv.FormatInt(now.UnixMilli(), 10), signature: valid, body: body, wantErr: signing.ErrTimestamp},
		{name: "non-numeric timestamp", id: "msg_v", timestamp: "yesterday", signature: valid, body: body, wantErr: signing.ErrTimestamp},
		{name: "negative timestamp", id: "msg_v", timestamp: "-" + ts, signature: valid, body: body, wantErr: signing.ErrTimestamp},
		{name: "signed timestamp", id: "msg_v", timestamp: "+" + ts, signature: valid, body: body, wantErr: signing.ErrTimestamp},
		{name: "fractional timestamp", id: "msg_v", timestamp: ts + ".5", signature: valid, body: body, wantErr: signing.ErrTimestamp},
		{name: "padded timestamp", id: "msg_v", timestamp: " " + ts, signature: valid, body: body, wantErr: signing.ErrTimestamp},
		{name: "overflowing timestamp", id: "msg_v", timestamp: "99999999999999999999", signature: valid, body: body, wantErr: signing.ErrTimestamp},
		{name: "timestamp past year 9999", id: "msg_v", timestamp: "9223372036854775807", signature: valid, body: body, wantErr: signing.ErrTimestamp},

		{name: "missing id", timestamp: ts, signature: valid, body: body, wantErr: signing.ErrMissingHeaders},
		{name: "missing timestamp", id: "msg_v", signature: valid, body: body, wantErr: signing.ErrMissingHeaders},
		{name: "missing signature", id: "msg_v", timestamp: ts, body: body, wantErr: signing.ErrMissingHeaders},
		{name: "blank signature", id: "msg_v", timestamp: ts, signature: "   ", body: body, wantErr: signing.ErrNoMatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.secret.IsZero() {
				tc.secret = secret
			}
			if tc.now.IsZero() {
				tc.now = now
			}
			if tc.tolerance == 0 {
				tc.tolerance = tolerance
			}
			err := signing.Verify(tc.secret, tc.id, tc.timestamp, tc.signature, tc.body, tc.now, tc.tolerance)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.True(t, strings.HasPrefix(err.Error(), "signing: "), "error %q lacks package prefix", err)
			for _, other := range []error{signing.ErrMissingHeaders, signing.ErrTimestamp, signing.ErrNoMatch, signing.ErrSecret} {
				if other != tc.wantErr {
					require.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func TestVerifyAgreesWithIndependentVerifier(t *testing.T) {
	t.Parallel()
	text := secretText(32, 77)
	secret := mustParse(t, text)
	now := time.Unix(1750000000, 0)
	body := []byte("payload")
	// Every combination of signing time, verifying offset and signature
	// header must get the same answer from both implementations.
	for _, signOffset := range []time.Duration{-10 * time.Minute, -5*time.Minute - time.Second, -5 * time.Minute, 0, 5 * time.Minute, 5*time.Minute + time.Second} {
		ts := unixText(now.Add(signOffset))
		good := specSign(t, text, "msg_a", ts, body)
		for _, header := range []string{good, "v1,AAAA " + good, "v1,AAAA", "v2,AAAA"} {
			want := specVerify(t, text, "msg_a", ts, header, body, now, 5*time.Minute)
			err := signing.Verify(secret, "msg_a", ts, header, body, now, 5*time.Minute)
			require.Equal(t, want, err == nil, "offset %v header %q: err %v", signOffset, header, err)
		}
	}
}

func TestVerifyZeroValues(t *testing.T) {
	t.Parallel()
	text := secretText(32, 99)
	secret := mustParse(t, text)
	ts := time.Now()
	sig := secret.Sign("msg_z", ts, nil)

	// A zero now means time.Now(), and a zero tolerance the default.
	require.NoError(t, signing.Verify(secret, "msg_z", unixText(ts), sig, nil, time.Time{}, 0))

	// The zero Secret never verifies, even a signature made with it.
	var zero signing.Secret
	require.True(t, zero.IsZero())
	err := signing.Verify(zero, "msg_z", unixText(ts), zero.Sign("msg_z", ts, nil), nil, ts, time.Minute)
	require.ErrorIs(t, err, signing.ErrSecret)
	require.NotErrorIs(t, err, signing.ErrNoMatch)
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	key32 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) // contains '+' and '/'
	tests := []struct {
		name    string
		in      string
		wantLen int // 0 means ParseSecret must fail
	}{
		{"published vector", vectorSecret, 24},
		{"24 bytes", secretText(24, 1), 24},
		{"32 bytes", secretText(32, 1), 32},
		{"32 bytes with +/", "whsec_" + key32, 32},
		{"64 bytes", secretText(64, 1), 64},
		{"32 bytes, padded", secretText(32, 3), 32},
		{"25 bytes, double padding", secretText(25, 1), 25},

		{"empty", "", 0},
		{"prefix only", "whsec_", 0},
		{"no prefix", strings.TrimPrefix(secretText(32, 1), "whsec_"), 0},
		{"upper-case prefix", "WHSEC_" + strings.TrimPrefix(secretText(32, 1), "whsec_"), 0},
		{"other prefix", "whsk_" + strings.TrimPrefix(secretText(32, 1), "whsec_"), 0},
		{"23 bytes", secretText(23, 1), 0},
		{"65 bytes", secretText(65, 1), 0},
		{"not base64", "whsec_" + strings.Repeat("!", 44), 0},
		{"url-safe alphabet", "whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), 0},
		{"unpadded", "whsec_" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)), 0},
		{"embedded newline", "whsec_" + key32[:20] + "\n" + key32[20:], 0},
		{"trailing newline", "whsec_" + key32 + "\n", 0},
		{"leading space", " whsec_" + key32, 0},
		{"non-canonical padding bits", "whsec_" + strings.TrimSuffix(base64.StdEncoding.EncodeToString(make([]byte, 25)), "AA==") + "AB==", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secret, err := signing.ParseSecret(tc.in)
			if tc.wantLen == 0 {
				require.ErrorIs(t, err, signing.ErrSecret)
				require.True(t, strings.HasPrefix(err.Error(), "signing: "), "error %q lacks package prefix", err)
				if enc := strings.TrimPrefix(strings.TrimSpace(tc.in), "whsec_"); len(enc) > 8 {
					require.NotContains(t, err.Error(), enc, "error leaks the secret")
				}
				require.True(t, secret.IsZero())
				return
			}
			require.NoError(t, err)
			// The parsed key is exactly the decoded bytes: the package
			// signs as the independent code does with the same text.
			require.Equal(t, tc.wantLen, len(specKey(t, tc.in)))
			ts := time.Unix(1600000000, 0)
			require.Equal(t, specSign(t, tc.in, "msg_p", "1600000000", []byte("b")), secret.Sign("msg_p", ts, []byte("b")))
		})
	}
}

func TestSecretFormattingRedacts(t *testing.T) {
	t.Parallel()
	secret := mustParse(t, vectorSecret)
	key := specKey(t, vectorSecret)
	var zero signing.Secret
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, secret)
		require.Equal(t, "signing.Secret(redacted)", out, verb)
		require.NotContains(t, out, strings.TrimPrefix(vectorSecret, "whsec_"))
		require.NotContains(t, out, fmt.Sprint(key[:4]))
		require.Equal(t, "signing.Secret(zero)", fmt.Sprintf(verb, zero), verb)
	}
}
