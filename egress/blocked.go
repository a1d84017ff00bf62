// Package egress provides the outgoing HTTP client used for webhook
// deliveries and OAuth token requests.
//
// The client carries a server-side request forgery (SSRF) guard that runs at
// connect time, after DNS resolution: every socket the client opens is
// checked against [Blocked] from a [net.Dialer] control hook that sees the
// resolved IP address. Checking there, rather than validating the host name
// of the URL up front, closes the DNS-rebinding gap, because the address that
// is checked is exactly the address that is dialled (the approach of Stripe's
// smokescreen and Convoy).
package egress

import (
	"errors"
	"net/netip"
)

// ErrBlocked is wrapped by errors for connections refused by the guard.
// Test for it with errors.Is; the concrete error is a *[BlockedError].
var ErrBlocked = errors.New("egress: destination address not allowed")

// BlockedError is the error returned by the dial guard when it refuses a
// connection. The http.Client returns it wrapped in a *net.OpError inside a
// *url.Error. It unwraps to [ErrBlocked].
type BlockedError struct {
	// Address is the resolved "ip:port" the dialer tried to connect to, as
	// the dialer reported it. It is never a host name.
	Address string
}

// Error implements error.
func (e *BlockedError) Error() string {
	return "egress: destination address not allowed: " + e.Address
}

// Unwrap returns [ErrBlocked].
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// mustPrefixes parses CIDR literals; it panics on a malformed one, which can
// only be a programming error in this file.
func mustPrefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// blockedV4 lists the IPv4 ranges that are not reachable on the public
// Internet or must never be the target of a webhook (IANA IPv4
// Special-Purpose Address Registry, RFC 6890 and successors).
var blockedV4 = mustPrefixes(
	"0.0.0.0/8",       // "this network", includes the unspecified 0.0.0.0
	"10.0.0.0/8",      // private (RFC 1918)
	"100.64.0.0/10",   // carrier-grade NAT shared space (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, includes cloud metadata 169.254.169.254
	"172.16.0.0/12",   // private (RFC 1918)
	"192.0.0.0/24",    // IETF protocol assignments (RFC 6890)
	"192.0.2.0/24",    // documentation TEST-NET-1 (RFC 5737)
	"192.88.99.0/24",  // deprecated 6to4 relay anycast (RFC 7526)
	"192.168.0.0/16",  // private (RFC 1918)
	"198.18.0.0/15",   // benchmarking (RFC 2544)
	"198.51.100.0/24", // documentation TEST-NET-2 (RFC 5737)
	"203.0.113.0/24",  // documentation TEST-NET-3 (RFC 5737)
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, includes broadcast 255.255.255.255
)

var (
	// v4Compatible is the deprecated IPv4-compatible IPv6 block ::a.b.c.d
	// (RFC 4291 §2.5.5.1); it also holds :: and ::1.
	v4Compatible = netip.MustParsePrefix("::/96")
	// nat64 is the well-known NAT64 prefix (RFC 6052), which embeds an
	// IPv4 address in its low 32 bits.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// globalUnicast is the only IPv6 space allocated for global unicast;
	// everything outside it (ULA fc00::/7, link-local fe80::/10, site-local
	// fec0::/10, multicast ff00::/8, discard 100::/64, local-use NAT64
	// 64:ff9b:1::/48, SRv6 5f00::/16, reserved space) is blocked.
	globalUnicast = netip.MustParsePrefix("2000::/3")
	// sixToFour is the 6to4 prefix (RFC 3056), which embeds an IPv4
	// address in bits 16-47.
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// blockedV6 lists special-purpose ranges inside globalUnicast.
var blockedV6 = mustPrefixes(
	"2001::/23",     // IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID
	"2001:db8::/32", // documentation (RFC 3849)
	"3fff::/20",     // documentation (RFC 9637)
)

// Blocked reports whether ip is refused when private targets are not
// allowed. The zero (invalid) netip.Addr is blocked. Any IPv6 zone is
// ignored.
//
// Blocked IPv4 space: loopback, private (RFC 1918), link-local (including
// cloud metadata 169.254.169.254), carrier-grade NAT 100.64.0.0/10,
// multicast, 0.0.0.0/8 (including the unspecified address), 192.0.0.0/24,
// benchmarking 198.18.0.0/15, documentation ranges, the deprecated 6to4 relay
// anycast 192.88.99.0/24 and reserved 240.0.0.0/4 (including broadcast).
//
// Blocked IPv6 space: everything outside 2000::/3 (loopback, unspecified,
// unique-local fc00::/7 including metadata fd00:ec2::254, link-local,
// multicast, ...), the deprecated IPv4-compatible block ::/96 as a whole,
// Teredo and the rest of 2001::/23, and the documentation ranges. Addresses
// that embed an IPv4 address are judged by it: IPv4-mapped ::ffff:0:0/96,
// NAT64 64:ff9b::/96 and 6to4 2002::/16 are blocked exactly when the embedded
// IPv4 address is.
func Blocked(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.WithZone("")
	if ip.Is4() {
		return blockedIPv4(ip)
	}
	if ip.Is4In6() {
		return blockedIPv4(ip.Unmap())
	}
	b := ip.As16()
	switch {
	case v4Compatible.Contains(ip):
		return true
	case nat64.Contains(ip):
		return blockedIPv4(netip.AddrFrom4([4]byte(b[12:16])))
	case !globalUnicast.Contains(ip):
		return true
	case sixToFour.Contains(ip):
		return blockedIPv4(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range blockedV6 {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// blockedIPv4 reports whether the IPv4 address ip lies in a blocked range.
func blockedIPv4(ip netip.Addr) bool {
	for _, p := range blockedV4 {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
