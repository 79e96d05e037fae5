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
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"

	"github.com/vimabl/vimabl/app"
	"github.com/vimabl/vimabl/autostart"
	"github.com/vimabl/vimabl/bridge"
	"github.com/vimabl/vimabl/install"
	"github.com/vimabl/vimabl/internal/ports"
	"github.com/vimabl/vimabl/livepaths"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// appFlags are the app's flags: the bridge's plus what the window shows.
type appFlags struct {
	bridgeFlags
	tab  string
	size string
	show bool
}

func parseAppFlags(name string, args []string, stderr io.Writer, usage string) (appFlags, error) {
	var f appFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs)
	fs.StringVar(&f.tab, "tab", "status", "tab to show first: status, log, metrics or setup")
	fs.StringVar(&f.size, "size", "900x640", "window size, WIDTHxHEIGHT")
	fs.BoolVar(&f.show, "show", false, "open the window at start (it always opens where there is no tray)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if _, err := parseSize(f.size); err != nil {
		return f, err
	}
	return f, f.check()
}

func parseSize(s string) (fyne.Size, error) {
	w, h, ok := strings.Cut(strings.ToLower(s), "x")
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || wi < 200 || hi < 150 {
		return fyne.Size{}, fmt.Errorf("--size %q: want WIDTHxHEIGHT, e.g. 900x640", s)
	}
	return fyne.NewSize(float32(wi), float32(hi)), nil
}

// runApp is `vimabl` with no command: the bridge and the tray app.
func runApp(args []string) int {
	f, err := parseAppFlags("vimabl", args, os.Stderr,
		"Usage: vimabl [--events-port 9002] [--ws-port 8765] [--command-port 9001] [--live-log FILE] [--show]\n\n"+
			"Starts the bridge and VimAbl's menu-bar app.")
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl:", err)
		return 2
	}
	// One VimAbl at a time (issue 12): a second start (the login item, then
	// a double-click) brings the first one's window up and leaves.
	if r, ok := findRunning(context.Background(), f.host, f.wsPort); ok {
		if askToShow(context.Background(), r) {
			fmt.Fprintf(os.Stderr, "vimabl: VimAbl is already running (%s); its window is brought up.\n", r.who())
			return 0
		}
		msg := alreadyRunningMessage(r)
		fmt.Fprintln(os.Stderr, "vimabl:", msg)
		tell(msg)
		return 1
	}
	// Before the engine binds anything: whether a window can be shown at all
	// (fyne's driver would panic or quit without a word; see CheckDisplay).
	displayErr := app.CheckDisplay()
	ctx := context.Background()
	if displayErr != nil {
		fmt.Fprintln(os.Stderr, "vimabl:", noWindowMessage(displayErr, runtime.GOOS))
		// Headless, the signals end the bridge as they end `vimabl bridge`
		// (with a window, fyne's driver turns them into Quit).
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := f.config(logger)
	showRequests, show := showSignal()
	if displayErr == nil {
		// A second VimAbl asks this one to bring its window up, and leaves.
		cfg.AppShow = appShowHandler(show)
	}
	eng, err := bridge.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl:", err)
		return 2
	}
	if err := eng.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "vimabl:", err)
		return 1
	}
	defer eng.Stop()
	if displayErr != nil {
		return runHeadless(ctx, noWindowMessage(displayErr, runtime.GOOS), askKeepRunning)
	}
	size, _ := parseSize(f.size)
	err = app.Run(app.Options{
		Engine:       eng,
		Install:      install.Options{CommandPort: f.commandPort, EventsPort: f.eventsPort},
		AutoStart:    autoStarter(),
		Diagnostics:  func() string { return doctorReport(f.commandPort, f.eventsPort, f.wsPort) },
		Tab:          f.tab,
		ShowWindow:   f.show,
		Size:         size,
		ShowRequests: showRequests,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl:", err)
		return 1
	}
	return 0
}

// runHeadless is the app where no window can be shown (issue 12 item 1),
// after msg (noWindowMessage) went to stderr: it keeps the started engine
// serving — as `vimabl bridge` would — until ctx ends (Ctrl-C, SIGTERM).
// ask shows msg where there is no console to read it (Windows) and reports
// whether the user wants the bridge to keep running; if not, it returns 1.
func runHeadless(ctx context.Context, msg string, ask func(msg string) bool) int {
	if !ask(msg) {
		return 1
	}
	<-ctx.Done()
	return 0
}

