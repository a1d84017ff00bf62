package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// Failure classes returned by [Classify].
const (
	ClassTimeout     = "timeout"
	ClassDNS         = "dns"
	ClassConnection  = "connection"
	ClassTLS         = "tls"
	ClassSSRFBlocked = "ssrf_blocked"
)

// Classify names the failure of a request for the attempt log: "timeout",
// "dns", "connection", "tls", "ssrf_blocked", or "" for a nil err. Errors it
// does not recognise are "connection".
//
// The checks run in this order, the first match winning: errors wrapping
// [ErrBlocked]; request deadlines (context.DeadlineExceeded, including
// http.Client timeouts); *net.DNSError; any other error reporting Timeout();
// TLS and certificate errors (tls.RecordHeaderError, tls.AlertError,
// *tls.CertificateVerificationError, x509 verification errors and messages
// starting "tls: " or "x509: ", such as remote alerts); everything else,
// such as refused or reset connections.
func Classify(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBlocked):
		return ClassSSRFBlocked
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return ClassDNS
	}
	switch {
	case anyInChain(err, isTimeoutError):
		return ClassTimeout
	case anyInChain(err, isTLSError):
		return ClassTLS
	default:
		return ClassConnection
	}
}

// anyInChain reports whether f is true for err or any error in its tree, as
// walked by errors.Is.
func anyInChain(err error, f func(error) bool) bool {
	if err == nil {
		return false
	}
	if f(err) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return anyInChain(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if anyInChain(e, f) {
				return true
			}
		}
	}
	return false
}

// isTimeoutError reports whether err itself says it is a timeout.
func isTimeoutError(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

// isTLSError reports whether err itself is a TLS or certificate error.
func isTLSError(err error) bool {
	switch err.(type) {
	case tls.RecordHeaderError, *tls.RecordHeaderError,
		tls.AlertError, *tls.CertificateVerificationError, *tls.ECHRejectionError,
		x509.UnknownAuthorityError, *x509.UnknownAuthorityError,
		x509.HostnameError, *x509.HostnameError,
		x509.CertificateInvalidError, *x509.CertificateInvalidError,
		x509.SystemRootsError, *x509.SystemRootsError,
		x509.ConstraintViolationError, x509.UnhandledCriticalExtension,
		x509.InsecureAlgorithmError:
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "tls: ") || strings.HasPrefix(msg, "x509: ")
}
