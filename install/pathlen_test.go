package install

import (
	"strings"
	"testing"
	"testing/fstest"
)

// issue 12: on Windows an install whose files would pass MAX_PATH is refused
// up front with the installer's sentence (Go itself would write them through
// the \\?\ prefix, and Live could not read them); other OSes have no such
// limit here.
func TestPathLengthProblem(t *testing.T) {
	files := fstest.MapFS{"__init__.py": {}, "cursor_observer.py": {}}
	short := `C:\Users\Zoë Tester\Documents\Ableton\User Library\Remote Scripts\VimAbl`
	if err := pathLengthProblem("windows", short, files); err != nil {
		t.Errorf("a usual path refused: %v", err)
	}
	long := `D:\` + strings.Repeat(`Ein ziemlich langer Ordnername\`, 7) + `User Library\Remote Scripts\VimAbl`
	err := pathLengthProblem("windows", long, files)
	if err == nil || !strings.Contains(err.Error(), "the path is too long for Windows (move the User Library to a shorter path)") {
		t.Errorf("%d-character folder: %v", len(long), err)
	}
	// The backup folder beside the script is longer than the script's own
	// folder: a path that fits only without it is refused too.
	edge := `D:\` + strings.Repeat("x", 259-len(`D:\`)-len(`\VimAbl\cursor_observer.py`)) + `\VimAbl`
	if len(edge+`\cursor_observer.py`) != 259 {
		t.Fatalf("edge case is %d characters", len(edge+`\cursor_observer.py`))
	}
	if err := pathLengthProblem("windows", edge, files); err == nil {
		t.Error("a path whose backup folder passes MAX_PATH was accepted")
	}
	if err := pathLengthProblem("linux", long, files); err != nil {
		t.Errorf("linux: %v", err)
	}
}
