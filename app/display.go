package app

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// ErrNoDisplay is wrapped by CheckDisplay's error when there is no window
// system to talk to (no X server or Wayland compositor, no desktop session).
var ErrNoDisplay = errors.New("no display")

// ErrNoOpenGL is wrapped by CheckDisplay's error when windows can be made but
// not with the OpenGL 2.1 context fyne draws with (a virtual machine without
// 3D acceleration, Remote Desktop, a missing graphics driver).
var ErrNoOpenGL = errors.New("OpenGL 2.1 is not available")

// CheckDisplay tells, before fyne's driver starts, whether the window system
// and the OpenGL 2.1 context that fyne's glfw driver needs are there. It
// returns nil when they are, else an error wrapping ErrNoDisplay or
// ErrNoOpenGL whose text carries the system's own reason.
//
// Why ask first: fyne v2.7.1's glfw driver logs a failed glfwInit and goes on;
// its first window then panics ("NotInitialized") on the main goroutine, and
// a window whose OpenGL context cannot be made makes the driver quit or call
// os.Exit(1) after only logging. On Windows the GUI build has no console, so
// the user would see nothing at all.
//
// It does what the driver will do — glfwInit, then a hidden 2.1 window — and
// leaves GLFW initialised (the driver's own glfwInit is then a no-op) with
// the window hints back at their defaults. Call it from the main goroutine
// (GLFW's rule; fyne's driver locks that goroutine to the main thread) and
// before Run.
func CheckDisplay() error {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" &&
		os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		// The cheap, certain case (ssh, a service, CI): no need to load GLFW.
		return fmt.Errorf("%w (DISPLAY and WAYLAND_DISPLAY are not set)", ErrNoDisplay)
	}
	// go-gl/glfw hands GLFW's platform errors ("X11: Failed to open
	// display", "Win32: Failed to create helper window") to the standard
	// logger instead of returning them, and glfw.Init reports success even
	// then: catch the text to put it in the sentence the user reads.
	var logged bytes.Buffer
	prevOut, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	log.SetFlags(0)
	defer func() { log.SetOutput(prevOut); log.SetFlags(prevFlags) }()
	reason := func(err error) string {
		var parts []string
		add := func(s string) {
			if s = strings.TrimRight(strings.TrimSpace(s), "."); s != "" {
				parts = append(parts, s)
			}
		}
		for _, line := range strings.Split(logged.String(), "\n") {
			add(strings.TrimPrefix(line, "PlatformError: "))
		}
		var ge *glfw.Error
		switch {
		case errors.As(err, &ge):
			add(ge.Desc) // the code's name says nothing to a user
		case errors.Is(err, errNoWindow) && len(parts) > 0:
			// GLFW said why above.
		case err != nil:
			add(err.Error())
		}
		if len(parts) == 0 {
			return "no reason given"
		}
		return strings.Join(parts, "; ")
	}

	if err := glfwCall(func() error { return glfw.Init() }); err != nil {
		return initFailure(reason(err))
	}
	// glfw.Init reports success even when glfwInit failed (see above); any
	// call that needs an initialised GLFW tells. Its panic only says
	// "NotInitialized": GLFW's logged words are the reason, when there are.
	if err := glfwCall(func() error { glfw.GetPrimaryMonitor(); return nil }); err != nil {
		if logged.Len() > 0 {
			err = nil
		}
		return initFailure(reason(err))
	}
	err := glfwCall(func() error {
		glfw.DefaultWindowHints()
		defer glfw.DefaultWindowHints()
		glfw.WindowHint(glfw.Visible, glfw.False)
		// The context fyne's desktop driver asks for (its glfw_core.go).
		glfw.WindowHint(glfw.ContextVersionMajor, 2)
		glfw.WindowHint(glfw.ContextVersionMinor, 1)
		w, err := glfw.CreateWindow(16, 16, "VimAbl", nil, nil)
		if err != nil {
			return err
		}
		if w == nil {
			return errNoWindow
		}
		w.Destroy()
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w (%s)", ErrNoOpenGL, reason(err))
	}
	return nil
}

// errNoWindow: glfwCreateWindow returned no window and go-gl/glfw no error
// (it logs platform errors instead of returning them).
var errNoWindow = errors.New("no window was made")

// initFailure classifies a failed glfwInit by GLFW's own words: on Windows
// it loads opengl32.dll and sets up WGL while initialising, so a reason
// naming an OpenGL interface (WGL, GLX, EGL, NSGL) is a missing OpenGL,
// anything else a missing window system.
func initFailure(reason string) error {
	for _, api := range []string{"WGL:", "GLX:", "EGL:", "NSGL:", "OpenGL"} {
		if strings.Contains(reason, api) {
			return fmt.Errorf("%w (%s)", ErrNoOpenGL, reason)
		}
	}
	return fmt.Errorf("%w (%s)", ErrNoDisplay, reason)
}

// glfwCall runs f and turns go-gl/glfw's panics into errors: it panics on
// error codes it considers a caller's mistake, "NotInitialized" among them,
// and on ones it does not know ("FormatUnavailable" from WGL).
func glfwCall(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	return f()
}
