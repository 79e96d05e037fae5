package wshub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vimabl/vimabl/bridge/scriptclient"
)

// Commands over the WebSocket.
//
// Any web page served from any localhost port may open /ws (see
// originAllowed), so /ws forwards only commands that read Live's state or
// navigate, never ones that write files or change what the
// script does for everyone else. The full set stays on port 9001, which a
// web page cannot reach.

// wsCommands are the script's commands a WebSocket client may send, by
// their names in remote_script/commands.py's table.
var wsCommands = map[string]bool{
	// Read-only.
	"PING":                true,
	"GET_VERSION":         true,
	"GET_VIEW":            true,
	"GET_STATE":           true,
	"GET_PROJECT_PATH":    true,
	"SNAPSHOT":            true,
	"GET_OBSERVER_STATUS": true,
	"GET_LOG_STATS":       true,
	// Navigation: they move the selection or the song position, as the
	// user's keys do, and change nothing in the Set or on disk.
	"SELECT_FIRST_TRACK": true,
	"SELECT_LAST_TRACK":  true,
	"JUMP_TO_FIRST":      true,
	"JUMP_TO_LAST":       true,
	"SCROLL_TO_TOP":      true,
	"SCROLL_TO_BOTTOM":   true,
	"SELECT_FIRST_SCENE": true,
	"SELECT_LAST_SCENE":  true,
}

// portOnlyCommands are the script's other commands, kept to port 9001 on
// purpose; they get a refusal that says where to send them.
var portOnlyCommands = map[string]bool{
	// Writes a file next to any .als the caller names.
	"EXPORT_XML": true,
	// STOP_OBSERVERS silences the event stream every client and the
	// bridge's own mirror depend on, so one page could blind all the
	// others; START and REFRESH re-register every listener on Live's main
	// thread, which a page looping on them would turn into a stall of Live.
	// They are the app's and Hammerspoon's controls, not a view's.
	"START_OBSERVERS":   true,
	"STOP_OBSERVERS":    true,
	"REFRESH_OBSERVERS": true,
	// Erases the log figures the app and `vimabl doctor` report.
	"RESET_LOG_STATS": true,
	// Could switch on DEBUG (flooding Live's Log.txt) or switch off the
	// error lines a user needs to report a problem.
	"SET_LOG_LEVEL": true,
}

// MaxCommandID bounds a command's id; a longer one is refused (and not
// echoed).
const MaxCommandID = 128

// busyError is the error of a command refused because its client already
// has MaxCommandsInFlight commands waiting.
var busyError = fmt.Sprintf("busy: %d commands of this connection are still waiting for Live; send it again after a reply", MaxCommandsInFlight)

// Reply codes: every failed command is answered with "error" (a sentence)
// and one of these in "code" (docs/protocol.md, "Commands from a client").
const (
	CodeBadFrame    = "bad_frame"       // not a command frame: bad JSON, binary, wrong type or id
	CodeNotAllowed  = "not_allowed"     // a command kept to port 9001
	CodeUnknown     = "unknown_command" // no such command
	CodeBusy        = "busy"            // MaxCommandsInFlight already waiting: send it again later
	CodeRefused     = "refused"         // the script answered success: false ("result" has its reply)
	CodeUnavailable = "unavailable"     // the script's command port did not answer
	CodeTimeout     = "timeout"         // no answer within 15 s
)

// command is what a client may send. The id is kept as the client wrote it
// (a string or a number) and echoed as is.
type command struct {
	Type    string          `json:"type"`
	ID      json.RawMessage `json:"id"`
	Command string          `json:"command"`
	Args    []any           `json:"args"`
}

// replyFrame answers one command: {"type":"reply","id":…} and either
// result (the script's JSON) or error and code; busy marks the refusal a
// client may simply retry later. id is null when the frame had no usable id.
type replyFrame struct {
	Type   string          `json:"type"`
	ID     json.RawMessage `json:"id"` // nil encodes as null
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Code   string          `json:"code,omitempty"`
	Busy   bool            `json:"busy,omitempty"`
}

// request is an accepted command: the line for the script and the id to
// answer with.
type request struct {
	id   json.RawMessage
	line string
}

// refusal is why a frame is answered without asking the script.
type refusal struct {
	code, msg string
}

// checkID returns the id to echo: a JSON string or number of at most
// MaxCommandID bytes as written, or nil (null) for none.
func checkID(raw json.RawMessage) (json.RawMessage, *refusal) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) > MaxCommandID {
		// Echoing it would let a client that does not read turn each
		// small busy reply into one as large as its frame.
		return nil, &refusal{CodeBadFrame, fmt.Sprintf("id longer than %d bytes", MaxCommandID)}
	}
	switch c := raw[0]; {
	case c == '"', c == '-', c >= '0' && c <= '9':
		return raw, nil
	}
	return nil, &refusal{CodeBadFrame, "id must be a string or a number"}
}

// parseCommand turns a client's frame into the line to send to the script,
// or a refusal. The name is matched as the script matches it (surrounding
// space ignored, any case), and the line carries the canonical name from
// wsCommands, never the client's spelling: whatever else the script's
// parser might tolerate, only an allowed name reaches it.
func parseCommand(data []byte) (req request, ref *refusal) {
	var cmd command
	if err := json.Unmarshal(data, &cmd); err != nil {
		// Echo the id if it can be read at all, so the client can tell
		// which of its commands this was.
		var idOnly struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(data, &idOnly) == nil {
			req.id, _ = checkID(idOnly.ID)
		}
		return req, &refusal{CodeBadFrame, "not a command frame: " + err.Error() + `; send {"type":"command","id":"1","command":"GET_VIEW","args":[]}`}
	}
	id, bad := checkID(cmd.ID)
	if bad != nil {
		return req, bad
	}
	req.id = id
	if cmd.Type != "command" {
		return req, &refusal{CodeBadFrame, "unknown message type " + strconvQuote(cmd.Type) + `; send {"type":"command","id":"1","command":"GET_VIEW","args":[]}`}
	}
	name := strings.ToUpper(strings.TrimSpace(cmd.Command))
	switch {
	case name == "" || strings.ContainsAny(name, ":\r\n"):
		return req, &refusal{CodeBadFrame, "command must be a name like JUMP_TO_FIRST (arguments go in args)"}
	case portOnlyCommands[name]:
		return req, &refusal{CodeNotAllowed, name + " is not available over the WebSocket; use port 9001"}
	case !wsCommands[name]:
		if len(name) > 64 {
			name = name[:64] + "…"
		}
		return req, &refusal{CodeUnknown, "unknown command " + strconvQuote(name) + "; over the WebSocket: " + strings.Join(wsCommandNames(), ", ")}
	}
	req.line = scriptclient.Line(name, cmd.Args...)
	return req, nil
}

// scriptReply turns the script's answer into a reply: a reply with
// "success": false is a refusal (code refused, its error as the error),
// with the script's whole reply kept as result.
func scriptReply(id json.RawMessage, res json.RawMessage) replyFrame {
	var verdict struct {
		Success *bool  `json:"success"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(res, &verdict) == nil && verdict.Success != nil && !*verdict.Success {
		msg := verdict.Error
		if msg == "" {
			msg = "the Remote Script refused the command"
		}
		return replyFrame{ID: id, Result: res, Error: msg, Code: CodeRefused}
	}
	return replyFrame{ID: id, Result: res}
}

// wsCommandNames lists wsCommands in order, for error messages.
func wsCommandNames() []string {
	names := make([]string, 0, len(wsCommands))
	for n := range wsCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
