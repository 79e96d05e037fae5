package livelog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

const (
	// tailBlock is how much ReadTail reads per step backwards.
	tailBlock = 64 << 10
	// maxTailScan bounds how far back ReadTail looks, so a file without
	// newlines (or with absurd lines) is never loaded whole.
	maxTailScan = 64 << 20
	// MaxLineLen bounds one line; longer lines are cut (and marked) so a
	// runaway writer cannot make the tailer buffer without limit.
	MaxLineLen = 1 << 20
	// DefaultPoll is how often Tail checks the file. Live writes whole lines
	// and people read the log, so a quarter second is immediate enough.
	DefaultPoll = 250 * time.Millisecond
)

// ReadTail returns the last n lines of the file at path (line endings
// removed, "\r" of CRLF included) and the size the file had when it was
// read, which is where following should continue. It reads backwards in
// blocks from the end, so its cost depends on n, not on the file's size.
// An incomplete last line (no trailing newline) is included.
func ReadTail(path string, n int) (lines []string, end int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open Live's log: %w", err)
	}
	defer f.Close()
	return readTail(f, n)
}

// readTail is ReadTail on an open file.
func readTail(f *os.File, n int) ([]string, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	end := st.Size()
	if n <= 0 || end == 0 {
		return nil, end, nil
	}
	// Walk back until n+1 newlines are in hand (the extra one marks the
	// start of the first wanted line), or the start of the file.
	var chunks [][]byte
	newlines := 0
	pos := end
	// A trailing newline ends the last line; it does not start a new one.
	skipLast := true
	for pos > 0 && end-pos < maxTailScan {
		size := int64(tailBlock)
		if pos < size {
			size = pos
		}
		pos -= size
		buf := make([]byte, size)
		if _, err := f.ReadAt(buf, pos); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("read %s: %w", f.Name(), err)
		}
		chunks = append(chunks, buf)
		c := bytes.Count(buf, []byte{'\n'})
		if skipLast && pos+size == end && size > 0 && buf[size-1] == '\n' {
			c--
		}
		skipLast = false
		newlines += c
		if newlines >= n+1 {
			break
		}
	}
	data := make([]byte, 0, tailBlock*len(chunks))
	for i := len(chunks) - 1; i >= 0; i-- {
		data = append(data, chunks[i]...)
	}
	data = bytes.TrimSuffix(data, []byte{'\n'})
	parts := bytes.Split(data, []byte{'\n'})
	// The first part is cut by the block boundary unless we hit offset 0.
	if pos > 0 && len(parts) > 0 {
		parts = parts[1:]
	}
	if len(parts) > n {
		parts = parts[len(parts)-n:]
	}
	lines := make([]string, len(parts))
	for i, p := range parts {
		lines[i] = clip(string(bytes.TrimSuffix(p, []byte{'\r'})))
	}
	return lines, end, nil
}

// clip bounds a line to MaxLineLen.
func clip(s string) string {
	if len(s) <= MaxLineLen {
		return s
	}
	return s[:MaxLineLen] + " …[line cut]"
}

// Tail follows Live's log: it reads the last Lines lines of Path, then new
// lines as they are written, and hands parsed entries to Emit. It survives
// the file being absent (it waits), truncated (it starts over from the new
// beginning) and replaced by a new file (detected with os.SameFile; the new
// file is read from its start).
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
	OnErr func(error)    // optional: told about read problems (the tail keeps going)

	info    fs.FileInfo // identity of the file being followed; nil before the first read
	off     int64       // bytes of it already consumed
	partial []byte      // an unfinished last line
	parser  *Parser
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
		if err := t.Step(); err != nil && t.OnErr != nil {
			t.OnErr(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Step does one poll: detect replacement and truncation, read what is new,
// emit it. Run calls it on every tick; it is exported for callers that drive
// their own loop. Not safe for concurrent use.
func (t *Tail) Step() error {
	if t.parser == nil {
		t.parser = NewParser(t.Loc)
	}
	var out []Entry
	defer func() {
		// Live writes whole lines; a traceback still open after a quiet
		// poll is complete.
		out = t.parser.Flush(out)
		if len(out) > 0 && t.Emit != nil {
			t.Emit(out)
		}
	}()
	f, err := os.Open(t.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // Live has not written a log yet, or is replacing it: wait.
		}
		return fmt.Errorf("open Live's log: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat Live's log: %w", err)
	}
	switch {
	case t.info == nil:
		// First sight of a log: start with its last lines.
		t.info = info
		return t.readInitial(f, &out)
	case !os.SameFile(t.info, info):
		// Replaced: everything in the new file is new.
		out = t.flushPartial(out)
		t.info, t.off = info, 0
	case info.Size() < t.off:
		// Truncated in place: what is there now is new.
		out = t.flushPartial(out)
		t.off = 0
	}
	t.info = info
	return t.readFrom(f, info.Size(), &out)
}

// readInitial reads the last Lines lines and positions after them.
func (t *Tail) readInitial(f *os.File, out *[]Entry) error {
	if t.Lines <= 0 {
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("stat Live's log: %w", err)
		}
		t.off = st.Size()
		return nil
	}
	lines, end, err := readTail(f, t.Lines)
	if err != nil {
		return err
	}
	t.off = end
	if len(lines) > 0 && end > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, end-1); err == nil && last[0] != '\n' {
			// The last line is still being written: keep it for later.
			t.partial = append(t.partial[:0], lines[len(lines)-1]...)
			lines = lines[:len(lines)-1]
		}
	}
	for _, l := range lines {
		*out = t.parser.Line(l, *out)
	}
	return nil
}

// readFrom reads from t.off to size.
func (t *Tail) readFrom(f *os.File, size int64, out *[]Entry) error {
	if t.off >= size {
		return nil
	}
	buf := make([]byte, min(size-t.off, 256<<10))
	for t.off < size {
		want := min(size-t.off, int64(len(buf)))
		n, err := f.ReadAt(buf[:want], t.off)
		if n > 0 {
			t.off += int64(n)
			t.feed(buf[:n], out)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read Live's log: %w", err)
		}
	}
	return nil
}

// feed splits data into lines, keeping an unfinished last line for later.
func (t *Tail) feed(data []byte, out *[]Entry) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.partial = append(t.partial, data...)
			if len(t.partial) > MaxLineLen {
				*out = t.parser.Line(clip(string(t.partial)), *out)
				t.partial = t.partial[:0]
			}
			return
		}
		var l string
		if len(t.partial) > 0 {
			l = string(append(t.partial, data[:i]...))
			t.partial = t.partial[:0]
		} else {
			l = string(data[:i])
		}
		*out = t.parser.Line(clip(l), *out)
		data = data[i+1:]
	}
}

// flushPartial emits an unfinished line when its file goes away.
func (t *Tail) flushPartial(out []Entry) []Entry {
	if len(t.partial) > 0 {
		out = t.parser.Line(clip(string(t.partial)), out)
		t.partial = t.partial[:0]
	}
	return out
}
