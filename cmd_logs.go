package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/vimabl/vimabl/bridge/livelog"
)

// runLogs is `vimabl logs`: Live's log through VimAbl's parser.
func runLogs(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return logsMain(ctx, args, os.Stdout, os.Stderr)
}

// logsOptions are the parsed flags of `vimabl logs`.
type logsOptions struct {
	follow  bool
	lines   int
	filter  livelog.Filter
	liveLog string
	poll    time.Duration
}

// parseLogsFlags parses `vimabl logs` flags; it returns a usage error for
// bad values.
func parseLogsFlags(args []string, stderr io.Writer) (logsOptions, error) {
	var o logsOptions
	fs := flag.NewFlagSet("vimabl logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.follow, "f", false, "follow: keep printing new lines until Ctrl-C")
	fs.IntVar(&o.lines, "n", 200, "how many of the latest entries to print first")
	level := fs.String("level", "", "only entries at this level or above: DEBUG, INFO, WARN (or WARNING), ERROR, CRITICAL")
	fs.StringVar(&o.filter.Component, "component", "", "only entries of this component (e.g. Server)")
	fs.StringVar(&o.filter.Text, "grep", "", "only entries containing this text (case-insensitive)")
	fs.StringVar(&o.liveLog, "live-log", "", "the Log.txt to read (default: the newest Live version's)")
	fs.DurationVar(&o.poll, "poll", livelog.DefaultPoll, "with -f, how often to check the file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vimabl logs [-f] [--level L] [--component C] [--grep TEXT] [--live-log FILE] [-n 200]")
		fmt.Fprintln(stderr, "\nPrints Ableton Live's Log.txt through VimAbl's parser; Python tracebacks are grouped.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if o.lines < 0 {
		return o, fmt.Errorf("-n %d: must be 0 or more", o.lines)
	}
	if *level != "" {
		lv, err := livelog.ParseLevel(*level)
		if err != nil {
			return o, fmt.Errorf("--level: %w", err)
		}
		o.filter.MinLevel = lv
	}
	return o, nil
}

// scanLines is how many lines to read for the latest -n entries: more
// when a filter is set, since most lines may not match.
func (o logsOptions) scanLines() int {
	if o.filter == (livelog.Filter{}) {
		return o.lines
	}
	return min(max(o.lines*50, 20_000), 500_000)
}

// logsMain runs `vimabl logs` until done (or ctx ends, with -f) and returns
// the exit code: 0 ok, 1 the log cannot be read, 2 bad usage.
func logsMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseLogsFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "vimabl logs:", err)
		return 2
	}
	path, err := livelog.FindLog(o.liveLog)
	if err != nil {
		fmt.Fprintln(stderr, "vimabl logs:", err)
		return 1
	}
	if !o.follow {
		lines, _, err := livelog.ReadTail(path, o.scanLines())
		if err != nil {
			fmt.Fprintln(stderr, "vimabl logs:", err)
			return 1
		}
		printEntries(stdout, lastMatching(livelog.ParseLines(lines, time.Local), o.filter, o.lines))
		return 0
	}
	if err := livelog.CheckLog(path); errors.Is(err, livelog.ErrNotRegularFile) {
		fmt.Fprintln(stderr, "vimabl logs:", err)
		return 1
	} else if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "vimabl logs: %s does not exist yet; waiting for Live to write it\n", path)
	}
	first := true
	tail := &livelog.Tail{
		Path:  path,
		Lines: o.scanLines(),
		Poll:  o.poll,
		// No OnErr: a problem reading the log also comes as a note entry,
		// which goes to stderr below.
		Emit: func(es []livelog.Entry) {
			es = printNotes(stderr, es)
			if len(es) == 0 {
				return
			}
			if first {
				// The initial tail: only the latest -n entries.
				first = false
				printEntries(stdout, lastMatching(es, o.filter, o.lines))
				return
			}
			printEntries(stdout, lastMatching(es, o.filter, 0))
		},
	}
	if o.lines == 0 {
		tail.Lines = 0
		first = false
	}
	_ = tail.Run(ctx) // returns only when ctx ends: Ctrl-C is a normal exit
	return 0
}

// lastMatching returns the last max entries that match f (all if max <= 0).
func lastMatching(es []livelog.Entry, f livelog.Filter, max int) []livelog.Entry {
	out := es[:0:0]
	for i := range es {
		if f.Match(&es[i]) {
			out = append(out, es[i])
		}
	}
	if max > 0 && len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

// printNotes writes the tailer's own notes (a log it cannot read, bytes it
// skipped) to w as `vimabl logs: …` lines, and returns the other entries.
func printNotes(w io.Writer, es []livelog.Entry) []livelog.Entry {
	out := es[:0:0]
	for i := range es {
		if es[i].Source == livelog.SourceOther && es[i].Component == livelog.ComponentVimAbl {
			fmt.Fprintln(w, "vimabl logs:", printable(es[i].Message))
			continue
		}
		out = append(out, es[i])
	}
	return out
}

// printEntries writes entries one per line; a traceback's lines follow its
// entry, indented. Every text goes through printable.
func printEntries(w io.Writer, es []livelog.Entry) {
	var b strings.Builder
	for i := range es {
		formatEntry(&b, &es[i])
	}
	io.WriteString(w, b.String())
}

// formatEntry renders one entry as `<local time> <LEVEL> [<component>] <message>`.
func formatEntry(b *strings.Builder, e *livelog.Entry) {
	if e.Time.IsZero() {
		b.WriteString(strings.Repeat(" ", 23))
	} else {
		b.WriteString(e.Time.Local().Format("2006-01-02 15:04:05.000"))
	}
	fmt.Fprintf(b, " %-8s [%s] ", e.Level, printable(e.Component))
	if e.Source == livelog.SourceScriptError {
		b.WriteString("Python traceback:\n")
		for _, l := range e.Traceback {
			if l != "" {
				b.WriteString("    ")
				b.WriteString(printable(l))
			}
			b.WriteByte('\n')
		}
		return
	}
	b.WriteString(printable(e.Message))
	b.WriteByte('\n')
}

// printable makes a text from Live's log harmless to print: anything that
// would act on a terminal rather than show is written as an escape a person
// can read. Control characters become \xNN (ESC is \x1b, NUL \x00), with
// newline and carriage return as \n and \r so an entry stays on one line;
// bytes that are not UTF-8 become \xNN; C1 controls (U+0080–U+009F, which
// some terminals obey) and the bidirectional and line-separator marks that
// reorder or break what is shown become \uNNNN. Tabs and all other text,
// non-ASCII included, are kept.
//
// The same is done when the output is a pipe or a file, not only a
// terminal: what is piped into less or grep usually ends on a terminal too,
// one entry per line is what such tools rely on, and tools that read the
// output as text expect UTF-8. Whoever needs the bytes verbatim has Log.txt.
// A backslash is not escaped (Windows paths stay readable), so a literal
// "\x1b" in the log looks like an escaped ESC.
func printable(s string) string {
	i := 0
	for i < len(s) && (s[i] >= 0x20 && s[i] < 0x7f || s[i] == '\t') {
		i++
	}
	if i == len(s) {
		return s // plain ASCII: the usual case
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0 || reordering(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// reordering reports the invisible marks that change how the text around
// them is shown: bidirectional embeddings, overrides, isolates and marks
// (which can make a line read differently from what it says), and the
// Unicode line and paragraph separators.
func reordering(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x2028 && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
