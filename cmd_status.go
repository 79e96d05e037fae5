package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/internal/ports"
)

// runStatus is `vimabl status`: the state of a running bridge, from GET /status.
func runStatus(args []string) int {
	return statusMain(context.Background(), args, os.Stdout, os.Stderr)
}

func statusMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vimabl status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the raw JSON report")
	port := fs.Int("ws-port", ports.WS, "the running bridge's HTTP/WebSocket port")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vimabl status [--json] [--ws-port 8765]")
		fmt.Fprintln(stderr, "\nPrints the connection state and key metrics of a running bridge (the app or `vimabl bridge`).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/status", *port)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "vimabl status: no bridge answers on port %d (%v).\nStart the app (`vimabl`) or `vimabl bridge`.\n", *port, shortErr(err))
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "vimabl status: %s answered %s: %v\n", url, resp.Status, err)
		return 1
	}
	if *asJSON {
		stdout.Write(body)
		fmt.Fprintln(stdout)
		return 0
	}
	var r bridge.StatusReport
	if err := json.Unmarshal(body, &r); err != nil {
		fmt.Fprintf(stderr, "vimabl status: %s is not a VimAbl bridge: %v\n", url, err)
		return 1
	}
	printStatus(stdout, r)
	return 0
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func printStatus(w io.Writer, r bridge.StatusReport) {
	fmt.Fprintf(w, "State:    %s — %s\n", r.State, r.Summary)
	if r.Fix != "" {
		fmt.Fprintf(w, "Fix:      %s\n", r.Fix)
	}
	if r.ScriptVersion != "" {
		fmt.Fprintf(w, "Script:   VimAbl %s in Live %s (session %s)\n", r.ScriptVersion, r.LiveVersion, r.SessionID)
	}
	ok := map[bool]string{true: "answers", false: "no answer"}
	fmt.Fprintf(w, "Commands: %s (%s)\n", r.CommandAddr, ok[r.CommandPortOK])
	for _, p := range r.Ports {
		state := "listening"
		if !p.OK {
			state = "NOT bound: " + p.Error
		}
		fmt.Fprintf(w, "Port:     %-9s %s %s\n", p.Name, p.Addr, state)
	}
	if r.LastEvent != nil {
		fmt.Fprintf(w, "Events:   %.1f/s, last %s ago\n", r.EventsPerSec, time.Since(*r.LastEvent).Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "Set:      %d tracks, %d scenes, %g BPM, playing %v\n", r.Tracks, r.Scenes, r.Tempo, r.Playing)
	fmt.Fprintf(w, "Clients:  %d WebSocket\n", r.WSClients)
	if r.LiveLog != "" {
		fmt.Fprintf(w, "Live log: %s (found %v)\n", r.LiveLog, r.LiveLogFound)
	}
	if m := r.Metrics; m != nil {
		fmt.Fprintf(w, "Metrics:  received %d, malformed %d, gaps %d (lost %d), overflow %d, resyncs %d, latency p50 %v p99 %v\n",
			m.EventsReceived, m.Malformed, m.Gaps, m.LostEvents, m.OverflowDrops, m.Resyncs, m.LatencyP50, m.LatencyP99)
	}
}
