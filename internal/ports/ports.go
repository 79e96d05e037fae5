// Package ports defines the three ports of docs/protocol.md once, for the
// bridge, the installer and the subcommands' flags, and the config.json
// that tells the Remote Script where they are when they are not these.
//
// The script has its own copy of the defaults (remote_script/LiveState.py,
// DEFAULTS: Python cannot import Go); ports_test.go holds the two together.
package ports

import (
	"encoding/json"
	"net"
	"strconv"
)

// The defaults, on loopback: no port is ever offered to the network.
const (
	Host    = "127.0.0.1"
	Command = 9001 // TCP: the Remote Script's commands (the bridge only connects)
	Events  = 9002 // UDP: the Remote Script's events, to the bridge
	WS      = 8765 // TCP: the bridge's HTTP and WebSocket
)

// Addr is port on Host, e.g. "127.0.0.1:9002".
func Addr(port int) string { return net.JoinHostPort(Host, strconv.Itoa(port)) }

// ScriptConfigName is the file beside the installed script that moves its
// ports (remote_script/LiveState.py reads it).
const ScriptConfigName = "config.json"

// ScriptConfig is config.json's content for a script whose command port is
// command and whose events go to events: nil when both are the defaults
// (the script needs no file then). The keys are the script's DEFAULTS'.
func ScriptConfig(command, events int) []byte {
	if command == Command && events == Events {
		return nil
	}
	b, _ := json.MarshalIndent(map[string]int{"command_port": command, "events_port": events}, "", "  ")
	return append(b, '\n')
}
