package viewer

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1:8765"+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// The page and every file it references are served, as the type the
// browser needs (module scripts must be JavaScript; nosniff holds us to
// it), with the CSP and the headers that keep other sites out (issue 15,
// "What it is" and "Safety").
func TestServesThePageAndItsFiles(t *testing.T) {
	h := Handler()
	res := get(t, h, "GET", "/")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	want := map[string]string{
		"Content-Security-Policy":      ContentSecurityPolicy,
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "no-referrer",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Cache-Control":                "no-cache",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 3 {
		t.Fatalf("index.html references %d files", len(refs))
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, m := range refs {
		res := get(t, h, "GET", "/"+m[1])
		ext := m[1][strings.LastIndex(m[1], "."):]
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != types[ext] {
			t.Errorf("GET /%s = %d %q", m[1], res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	// The modules the scripts import are served too.
	for _, p := range []string{"/patch.js", "/view.js"} {
		if res := get(t, h, "GET", p); res.StatusCode != 200 {
			t.Errorf("GET %s = %d", p, res.StatusCode)
		}
	}
}

// Mounted at "GET /" of the bridge's mux the handler is the fallback for
// every path: it must answer 404 to what it does not have (not the page),
// refuse writes, and answer a revalidation with 304.
func TestUnknownPathsMethodsAndRevalidation(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/nope", "/static/app.js", "/../viewer.go", "/index.html/", "/ws/x"} {
		if res := get(t, h, "GET", p); res.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
		}
	}
	if res := get(t, h, "POST", "/"); res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST / = %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	if res := get(t, h, "HEAD", "/app.js"); res.StatusCode != 200 {
		t.Errorf("HEAD /app.js = %d", res.StatusCode)
	}
	etag := get(t, h, "GET", "/app.js").Header.Get("ETag")
	if res := get(t, h, "GET", "/app.js", "If-None-Match", etag); etag == "" || res.StatusCode != 304 {
		t.Errorf("revalidating with ETag %q = %d, want 304", etag, res.StatusCode)
	}
}

// The files load nothing from elsewhere and contain nothing the CSP would
// block or that builds markup from data: no inline script or style, no
// event-handler attributes, no innerHTML, no eval, no style attributes set
// from strings (issue 15, "Safety"). The browser tests (e2e/viewer) prove
// the page runs without a CSP violation; this keeps the reasons visible.
func TestFilesAreSelfContainedAndCSPClean(t *testing.T) {
	sub, _ := fs.Sub(files, "static")
	forbidden := map[string]*regexp.Regexp{
		"a URL of another site":  regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[/"']`),
		"inline script":          regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]`),
		"a style element":        regexp.MustCompile(`(?i)<style`),
		"a style attribute":      regexp.MustCompile(`(?i)\sstyle=`),
		"an event attribute":     regexp.MustCompile(`(?i)<[^>]+\son[a-z]+=`),
		"markup from strings":    regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write`),
		"eval":                   regexp.MustCompile(`\beval\(|new Function\(|setAttribute\(\s*["']style`),
		"an import of elsewhere": regexp.MustCompile(`import\s*(?:[^"']*from\s*)?["'](?:https?:)?//`),
	}
	n := 0
	fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, _ := fs.ReadFile(sub, p)
		text := string(data)
		if p == "favicon.svg" {
			// The SVG namespace is a name, not a place the browser loads.
			text = strings.ReplaceAll(text, `xmlns="http://www.w3.org/2000/svg"`, "")
		}
		for what, re := range forbidden {
			if loc := re.FindStringIndex(text); loc != nil {
				t.Errorf("%s has %s: %q", p, what, text[loc[0]:min(loc[1]+20, len(text))])
			}
		}
		return nil
	})
	if n < 5 {
		t.Fatalf("only %d embedded files", n)
	}
}
