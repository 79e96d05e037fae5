package wshub

import (
	"net/http"
	"strings"
	"testing"
)

// issue 14 item 9: a web view served from another localhost port may read
// /state (CORS, by the rule that lets it open /ws), with the session and seq
// the state contains; a page from any other origin gets no CORS answer, so
// its browser keeps the body from it.
func TestStateForLocalhostPagesWithItsSeq(t *testing.T) {
	_, url := startHub(t, Config{
		State:  func() (string, int64, []byte) { return "s1", 42, []byte(`{"view":"session"}`) },
		Status: func() []byte { return []byte(`{}`) },
	}, nil)
	base := "http" + strings.TrimSuffix(strings.TrimPrefix(url, "ws"), "/ws")
	for origin, allowed := range map[string]bool{"http://localhost:5173": true, "http://127.0.0.1:3000": true, "https://evil.example": false, "": false} {
		for _, path := range []string{"/state", "/status"} {
			req, _ := http.NewRequest("GET", base+path, nil)
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); (got == origin && origin != "") != allowed || (!allowed && got != "") {
				t.Errorf("%s from %q: Access-Control-Allow-Origin %q", path, origin, got)
			}
			if path == "/state" && (resp.Header.Get("X-VimAbl-Session") != "s1" || resp.Header.Get("X-VimAbl-Seq") != "42") {
				t.Errorf("/state headers %v, want session s1 and seq 42", resp.Header)
			}
		}
	}
}
