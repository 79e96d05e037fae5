package remotescript

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// SimOptions configures StartSim. Zero values mean the defaults.
type SimOptions struct {
	CommandPort int    // the script's TCP command port; 0 = any free port
	EventsPort  int    // where the script sends its UDP events; 0 = 9002
	Scenario    string // idle (default), edit-storm, set-load or demo
	LiveLog     string // where the fake writes Live's Log.txt; "" = a file in the sim's temp folder
	Seed        int
	Python      string    // the interpreter; "" = python3 (python on Windows) from PATH
	Stderr      io.Writer // also receives python's stderr (nil: kept only for error messages)
}

// ReadyTimeout bounds how long StartSim waits for the script's command port.
const ReadyTimeout = 30 * time.Second

// ErrNoPython is returned (wrapped) when no Python interpreter is found.
var ErrNoPython = errors.New("python3 is required for the fake Live (vimabl sim/demo); install Python 3.7 or newer")

// Sim is the real Remote Script running inside the fake Live, in a python3
// child process. Its methods are safe for concurrent use.
type Sim struct {
	cmd         *exec.Cmd
	dir         string
	stdin       io.WriteCloser
	commandAddr string
	eventsAddr  string
	logPath     string

	replies chan string
	exited  chan struct{}
	waitErr error
	stderr  *tailBuffer

	ctlMu    sync.Mutex // one control line at a time
	stopOnce sync.Once
	stopErr  error
}

// StartSim copies the embedded script (into a folder named VimAbl, as Live
// has it) and the fake Live into a fresh temporary folder, starts sim.py and
// returns once the script's command port answers.
//
// The python process never outlives this one, even when this one is killed
// with SIGKILL and cannot run Stop: it stops when its stdin (this process's
// pipe, closed by the kernel when this process dies) reaches end of file and,
// on Linux, on the parent-death signal; it then removes the temporary folder
// itself.
func StartSim(ctx context.Context, opt SimOptions) (*Sim, error) {
	python, err := findPython(opt.Python)
	if err != nil {
		return nil, err
	}
	if opt.EventsPort == 0 {
		opt.EventsPort = 9002
	}
	if opt.Scenario == "" {
		opt.Scenario = "idle"
	}
	dir, err := os.MkdirTemp("", "vimabl-sim-")
	if err != nil {
		return nil, fmt.Errorf("starting the fake Live: %w", err)
	}
	s := &Sim{dir: dir, replies: make(chan string, 16), exited: make(chan struct{}), stderr: &tailBuffer{max: 16 << 10}}
	fail := func(err error) (*Sim, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	scriptDir := filepath.Join(dir, "VimAbl")
	if err := copyFS(Script(), scriptDir); err != nil {
		return fail(fmt.Errorf("extracting the Remote Script: %w", err))
	}
	fakeDir := filepath.Join(dir, "fakelive")
	if err := copyFS(FakeLive(), fakeDir); err != nil {
		return fail(fmt.Errorf("extracting the fake Live: %w", err))
	}
	s.logPath = opt.LiveLog
	if s.logPath == "" {
		s.logPath = filepath.Join(dir, "Log.txt")
	}
	args := []string{filepath.Join(fakeDir, "sim.py"), "--script-dir", scriptDir,
		"--command-port", fmt.Sprint(opt.CommandPort), "--events-port", fmt.Sprint(opt.EventsPort),
		"--scenario", opt.Scenario, "--live-log", s.logPath, "--seed", fmt.Sprint(opt.Seed),
		"--parent-pid", fmt.Sprint(os.Getpid()), "--remove-on-exit", dir}
	cmd := exec.Command(python, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	if opt.Stderr != nil {
		cmd.Stderr = io.MultiWriter(s.stderr, opt.Stderr)
	} else {
		cmd.Stderr = s.stderr
	}
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return fail(fmt.Errorf("starting the fake Live: %w", err))
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fail(fmt.Errorf("starting the fake Live: %w", err))
	}
	// Started from a goroutine of its own: Linux sends the parent-death
	// signal when the *thread* that started the child exits, and a thread
	// exits only with a goroutine locked to it. The caller's goroutine may be
	// locked (fyne's main one is); a fresh one never is.
	started := make(chan error, 1)
	go func() { started <- cmd.Start() }()
	if err := <-started; err != nil {
		return fail(fmt.Errorf("starting %s: %w", python, err))
	}
	s.cmd = cmd
	ready := make(chan string, 1)
	go s.readStdout(stdout, ready)
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	timer := time.NewTimer(ReadyTimeout)
	defer timer.Stop()
	select {
	case line := <-ready:
		if err := s.parseReady(line); err != nil {
			s.Stop()
			return nil, err
		}
		return s, nil
	case <-s.exited:
		os.RemoveAll(dir)
		return nil, fmt.Errorf("the fake Live exited before it was ready (%v): %s", s.waitErr, s.stderr.String())
	case <-timer.C:
		s.Stop()
		return nil, fmt.Errorf("the fake Live was not ready within %v: %s", ReadyTimeout, s.stderr.String())
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
}

func (s *Sim) readStdout(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first && strings.HasPrefix(line, "vimabl-sim ready ") {
			first = false
			ready <- line
			continue
		}
		if strings.HasPrefix(line, "ok") || strings.HasPrefix(line, "error") {
			select {
			case s.replies <- line:
			default: // nobody is waiting for that many answers; never block python
			}
		}
	}
}

func (s *Sim) parseReady(line string) error {
	for _, f := range strings.Fields(strings.TrimPrefix(line, "vimabl-sim ready ")) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "command":
			s.commandAddr = v
		case "events":
			s.eventsAddr = v
		}
	}
	if s.commandAddr == "" {
		return fmt.Errorf("the fake Live printed an unexpected ready line: %q", line)
	}
	return nil
}

