package egress_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/egress"
)

// urlErr wraps err the way http.Client.Do reports a failed request.
func urlErr(err error) error {
	return &url.Error{Op: "Post", URL: "https://hooks.example.com/in", Err: err}
}

// dialErr wraps err the way net.Dialer reports a failed dial.
func dialErr(err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: err}
}

// timeoutErr is a net.Error that reports a timeout without wrapping
// context.DeadlineExceeded.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "some timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},

		{"blocked sentinel", egress.ErrBlocked, egress.ClassSSRFBlocked},
		{"blocked from dial", urlErr(dialErr(&egress.BlockedError{Address: "10.0.0.1:443"})), egress.ClassSSRFBlocked},
		{"blocked fmt-wrapped", fmt.Errorf("deliver: %w", egress.ErrBlocked), egress.ClassSSRFBlocked},

		{"deadline exceeded", context.DeadlineExceeded, egress.ClassTimeout},
		{"deadline wrapped", urlErr(fmt.Errorf("op: %w", context.DeadlineExceeded)), egress.ClassTimeout},
		{"os deadline", urlErr(dialErr(os.ErrDeadlineExceeded)), egress.ClassTimeout},
		{"net.Error timeout", urlErr(timeoutErr{}), egress.ClassTimeout},
		{"joined timeout", errors.Join(errors.New("first"), timeoutErr{}), egress.ClassTimeout},
		{"kernel connect timeout", urlErr(dialErr(os.NewSyscallError("connect", syscall.ETIMEDOUT))), egress.ClassTimeout},
		{"dns lookup cut by deadline", urlErr(dialErr(&net.DNSError{Err: "i/o timeout", Name: "x.example", IsTimeout: true, UnwrapErr: context.DeadlineExceeded})), egress.ClassTimeout},

		{"dns no such host", urlErr(dialErr(&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true})), egress.ClassDNS},
		{"dns server failure", &net.DNSError{Err: "server misbehaving", Name: "x.example", IsTemporary: true}, egress.ClassDNS},
		{"dns server timeout", &net.DNSError{Err: "i/o timeout", Name: "x.example", IsTimeout: true}, egress.ClassDNS},

		{"record header", urlErr(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), egress.ClassTLS},
		{"unknown authority", urlErr(x509.UnknownAuthorityError{}), egress.ClassTLS},
		{"hostname mismatch", urlErr(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "x.example"}), egress.ClassTLS},
		{"certificate invalid", urlErr(x509.CertificateInvalidError{Reason: x509.Expired}), egress.ClassTLS},
		{"verification error", urlErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), egress.ClassTLS},
		{"alert error", urlErr(tls.AlertError(40)), egress.ClassTLS},
		{"remote alert", urlErr(&net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}), egress.ClassTLS},

		{"refused", urlErr(dialErr(os.NewSyscallError("connect", syscall.ECONNREFUSED))), egress.ClassConnection},
		{"reset", urlErr(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), egress.ClassConnection},
		{"unreachable", urlErr(dialErr(os.NewSyscallError("connect", syscall.ENETUNREACH))), egress.ClassConnection},
		{"unknown", errors.New("boom"), egress.ClassConnection},
		{"canceled", context.Canceled, egress.ClassConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, egress.Classify(tt.err))
		})
	}
}
