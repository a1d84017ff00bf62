package ent

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNodeTypesCoverEveryPrefix keeps nodeTypes in step with the ID
// prefixes declared in ent/schema.
func TestNodeTypesCoverEveryPrefix(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("schema/*.go")
	require.NoError(t, err)
	prefix := regexp.MustCompile(`IDMixin\{Prefix: "([a-z]+)_"\}`)
	seen := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range prefix.FindAllSubmatch(src, -1) {
			seen++
			_, ok := nodeTypes[string(m[1])]
			require.True(t, ok, "%s declares prefix %q_ but nodeTypes lacks it", f, m[1])
		}
	}
	require.Equal(t, len(nodeTypes), seen, "nodeTypes has a prefix no schema declares")
}