// CommandAddr is host:port of the script's command port.
func (s *Sim) CommandAddr() string { return s.commandAddr }

// EventsAddr is host:port the script sends its events to.
func (s *Sim) EventsAddr() string { return s.eventsAddr }

// LogPath is the Log.txt the fake Live writes.
func (s *Sim) LogPath() string { return s.logPath }

// Control sends one control line (random <seed> <count>, restart, set-load,
// edit <json>, quit) and returns when the sim answered it: nil for "ok",
// an error with the sim's sentence for "error".
func (s *Sim) Control(ctx context.Context, line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return fmt.Errorf("control line must be one line: %q", line)
	}
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		return fmt.Errorf("sending %q to the fake Live: %w", line, err)
	}
	select {
	case reply := <-s.replies:
		if strings.HasPrefix(reply, "ok") {
			return nil
		}
		return fmt.Errorf("fake Live refused %q: %s", line, strings.TrimSpace(strings.TrimPrefix(reply, "error")))
	case <-s.exited:
		return fmt.Errorf("the fake Live exited (%v): %s", s.waitErr, s.stderr.String())
	case <-ctx.Done():
		return fmt.Errorf("waiting for the fake Live to answer %q: %w", line, ctx.Err())
	}
}

// PID is the python process's id (0 before it started).
func (s *Sim) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Done is closed when the python process has exited.
func (s *Sim) Done() <-chan struct{} { return s.exited }

// Stop interrupts the sim (the script disconnects cleanly), waits for it and
// removes its temporary folder. It is safe to call more than once.
func (s *Sim) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			if runtime.GOOS == "windows" {
				s.cmd.Process.Kill()
			} else {
				s.cmd.Process.Signal(os.Interrupt)
			}
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
				s.cmd.Process.Kill()
				<-s.exited
				s.stopErr = fmt.Errorf("the fake Live did not stop within 5 s and was killed")
			}
		}
		os.RemoveAll(s.dir)
	})
	return s.stopErr
}

func findPython(override string) (string, error) {
	if override != "" {
		p, err := exec.LookPath(override)
		if err != nil {
			return "", fmt.Errorf("%w (%s: %v)", ErrNoPython, override, err)
		}
		return p, nil
	}
	names := []string{"python3"}
	if runtime.GOOS == "windows" {
		names = []string{"python", "py", "python3"}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", ErrNoPython
}

// copyFS writes every file of fsys under dir.
func copyFS(fsys fs.FS, dir string) error {
	return fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// tailBuffer keeps the last max bytes written (python's stderr, for errors).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return "(no output)"
	}
	return s
}
