// Package frontend embeds the built admin console (frontend/dist).
//
// dist/ is committed: `go build` works on a fresh clone without npm.
// `npm run check:dist` (run by `npm run ci`) rebuilds it and fails when the
// committed copy has drifted from the sources.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the built console; index.html at its root. Serve it at /
// and answer unknown paths that accept text/html with index.html, so that
// client-side routes survive a reload.
func Assets() fs.FS {
	sub, _ := fs.Sub(dist, "dist")
	return sub
}
