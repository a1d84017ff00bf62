package feed_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/feed"
)

func TestPublishMatchesAndNeverBlocks(t *testing.T) {
	t.Parallel()
	var b feed.Broker[int]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	even := b.Subscribe(ctx, 10, func(v int) bool { return v%2 == 0 })
	slow := b.Subscribe(ctx, 2, nil)
	require.Equal(t, 2, b.Len())

	for i := range 6 {
		b.Publish(i) // never blocks, although slow is never read
	}
	got := []int{}
	for range 3 {
		got = append(got, <-even)
	}
	require.Equal(t, []int{0, 2, 4}, got)

	// slow fell behind: it got what fit, then was dropped and closed.
	require.Equal(t, 0, <-slow)
	require.Equal(t, 1, <-slow)
	_, open := <-slow
	require.False(t, open)
	require.Equal(t, 1, b.Len())
}

func TestSubscriptionEndsWithContext(t *testing.T) {
	t.Parallel()
	var b feed.Broker[string]
	ctx, cancel := context.WithCancel(context.Background())
	ch := b.Subscribe(ctx, 0, nil)
	cancel()
	_, open := <-ch // closed by the context's end; blocks until then
	require.False(t, open)
	require.Equal(t, 0, b.Len())
	b.Publish("after") // no subscriber, no panic
}
