package livelog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

const (
	// TailWindow is the most Tail reads in one poll: the initial tail (the
	// last Lines lines, or fewer if they take more room), and what it reads
	// when the log grew by more than this since the last poll — it then
	// skips to the last TailWindow bytes, starts at the next line and says
	// how much it skipped in one entry. Live writes a few KB a second; a log
	// that grows by gigabytes at once (a runaway writer, a file replaced by a
	// huge or sparse one) must not be read whole, in memory or in time.
	TailWindow = 4 << 20
	// maxTailScan is how far back ReadTail (`vimabl logs`, a one-shot
	// command that may search many lines) reads at most.
	maxTailScan = 64 << 20
	// tailBlock is the size of each read.
	tailBlock = 64 << 10
	// DefaultPoll is how often Tail checks the file. Live writes whole lines
	// and people read the log, so a quarter second is immediate enough.
	DefaultPoll = 250 * time.Millisecond
)

// ComponentVimAbl is the component of the entries the tailer adds itself:
// a log it cannot read, bytes it skipped.
const ComponentVimAbl = "VimAbl"

// ReadTail returns the last n lines of the file at path (line endings
// removed, "\r" of CRLF included; NUL bytes dropped; lines longer than
// MaxLineLen cut) and the size the file had when it was read, which is where
// following should continue. It reads backwards from the end, at most 64 MiB,
// so its cost depends on n, not on the file's size. An incomplete last line
// (no trailing newline) is included. Anything but a regular file is refused
// (see ErrNotRegularFile) without blocking.
func ReadTail(path string, n int) (lines []string, end int64, err error) {
	f, info, err := openLog(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	var sp lineSplitter
	emit := func(l string) { lines = append(lines, l) }
	end = info.Size()
	if err := readTail(f, end, n, maxTailScan, &sp, emit); err != nil {
		return nil, 0, err
	}
	sp.flush(emit)
	return lines, end, nil
}

// readTail feeds sp the last n lines of f's first size bytes, reading back
// at most limit bytes: it counts newlines backwards block by block, then
// reads forward from where the wanted lines start. A line cut by the limit
// is skipped to its end. An unfinished last line stays in sp.
func readTail(f *os.File, size int64, n int, limit int64, sp *lineSplitter, emit func(string)) error {
	if n <= 0 || size == 0 {
		return nil
	}
	buf := make([]byte, tailBlock)
	pos := size
	start := int64(-1)
	newlines := 0
	for pos > 0 && size-pos < limit && start < 0 {
		k := min(int64(tailBlock), pos, limit-(size-pos))
		pos -= k
		b := buf[:k]
		if _, err := f.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", f.Name(), err)
		}
		if pos+k == size && b[k-1] == '\n' {
			// A trailing newline ends the last line; it does not start
			// a new one.
			b = b[:k-1]
		}
		for {
			i := bytes.LastIndexByte(b, '\n')
			if i < 0 {
				break
			}
			if newlines++; newlines == n {
				start = pos + int64(i) + 1
				break
			}
			b = b[:i]
		}
	}
	if start < 0 {
		// Fewer than n lines within reach: all of them, from the start of
		// the file or of the first whole line after the limit.
		start = pos
		if pos > 0 {
			if err := sp.startMidLine(f, pos); err != nil {
				return err
			}
		}
	}
	_, err := readRange(f, start, size, buf, sp, emit)
	return err
}

// readRange feeds sp the bytes of f from off to end, buf at a time, and
// returns the offset it got to (end, unless the file ended sooner or a read
// failed).
func readRange(f *os.File, off, end int64, buf []byte, sp *lineSplitter, emit func(string)) (int64, error) {
	for off < end {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
		if k > 0 {
			off += int64(k)
			sp.write(buf[:k], emit)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return off, nil
			}
			return off, fmt.Errorf("read Live's log: %w", err)
		}
	}
	return off, nil
}

