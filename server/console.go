package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// consoleHandler serves the built admin console: files as they are (the
// content-hashed assets cached for a year), and index.html for every other
// path, so a client-side route survives a reload. The console holds no
// data: it calls the authenticated API like any other client.
func consoleHandler(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	index, _ := fs.ReadFile(assets, "index.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			// A method the API route does not take (GET /oauth/token):
			// not a console page.
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(assets, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		_, _ = w.Write(index)
	})
}

// isAPIPath reports whether p belongs to an API route rather than the
// console.
func isAPIPath(p string) bool {
	for _, prefix := range []string{"/graphql", "/oauth/", "/inbound/", "/auth/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
