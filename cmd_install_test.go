package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Guards issue 10 item 5, parts 3 and 4 at the command line: the usage text
// offers --prune-backups, and a --user-library that is a file gets one
// sentence saying so (exit 1), with or without --force, not "use --force".
func TestInstallCommandPruneFlagAndFileLibrary(t *testing.T) {
	var out, errs bytes.Buffer
	if code := installMain([]string{"--help"}, &out, &errs); code != 0 || !strings.Contains(errs.String(), "[--prune-backups]") {
		t.Fatalf("usage (exit %d) must list --prune-backups:\n%s", code, errs.String())
	}
	file := filepath.Join(t.TempDir(), "lib.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--user-library", file}, {"--user-library", file, "--force"}} {
		out.Reset()
		errs.Reset()
		code := installMain(args, &out, &errs)
		want := "vimabl install: --user-library " + file + " is a file, not a folder: give the User Library folder\n"
		if code != 1 || errs.String() != want {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", args, code, errs.String(), want)
		}
	}
}
