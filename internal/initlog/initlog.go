// Package initlog holds back what is written to the standard logger while Go
// initialises packages, so that main can drop one known complaint and pass
// everything else through: on Linux with LANG=C (CI machines, containers),
// fyne's lang package logs "Error parsing user locale C" while it
// initialises — on every start of every subcommand, before main runs — and
// then uses English, which is right. macOS and Windows never print it.
//
// Go (1.21 and later) initialises, at each step, the first package in
// import-path order whose imports are ready. This package imports only the
// standard library and its path sorts before golang.org/x/text, which
// fyne's lang package needs, so its init runs first. A test in e2e checks
// the effect on the built binary.
//
// The held-back output is package state by necessity: it exists before main.
package initlog

import (
	"bytes"
	"io"
	"log"
	"strings"
	"sync"
)

var held struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

type holder struct{}

func (holder) Write(p []byte) (int, error) {
	held.mu.Lock()
	defer held.mu.Unlock()
	return held.buf.Write(p)
}

func init() {
	log.SetOutput(holder{})
}

// Release points the standard logger at w again and writes to it what was
// logged during initialisation, without fyne's locale complaint.
func Release(w io.Writer) {
	held.mu.Lock()
	text := held.buf.String()
	held.buf.Reset()
	held.mu.Unlock()
	log.SetOutput(w)
	if out := Filter(text); out != "" {
		io.WriteString(w, out)
	}
}

// Filter removes from log output the three lines of fyne's complaint that
// the POSIX locale ("C", "POSIX", "C.UTF-8") is not a language:
//
//	… Fyne error:  Error parsing user locale C
//	…   Cause: language: tag is not well-formed
//	…   At: …/fyne/v2@…/lang/locale.go:35
//
// Other lines, fyne's other errors included, are kept.
func Filter(text string) string {
	lines := strings.SplitAfter(text, "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.Contains(l, "Fyne error:  Error parsing user locale ") || !posixLocale(l) {
			out.WriteString(l)
			continue
		}
		for i+1 < len(lines) && (strings.Contains(lines[i+1], "  Cause: language:") || strings.Contains(lines[i+1], "  At: ") && strings.Contains(lines[i+1], "/lang/locale.go:")) {
			i++
		}
	}
	return out.String()
}

func posixLocale(line string) bool {
	name := strings.TrimSpace(line[strings.Index(line, "user locale ")+len("user locale "):])
	return name == "C" || name == "POSIX" || strings.HasPrefix(name, "C.")
}
