package egress_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/egress"
)

func TestBlocked(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		ip      string
		blocked bool
	}{
		// IPv4 loopback.
		{"v4 loopback", "127.0.0.1", true},
		{"v4 loopback other", "127.255.255.254", true},
		// RFC 1918.
		{"10/8 low", "10.0.0.1", true},
		{"10/8 high", "10.255.255.255", true},
		{"172.16/12 low", "172.16.0.1", true},
		{"172.16/12 high", "172.31.255.255", true},
		{"172.15 is public", "172.15.255.255", false},
		{"172.32 is public", "172.32.0.1", false},
		{"192.168/16", "192.168.1.1", true},
		// Link-local and cloud metadata.
		{"link-local", "169.254.1.1", true},
		{"aws/gcp/azure metadata", "169.254.169.254", true},
		// CGNAT.
		{"cgnat low", "100.64.0.1", true},
		{"cgnat alibaba metadata", "100.100.100.200", true},
		{"cgnat high", "100.127.255.255", true},
		{"below cgnat is public", "100.63.255.255", false},
		{"above cgnat is public", "100.128.0.1", false},
		// Multicast, unspecified, broadcast, reserved.
		{"multicast low", "224.0.0.1", true},
		{"multicast high", "239.255.255.250", true},
		{"unspecified v4", "0.0.0.0", true},
		{"this network 0/8", "0.1.2.3", true},
		{"broadcast", "255.255.255.255", true},
		{"reserved 240/4", "240.0.0.1", true},
		// Special-purpose.
		{"ietf protocol assignments", "192.0.0.170", true},
		{"benchmarking low", "198.18.0.1", true},
		{"benchmarking high", "198.19.255.255", true},
		{"6to4 relay anycast", "192.88.99.1", true},
		{"doc TEST-NET-1", "192.0.2.1", true},
		{"doc TEST-NET-2", "198.51.100.7", true},
		{"doc TEST-NET-3", "203.0.113.9", true},

		// IPv6 basics.
		{"v6 loopback", "::1", true},
		{"v6 unspecified", "::", true},
		{"ula fc00", "fc00::1", true},
		{"ula fd", "fd12:3456:789a::1", true},
		{"aws metadata v6", "fd00:ec2::254", true},
		{"v6 link-local", "fe80::1", true},
		{"v6 link-local with zone", "fe80::1%eth0", true},
		{"v6 site-local (deprecated)", "fec0::1", true},
		{"v6 multicast", "ff02::1", true},
		{"v6 multicast global", "ff0e::1", true},
		{"v6 discard-only", "100::1", true},
		{"v6 documentation", "2001:db8::1", true},
		{"v6 documentation 3fff", "3fff::1", true},
		{"v6 benchmarking", "2001:2::1", true},
		{"v6 orchid v2", "2001:20::1", true},
		{"teredo", "2001::1", true},
		{"teredo embedding public v4", "2001:0:4136:e378:8000:63bf:3fff:fdd2", true},
		{"reserved outside 2000::/3", "4000::1", true},

		// IPv4-mapped IPv6.
		{"mapped loopback", "::ffff:127.0.0.1", true},
		{"mapped private", "::ffff:10.0.0.1", true},
		{"mapped metadata", "::ffff:169.254.169.254", true},
		{"mapped cgnat", "::ffff:100.64.0.1", true},
		{"mapped unspecified", "::ffff:0.0.0.0", true},
		{"mapped broadcast", "::ffff:255.255.255.255", true},
		{"mapped public", "::ffff:8.8.8.8", false},
		// IPv4-compatible IPv6 (deprecated; blocked as a whole).
		{"compat loopback", "::127.0.0.1", true},
		{"compat private", "::10.0.0.1", true},
		{"compat public", "::8.8.8.8", true},
		// SIIT IPv4-translated (outside 2000::/3).
		{"siit translated", "::ffff:0:127.0.0.1", true},
		// NAT64.
		{"nat64 loopback", "64:ff9b::127.0.0.1", true},
		{"nat64 private", "64:ff9b::10.0.0.1", true},
		{"nat64 metadata", "64:ff9b::a9fe:a9fe", true},
		{"nat64 public", "64:ff9b::8.8.8.8", false},
		{"nat64 local-use", "64:ff9b:1::8.8.8.8", true},
		// 6to4.
		{"6to4 loopback", "2002:7f00:1::1", true},
		{"6to4 private", "2002:a00:1::", true},
		{"6to4 metadata", "2002:a9fe:a9fe::1", true},
		{"6to4 public", "2002:808:808::1", false},

		// Public addresses.
		{"google dns", "8.8.8.8", false},
		{"cloudflare dns", "1.1.1.1", false},
		{"example.com", "93.184.216.34", false},
		{"cloudflare dns v6", "2606:4700:4700::1111", false},
		{"google dns v6", "2001:4860:4860::8888", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tt.ip)
			require.Equal(t, tt.blocked, egress.Blocked(ip), "Blocked(%s)", ip)
		})
	}
}

func TestBlockedInvalidAddr(t *testing.T) {
	t.Parallel()
	require.True(t, egress.Blocked(netip.Addr{}), "the zero Addr must fail closed")
}
