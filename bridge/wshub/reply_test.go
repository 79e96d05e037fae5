package wshub

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/gorilla/websocket"
)

// rawReply reads frames until a reply and returns it as raw JSON members.
func rawReply(t *testing.T, c *websocket.Conn) map[string]json.RawMessage {
	t.Helper()
	for {
		f := readFrame(t, c)
		if f["type"] != "reply" {
			continue
		}
		b, _ := json.Marshal(f)
		var m map[string]json.RawMessage
		json.Unmarshal(b, &m)
		return m
	}
}

// issue 14 item 7 (the reply contract): a command's id — a string or a
// number — comes back exactly as sent, null when the frame had none or
// could not be read; every failure has "error" and one "code", whether the
// frame was malformed (bad JSON, a binary frame, an object as id), the
// command is not forwarded, the script refused it (its reply kept as
// result) or the script is not there. Before, a numeric id, bad JSON or a
// binary frame got a reply without any id.
func TestWSReplyContract(t *testing.T) {
	_, url := startHub(t, Config{Command: func(ctx context.Context, line string) (json.RawMessage, error) {
		switch line {
		case "GET_VIEW":
			return json.RawMessage(`{"success": true, "view": "session"}`), nil
		case "JUMP_TO_FIRST":
			return json.RawMessage(`{"success": false, "error": "No scenes"}`), nil
		}
		return nil, errors.New("dial tcp 127.0.0.1:9001: connect: connection refused")
	}}, nil)
	c := dial(t, url)
	for _, tc := range []struct {
		name, frame string
		binary      bool
		id, code    string // raw JSON of id; "" code: success
		result      string
	}{
		{"string id", `{"type":"command","id":"a-1","command":"GET_VIEW","args":[]}`, false, `"a-1"`, "", `{"success":true,"view":"session"}`},
		{"numeric id", `{"type":"command","id":42,"command":"get_view"}`, false, `42`, "", `{"success":true,"view":"session"}`},
		{"no id", `{"type":"command","command":"GET_VIEW"}`, false, `null`, "", `{"success":true,"view":"session"}`},
		{"script refuses", `{"type":"command","id":7,"command":"JUMP_TO_FIRST"}`, false, `7`, CodeRefused, `{"success":false,"error":"No scenes"}`},
		{"script not there", `{"type":"command","id":"p","command":"PING"}`, false, `"p"`, CodeUnavailable, ""},
		{"bad JSON", `{"type":"command","id":`, false, `null`, CodeBadFrame, ""},
		{"bad args, id kept", `{"type":"command","id":9,"command":"GET_VIEW","args":{}}`, false, `9`, CodeBadFrame, ""},
		{"object id", `{"type":"command","id":{"x":1},"command":"GET_VIEW"}`, false, `null`, CodeBadFrame, ""},
		{"binary frame", `{"type":"command","id":"b","command":"GET_VIEW"}`, true, `null`, CodeBadFrame, ""},
		{"port-only", `{"type":"command","id":"x","command":"EXPORT_XML","args":["/a.als"]}`, false, `"x"`, CodeNotAllowed, ""},
		{"unknown", `{"type":"command","id":"u","command":"NOPE"}`, false, `"u"`, CodeUnknown, ""},
	} {
		kind := websocket.TextMessage
		if tc.binary {
			kind = websocket.BinaryMessage
		}
		if err := c.WriteMessage(kind, []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		r := rawReply(t, c)
		if string(r["id"]) != tc.id {
			t.Errorf("%s: id %s, want %s", tc.name, r["id"], tc.id)
		}
		var code, msg string
		json.Unmarshal(r["code"], &code)
		json.Unmarshal(r["error"], &msg)
		if code != tc.code || (tc.code == "") != (msg == "") {
			t.Errorf("%s: code %q error %q, want code %q", tc.name, code, msg, tc.code)
		}
		if tc.result != "" {
			var got, want any
			json.Unmarshal(r["result"], &got)
			json.Unmarshal([]byte(tc.result), &want)
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("%s: result %s, want %s", tc.name, r["result"], tc.result)
			}
		}
		if tc.code == CodeRefused && msg != "No scenes" {
			t.Errorf("%s: error %q, want the script's own", tc.name, msg)
		}
	}
}