// lineSplitter turns a byte stream into lines for the parser, in bounded
// memory whatever the stream holds: NUL bytes are dropped (a sparse or
// preallocated file is all NULs, and a NUL never belongs to a log line), a
// line longer than MaxLineLen keeps its first bytes and the rest is read and
// discarded (counted for the cut's suffix, never buffered), and an
// unfinished last line waits for the next write. Its zero value is ready.
//
// When reading starts in the middle of a line (after a skip), the rest of
// that line is dropped up to the next newline, or up to the end of a run of
// NULs: after a crash or a sparse region, what follows the NULs is where
// writing started again.
type lineSplitter struct {
	line     []byte // the current line's first bytes, at most MaxLineLen
	total    int    // the current line's length so far, NULs excluded
	last     byte   // the current line's last byte so far, NULs excluded
	skipEOL  bool   // drop everything up to the next line start
	afterNUL bool   // while skipping: the last byte dropped was a NUL
}

// startMidLine prepares sp to read f from off: if off is not at the start
// of a line, the rest of that line is skipped.
func (sp *lineSplitter) startMidLine(f *os.File, off int64) error {
	if off == 0 {
		return nil
	}
	var prev [1]byte
	if _, err := f.ReadAt(prev[:], off-1); err != nil {
		return fmt.Errorf("read Live's log: %w", err)
	}
	sp.skipEOL = prev[0] != '\n'
	sp.afterNUL = prev[0] == 0
	return nil
}

// write feeds data; emit gets each finished line.
func (sp *lineSplitter) write(data []byte, emit func(string)) {
	for len(data) > 0 {
		if sp.skipEOL {
			data = sp.skip(data)
			continue
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			sp.add(data)
			return
		}
		sp.add(data[:i])
		emit(sp.finish())
		data = data[i+1:]
	}
}

// skip drops data up to the next line start and returns the rest.
func (sp *lineSplitter) skip(data []byte) []byte {
	k := 0
	for ; k < len(data); k++ {
		c := data[k]
		if c == '\n' {
			k++
			sp.skipEOL = false
			break
		}
		if c == 0 {
			sp.afterNUL = true
		} else if sp.afterNUL {
			sp.skipEOL = false
			break
		}
	}
	if !sp.skipEOL {
		sp.afterNUL = false
	}
	return data[k:]
}

// add appends a piece of the current line (no newline in it).
func (sp *lineSplitter) add(b []byte) {
	for len(b) > 0 {
		z := bytes.IndexByte(b, 0)
		part := b
		if z >= 0 {
			part = b[:z]
		}
		if room := MaxLineLen - len(sp.line); room > 0 {
			sp.line = append(sp.line, part[:min(room, len(part))]...)
		}
		if len(part) > 0 {
			sp.total += len(part)
			sp.last = part[len(part)-1]
		}
		if z < 0 {
			return
		}
		b = b[z:]
		for len(b) > 0 && b[0] == 0 {
			b = b[1:]
		}
	}
}

// finish returns the current line, cut if it was longer than MaxLineLen,
// without the "\r" of a CRLF ending, and starts a new one.
func (sp *lineSplitter) finish() string {
	total := sp.total
	if sp.last == '\r' && total > 0 {
		total--
		if len(sp.line) > total {
			sp.line = sp.line[:total]
		}
	}
	l := cutHead(sp.line, total, MaxLineLen)
	sp.line, sp.total, sp.last = sp.line[:0], 0, 0
	return l
}

// flush emits the unfinished line, if any.
func (sp *lineSplitter) flush(emit func(string)) {
	if sp.total > 0 {
		emit(sp.finish())
	}
}

// drop forgets the unfinished line and returns its length.
func (sp *lineSplitter) drop() int {
	n := sp.total
	sp.line, sp.total, sp.last = sp.line[:0], 0, 0
	return n
}

// Tail follows Live's log: it reads the last Lines lines of Path, then new
// lines as they are written, and hands parsed entries to Emit. It survives
// the file being absent (it waits), truncated (it starts over from the new
// beginning) and replaced by a new file (detected with os.SameFile; the new
// file is read from its start). Each poll reads at most TailWindow bytes
// (see there), so memory and the time to notice ctx stay bounded whatever
// the file does; lines are cut to MaxLineLen and NUL bytes dropped.
//
// Only a regular file (or a symlink to one) is read: a named pipe, a
// folder, a device or a socket is refused before it is opened (an open of a
// FIFO would block until someone writes to it, and a device like /dev/zero
// never ends), with an entry saying so.
//
// The file is opened only for the moment of each read, never held between
// polls: on Windows an open handle would stop Live from deleting or renaming
// its own log. The price is that lines written to a replaced file in the
// last poll interval before it was replaced are not seen.
type Tail struct {
	Path  string         // the Log.txt to follow
	Lines int            // how many existing lines to read first (0: none)
	Poll  time.Duration  // check interval; DefaultPoll if 0
	Loc   *time.Location // time zone of the timestamps; time.Local if nil
	Emit  func([]Entry)  // receives entries in order; called from Run's goroutine
	// OnErr is optional: it is told about each new problem reading the log
	// (the tail keeps going), once, not again on every poll while it lasts.
	// The problem also reaches Emit as one ComponentVimAbl entry.
	OnErr func(error)

	info    fs.FileInfo // identity of the file being followed; nil before the first read
	off     int64       // bytes of it already consumed
	split   lineSplitter
	buf     []byte
	parser  *Parser
	problem string // the problem last reported, "" when reading works
}

