package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/vimabl/vimabl/internal/ports"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// runSim is `vimabl sim`: the embedded Remote Script inside the fake Live.
func runSim(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return simMain(ctx, args, os.Stdout, os.Stderr)
}

func parseSimFlags(args []string, stderr io.Writer) (remotescript.SimOptions, error) {
	var o remotescript.SimOptions
	fs := flag.NewFlagSet("vimabl sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.CommandPort, "command-port", ports.Command, "TCP port the Remote Script listens on for commands (0: any free port)")
	fs.IntVar(&o.EventsPort, "events-port", ports.Events, "UDP port the Remote Script sends its events to (where the bridge listens)")
	fs.StringVar(&o.Scenario, "scenario", "idle", "what the fake user does: idle, edit-storm, set-load, automation-storm or demo")
	fs.StringVar(&o.LiveLog, "live-log", "", "write the fake Live's Log.txt here (default: a temporary file)")
	fs.IntVar(&o.Seed, "seed", 1, "seed of the scenario's random choices")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vimabl sim [--command-port 9001] [--events-port 9002] [--scenario idle|edit-storm|set-load|automation-storm|demo] [--live-log FILE]")
		fmt.Fprintln(stderr, "\nRuns VimAbl's Remote Script (the copy inside this binary) in a fake Ableton Live, under python3,")
		fmt.Fprintln(stderr, "until Ctrl-C. Use it to try the bridge, Hammerspoon or a web view without Live.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	switch o.Scenario {
	case "idle", "edit-storm", "set-load", "automation-storm", "demo":
	default:
		return o, fmt.Errorf("--scenario %q: use idle, edit-storm, set-load, automation-storm or demo", o.Scenario)
	}
	for name, p := range map[string]int{"--command-port": o.CommandPort, "--events-port": o.EventsPort} {
		if p < 0 || p > 65535 {
			return o, fmt.Errorf("%s %d: not a port number", name, p)
		}
	}
	return o, nil
}

func simMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseSimFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "vimabl sim:", err)
		return 2
	}
	o.Stderr = stderr
	sim, err := remotescript.StartSim(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "vimabl sim:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Fake Live running VimAbl %s (scenario %s)\n", remotescript.Version(), o.Scenario)
	fmt.Fprintf(stdout, "  commands: %s   try: echo GET_VIEW | nc -w 1 %s\n", sim.CommandAddr(), spaceAddr(sim.CommandAddr()))
	fmt.Fprintf(stdout, "  events:   udp://%s\n", sim.EventsAddr())
	fmt.Fprintf(stdout, "  Log.txt:  %s\n", sim.LogPath())
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	select {
	case <-ctx.Done():
	case <-sim.Done():
		fmt.Fprintln(stderr, "vimabl sim: the fake Live exited unexpectedly")
		sim.Stop()
		return 1
	}
	if err := sim.Stop(); err != nil {
		fmt.Fprintln(stderr, "vimabl sim:", err)
		return 1
	}
	return 0
}

// spaceAddr turns host:port into "host port" for nc.
func spaceAddr(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i] + " " + addr[i+1:]
		}
	}
	return addr
}