// noWindowMessage is what the user reads when the app cannot show its
// window: the cause in one sentence, then what to do on that OS. On Windows
// it is the text of a message box with OK and Cancel buttons.
func noWindowMessage(why error, goos string) string {
	cause := "VimAbl cannot open its window: " + why.Error() + "."
	noGL := errors.Is(why, app.ErrNoOpenGL)
	if goos == "windows" {
		fix := "If this is a desktop session, update the graphics driver."
		if noGL {
			fix = "Update the graphics driver; in a virtual machine, turn on 3D acceleration."
		}
		return cause + "\n\n" + fix + " Until then the bridge can run in the background without a window: " +
			"Hammerspoon and web views keep working.\n\nOK keeps the bridge running; Cancel quits VimAbl."
	}
	fix := "on a machine without a display, run `vimabl bridge` instead."
	if noGL {
		fix = "install your graphics driver's OpenGL support (Debian: libgl1-mesa-dri) to get the window."
	}
	return cause + " The bridge keeps running without it (`vimabl status` shows it, Ctrl-C stops it); " + fix
}

// runDemo is `vimabl demo`: the app against the fake Live running the real
// Remote Script, with a scenario playing — everything works without Ableton.
func runDemo(args []string) int {
	f, err := parseAppFlags("vimabl demo", args, os.Stderr,
		"Usage: vimabl demo [--tab status|log|metrics|setup] [--size 900x640]\n\n"+
			"Opens VimAbl against a fake Live (python3) running the real Remote Script with a scenario playing.")
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 2
	}
	// The demo is its window: without one it exits, saying why (issue 12).
	if err := app.CheckDisplay(); err != nil {
		fmt.Fprintf(os.Stderr, "vimabl demo: VimAbl cannot open its window: %v; the demo needs one (run it on a desktop, or under Xvfb as `make screenshots` does).\n", err)
		return 1
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tmp, err := os.MkdirTemp("", "vimabl-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	// The demo installs into a throw-away User Library, never the user's.
	env := livepaths.Env{OS: runtime.GOOS, Home: tmp, UserProfile: tmp, AppData: filepath.Join(tmp, "AppData", "Roaming")}
	if err := os.MkdirAll(livepaths.DefaultUserLibrary(env), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 1
	}
	instOpts := install.Options{Env: env}
	if _, err := install.Install(instOpts); err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 1
	}

	// Free ports, so the demo runs beside a real VimAbl without a clash.
	cmdPort, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 1
	}
	logPath := filepath.Join(tmp, "Log.txt")
	cfg := bridge.Config{
		EventsAddr:  "127.0.0.1:0",
		WSAddr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(f.wsPort)),
		CommandAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(cmdPort)),
		LiveLogPath: logPath,
		Installed: func() bool {
			r, err := install.Inspect(instOpts)
			return err == nil && r.State.Installed()
		},
		Logger: logger,
	}
	if f.wsPort == ports.WS {
		cfg.WSAddr = "127.0.0.1:0"
	}
	eng, err := bridge.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 1
	}
	if err := eng.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 1
	}
	defer eng.Stop()
	eventsPort := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if a := eng.EventsAddr(); a != "" {
			_, p, _ := net.SplitHostPort(a)
			eventsPort, _ = strconv.Atoi(p)
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	sim, err := remotescript.StartSim(ctx, remotescript.SimOptions{
		CommandPort: cmdPort, EventsPort: eventsPort, Scenario: "demo", LiveLog: logPath,
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		if errors.Is(err, remotescript.ErrNoPython) {
			fmt.Fprintln(os.Stderr, "The demo runs the Remote Script in a fake Live under Python 3; install python3 and try again.")
		}
		return 1
	}
	defer sim.Stop()
	fmt.Fprintf(os.Stderr, "vimabl demo: fake Live at %s, bridge WebSocket at ws://%s/ws\n", sim.CommandAddr(), eng.WSAddr())

	size, _ := parseSize(f.size)
	err = app.Run(app.Options{
		Engine:      eng,
		Install:     instOpts,
		Diagnostics: func() string { return doctorReport(cmdPort, eventsPort, f.wsPort) },
		Tab:         f.tab,
		ShowWindow:  true,
		Size:        size,
		Title:       "VimAbl — demo (fake Live)",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl demo:", err)
		return 1
	}
	return 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// autoStarter is start-at-login for this executable (nil if unavailable).
func autoStarter() app.AutoStart {
	m, err := autostart.New()
	if err != nil {
		return nil
	}
	return m
}