// Run follows the log until ctx is done, then returns ctx.Err(). It does
// not return on I/O errors: they go to OnErr and the file is tried again on
// the next poll. A Tail runs once; make a new one to follow again.
func (t *Tail) Run(ctx context.Context) error {
	poll := t.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	t.parser = NewParser(t.Loc)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		if err, fresh := t.step(); err != nil && fresh && t.OnErr != nil {
			t.OnErr(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Step does one poll: detect replacement and truncation, read what is new
// (at most TailWindow bytes), emit it. Run calls it on every tick; it is
// exported for callers that drive their own loop. Not safe for concurrent use.
func (t *Tail) Step() error {
	err, _ := t.step()
	return err
}

// step is Step; fresh says the error is a problem not reported before.
// A new problem is also emitted as one ComponentVimAbl entry.
func (t *Tail) step() (err error, fresh bool) {
	if t.parser == nil {
		t.parser = NewParser(t.Loc)
	}
	var out []Entry
	err = t.read(&out)
	if err == nil {
		t.problem = ""
	} else if fresh = err.Error() != t.problem; fresh {
		t.problem = err.Error()
		out = append(out, note(LevelError, err.Error()))
	}
	// Live writes whole lines; a traceback still open after a quiet poll
	// is complete.
	out = t.parser.Flush(out)
	if len(out) > 0 && t.Emit != nil {
		t.Emit(out)
	}
	return err, fresh
}

// read does the work of one poll, appending entries to out.
func (t *Tail) read(out *[]Entry) error {
	f, info, err := openLog(t.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // Live has not written a log yet, or is replacing it: wait.
	}
	if err != nil {
		return err
	}
	defer f.Close()
	switch {
	case t.info == nil:
		// First sight of a log: start with its last lines.
		t.info = info
		t.off = info.Size()
		return readTail(f, info.Size(), t.Lines, TailWindow, &t.split, t.line(out))
	case !os.SameFile(t.info, info):
		// Replaced: everything in the new file is new.
		t.split.flush(t.line(out))
		t.info, t.off = info, 0
	case info.Size() < t.off:
		// Truncated in place: what is there now is new.
		t.split.flush(t.line(out))
		t.off = 0
	}
	t.info = info
	return t.readNew(f, info.Size(), out)
}

// readNew reads from t.off to size, or only the last TailWindow bytes of
// that (from the next line on) when there is more, with a note of what was
// skipped.
func (t *Tail) readNew(f *os.File, size int64, out *[]Entry) error {
	if t.off >= size {
		return nil
	}
	if size-t.off > TailWindow {
		from := size - TailWindow
		skipped := from - t.off + int64(t.split.drop())
		if err := t.split.startMidLine(f, from); err != nil {
			return err
		}
		*out = append(*out, note(LevelWarning, fmt.Sprintf(
			"%s grew by %d bytes at once; skipped %d bytes to read only its last %d MiB, from the next line on",
			filepath.Base(t.Path), size-t.off, skipped, TailWindow>>20)))
		t.off = from
	}
	if t.buf == nil {
		t.buf = make([]byte, tailBlock)
	}
	var err error
	t.off, err = readRange(f, t.off, size, t.buf, &t.split, t.line(out))
	return err
}

// line returns the function that parses each line read into out.
func (t *Tail) line(out *[]Entry) func(string) {
	return func(l string) { *out = t.parser.Line(l, *out) }
}

// note is an entry the tailer adds about the log itself.
func note(lv Level, msg string) Entry {
	return Entry{Time: time.Now(), Level: lv, Source: SourceOther, Component: ComponentVimAbl, Message: msg}
}
