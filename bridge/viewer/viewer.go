// Package viewer is the Set Viewer: a page, served by the bridge at
// GET / on its HTTP port, that shows the live Set as a tree and as a
// Session grid. Its files (static/) are embedded in the binary, need no
// build step and load nothing from anywhere else; the page connects back to
// the same bridge's /ws in patch mode and applies the JSON Patch operations
// each event frame carries (docs/viewer.md).
//
// The handler serves only these files. Which hosts may ask for them is the
// hub's Host rule: mount it inside wshub's mux, behind its host guard, and
// the page and its WebSocket obey the same Host and Origin rules.
package viewer

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var files embed.FS

// ContentSecurityPolicy lets the page load only its own files and open only
// its own bridge's WebSocket ('self' covers ws:// to the same host and port
// in CSP Level 3): no inline script, no inline <style> or style attributes
// in markup (the page sets Live's colours through element.style, which
// style-src does not govern), no plugins, no framing, no form posts.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	name  string
	ctype string
	etag  string
	data  []byte
}

// Handler serves the viewer: "/" is the page, and its few files sit beside
// it ("/app.js", "/viewer.css", …). Any other path is 404, so the handler
// can be mounted at "GET /" of a mux as the fallback for every path the
// mux does not route elsewhere.
func Handler() http.Handler {
	h, err := newHandler(files)
	if err != nil {
		// The files are compiled in: this is a broken build, not a runtime condition.
		panic(fmt.Sprintf("viewer: embedded files: %v", err))
	}
	return h
}

type handler struct {
	assets map[string]*asset // by URL path
}

func newHandler(fsys fs.FS) (*handler, error) {
	sub, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	h := &handler{assets: map[string]*asset{}}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, p)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		sum := sha256.Sum256(data)
		a := &asset{name: p, ctype: contentType(p), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, data: data}
		h.assets["/"+p] = a
		if p == "index.html" {
			h.assets["/"] = a
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if h.assets["/"] == nil {
		return nil, fmt.Errorf("no index.html")
	}
	return h, nil
}

// contentType is explicit per extension: module scripts must be served as
// JavaScript, and nosniff makes the browser hold us to what we say.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	// Another site may not embed the page or load its scripts.
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a := h.assets[r.URL.Path]
	if a == nil || strings.Contains(r.URL.Path, "..") {
		http.NotFound(w, r)
		return
	}
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("Content-Type", a.ctype)
	// Revalidate every time (a new vimabl serves new files at once); the
	// ETag makes that a 304 of a few bytes.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
}
