// Package remotescript embeds the Python Remote Script that runs inside
// Ableton Live, and the fake Live that runs it without Ableton.
//
// Script holds exactly what gets installed into Live: the *.py files at the
// top of this folder. The pattern is a file glob on purpose: a directory
// pattern would silently drop __init__.py (go:embed skips names starting
// with "_" inside directories), and Live cannot load a package without it.
// Tests and development tools live in subfolders and are never embedded in
// Script.
package remotescript

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"sync"
)

//go:embed *.py
var scriptFiles embed.FS

// The fake Live is needed by `vimabl sim` and `vimabl demo`, never by Live.
//
//go:embed fakelive/*.py fakelive/_Framework/*.py
var fakeLiveFiles embed.FS

// Script returns the Remote Script's files (flat, *.py only).
func Script() fs.FS { return scriptFiles }

// FakeLive returns the fake Live's files, rooted at the fakelive folder.
func FakeLive() fs.FS {
	sub, err := fs.Sub(fakeLiveFiles, "fakelive")
	if err != nil {
		// fs.Sub only fails for an invalid path, which "fakelive" is not.
		panic(err)
	}
	return sub
}

// ScriptFileNames lists the embedded script's file names, sorted.
func ScriptFileNames() []string {
	entries, err := fs.ReadDir(scriptFiles, ".")
	if err != nil {
		panic(fmt.Sprintf("reading embedded script: %v", err))
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

var versionRE = regexp.MustCompile(`(?m)^VERSION\s*=\s*"([^"]+)"`)

var versionOnce = sync.OnceValue(func() string {
	src, err := fs.ReadFile(scriptFiles, "version.py")
	if err != nil {
		panic(fmt.Sprintf("embedded script has no version.py: %v", err))
	}
	m := versionRE.FindSubmatch(src)
	if m == nil {
		panic("remote_script/version.py has no VERSION = \"...\" line")
	}
	return string(m[1])
})

// Version is VimAbl's version, read from remote_script/version.py — the one
// place it is written — so every part reports the same version.
func Version() string { return versionOnce() }
