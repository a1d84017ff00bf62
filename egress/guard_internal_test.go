package egress

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckDial(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		network string
		address string
		blocked bool
	}{
		{"public v4", "tcp4", "8.8.8.8:443", false},
		{"public v6", "tcp6", "[2606:4700:4700::1111]:443", false},
		{"loopback v4", "tcp4", "127.0.0.1:80", true},
		{"loopback v6", "tcp6", "[::1]:80", true},
		{"mapped loopback", "tcp6", "[::ffff:127.0.0.1]:80", true},
		{"metadata", "tcp4", "169.254.169.254:80", true},
		{"link-local with zone", "tcp6", "[fe80::1%eth0]:80", true},
		{"host name fails closed", "tcp", "localhost:80", true},
		{"missing port fails closed", "tcp4", "8.8.8.8", true},
		{"garbage fails closed", "tcp", "not an address", true},
		{"empty fails closed", "tcp", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := guardControl(context.Background(), tt.network, tt.address, nil)
			if !tt.blocked {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrBlocked)
			var be *BlockedError
			require.True(t, errors.As(err, &be))
			require.Equal(t, tt.address, be.Address)
			require.Contains(t, err.Error(), "egress: ")
		})
	}
}

func TestOptionsWithDefaults(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   Options
		want Options
	}{
		{"zero", Options{}, Options{Timeout: DefaultTimeout, MaxConnsPerHost: DefaultMaxConnsPerHost}},
		{"negative", Options{Timeout: -1, MaxConnsPerHost: -1}, Options{Timeout: DefaultTimeout, MaxConnsPerHost: DefaultMaxConnsPerHost}},
		{"explicit", Options{AllowPrivate: true, Timeout: 3, MaxConnsPerHost: 7}, Options{AllowPrivate: true, Timeout: 3, MaxConnsPerHost: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.in.withDefaults())
		})
	}
}
