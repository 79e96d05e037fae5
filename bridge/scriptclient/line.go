package scriptclient

import (
	"encoding/json"
	"strings"
)

// Line is the command line for port 9001 (docs/protocol.md, "TCP
// commands"): the name, then each argument after a colon — a string as it
// is, nil as nothing, anything else as JSON (5, true, 0.5). Carriage
// returns and newlines are dropped from the arguments: a command is one
// line, and a newline inside one would end it and start another.
func Line(name string, args ...any) string {
	var b strings.Builder
	b.WriteString(name)
	for _, a := range args {
		b.WriteByte(':')
		var s string
		switch v := a.(type) {
		case string:
			s = v
		case nil:
		default:
			j, _ := json.Marshal(v)
			s = string(j)
		}
		b.WriteString(strings.NewReplacer("\r", "", "\n", "").Replace(s))
	}
	return b.String()
}
