package dispatcher

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/store"
)

// TestPromoteTakesAnyNumberOfLanes: a record batch may finish the heads of
// more lanes than one statement can name (SQLite allows 500 terms in a
// compound SELECT); promote splits them.
func TestPromoteTakesAnyNumberOfLanes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "lanes.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	for _, n := range []int{0, 1, maxLanes, 2*maxLanes + 1, 600} {
		lanes := make([]lane, n)
		for i := range lanes {
			lanes[i] = lane{webhookID: fmt.Sprintf("whk_%d", i), userID: fmt.Sprintf("usr_%d", i)}
		}
		promoted, err := promote(ctx, db.Client, lanes, time.Now())
		require.NoError(t, err, "%d lanes", n)
		require.Zero(t, promoted, "no delivery waits in an empty database")
	}
}
