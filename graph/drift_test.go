package graph_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// generatedDirs are where `make generate` writes.
var generatedDirs = []string{"ent", "graph"}

// TestGeneratedCodeIsCurrent runs `make generate-go` in a copy of the module
// and fails when any generated file differs from the one in the tree: the
// committed code must be what its sources (ent/schema, graph/schema,
// gqlgen.yml) produce.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the code generators")
	}
	t.Parallel()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	copyDir := t.TempDir()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	require.NoError(t, err)
	for _, rel := range strings.Fields(string(out)) {
		src := filepath.Join(root, rel)
		data, err := os.ReadFile(src)
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		require.NoError(t, err)
		dst := filepath.Join(copyDir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, data, 0o644))
	}
	cmd := exec.Command("make", "generate-go")
	cmd.Dir = copyDir
	combined, err := cmd.CombinedOutput()
	require.NoError(t, err, "make generate:\n%s", combined)

	var drift []string
	for _, dir := range generatedDirs {
		for _, pair := range [][2]string{{copyDir, root}, {root, copyDir}} {
			_ = filepath.WalkDir(filepath.Join(pair[0], dir), func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || !isGenerated(path) {
					return err
				}
				rel, _ := filepath.Rel(pair[0], path)
				a, _ := os.ReadFile(path)
				b, errB := os.ReadFile(filepath.Join(pair[1], rel))
				if errB != nil || !bytes.Equal(a, b) {
					drift = append(drift, rel)
				}
				return nil
			})
		}
	}
	require.Empty(t, drift, "generated files differ from what `make generate` writes; run make generate and commit")
}

// isGenerated reports whether path is a file a generator writes.
func isGenerated(path string) bool {
	if strings.HasSuffix(path, "ent.graphql") || strings.HasSuffix(path, ".resolvers.go") {
		return true
	}
	if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
		return false
	}
	head := make([]byte, 512)
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	n, _ := f.Read(head)
	return bytes.Contains(head[:n], []byte("DO NOT EDIT"))
}
