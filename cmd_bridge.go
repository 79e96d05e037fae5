package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"

	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/internal/ports"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// bridgeFlags are the flags shared by `vimabl bridge`, the app and the demo.
type bridgeFlags struct {
	host        string
	eventsPort  int
	wsPort      int
	commandPort int
	liveLog     string
	verbose     bool
}

func (b *bridgeFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&b.eventsPort, "events-port", ports.Events, "UDP port to receive the Remote Script's events on")
	fs.IntVar(&b.wsPort, "ws-port", ports.WS, "HTTP/WebSocket port for clients (web views, scripts)")
	fs.IntVar(&b.commandPort, "command-port", ports.Command, "the Remote Script's TCP command port (the bridge connects to it, never binds it)")
	fs.StringVar(&b.liveLog, "live-log", "", "Live's Log.txt to follow (default: the newest Live version's)")
	fs.StringVar(&b.host, "listen", "127.0.0.1", "address to listen on (loopback unless you really mean to expose your Set)")
	fs.BoolVar(&b.verbose, "v", false, "log debug details")
}

func (b *bridgeFlags) check() error {
	for name, p := range map[string]int{"--events-port": b.eventsPort, "--ws-port": b.wsPort, "--command-port": b.commandPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%s %d: not a port number", name, p)
		}
	}
	return nil
}

func (b *bridgeFlags) config(logger *slog.Logger) bridge.Config {
	return bridge.Config{
		EventsAddr:  net.JoinHostPort(b.host, strconv.Itoa(b.eventsPort)),
		WSAddr:      net.JoinHostPort(b.host, strconv.Itoa(b.wsPort)),
		CommandAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(b.commandPort)),
		LiveLogPath: b.liveLog,
		Installed:   installedCheck(),
		Logger:      logger,
	}
}

// bridgeMemoryLimit is `vimabl bridge`'s soft memory limit (see runBridge).
const bridgeMemoryLimit = 30 << 20

// runBridge is `vimabl bridge`: the engine without any UI, logging to stderr.
func runBridge(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A soft limit on the Go heap and runtime: during a 100 000-event burst
	// the frames queued for clients make the heap grow to twice its live size
	// before the next collection; with the limit the collector runs sooner
	// instead (bounded by Go to half the CPU), which kept the burst's peak
	// resident size under 50 MB in `make bench`. GOMEMLIMIT still overrides.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(bridgeMemoryLimit)
	}
	return bridgeMain(ctx, args, os.Stderr)
}

func bridgeMain(ctx context.Context, args []string, stderr io.Writer) int {
	var b bridgeFlags
	fs := flag.NewFlagSet("vimabl bridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	b.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vimabl bridge [--events-port 9002] [--ws-port 8765] [--command-port 9001] [--live-log FILE]")
		fmt.Fprintln(stderr, "\nRuns the bridge engine without a UI until Ctrl-C: receives the Remote Script's events,")
		fmt.Fprintln(stderr, "mirrors the Set and serves it on ws://127.0.0.1:8765/ws (also /state, /status, /metrics, /healthz).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := b.check(); err != nil {
		fmt.Fprintln(stderr, "vimabl bridge:", err)
		return 2
	}
	// One VimAbl at a time: a second one on the same ports would only
	// report its own predecessor as "another program" (issue 12).
	if r, ok := findRunning(ctx, b.host, b.wsPort); ok {
		fmt.Fprintln(stderr, "vimabl bridge:", alreadyRunningMessage(r))
		return 1
	}
	level := slog.LevelInfo
	if b.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// The pid a second VimAbl names, and `taskkill /PID` or `kill` needs.
	logger.Info("vimabl bridge", "pid", os.Getpid(), "version", remotescript.Version())
	eng, err := bridge.New(b.config(logger))
	if err != nil {
		fmt.Fprintln(stderr, "vimabl bridge:", err)
		return 2
	}
	if err := eng.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "vimabl bridge:", err)
		return 1
	}
	<-ctx.Done()
	eng.Stop()
	return 0
}
