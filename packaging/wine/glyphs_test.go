//go:build linux

package wine

import (
	"bytes"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"github.com/go-text/typesetting/font"
)

// uiSources are the packages whose strings the app shows: its own widgets,
// the engine's summaries and fixes, the installer's results and notes.
var uiSources = []string{"../../app", "../../bridge", "../../install", "../../livepaths"}

// issue 12: in the Windows build under Wine the "→" of the Fix lines and of
// "Options → Preferences" drew as "�". fyne draws with the Noto Sans faces
// it bundles and falls back to the system's fonts only for a character they
// lack — there Wine has none, and what a user's Windows, macOS or Linux has
// is not ours to know. So every character of the app's text must be in the
// bundled regular, bold and italic faces (the Fix lines are italic, the
// headings bold).
func TestUITextUsesOnlyBundledGlyphs(t *testing.T) {
	faces := map[string]fyne.Resource{
		"regular": theme.DefaultTextFont(), "bold": theme.DefaultTextBoldFont(), "italic": theme.DefaultTextItalicFont(),
	}
	parsed := map[string]*font.Face{}
	for name, res := range faces {
		f, err := font.ParseTTF(bytes.NewReader(res.Content()))
		if err != nil {
			t.Fatalf("%s face: %v", name, err)
		}
		parsed[name] = f
	}
	missing := map[rune]map[string]bool{} // rune → where it is used
	for _, root := range uiSources {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fset := token.NewFileSet()
			var s scanner.Scanner
			s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
			for {
				pos, tok, lit := s.Scan()
				if tok == token.EOF {
					return nil
				}
				if tok != token.STRING && tok != token.CHAR {
					continue
				}
				text, err := strconv.Unquote(lit)
				if err != nil {
					continue
				}
				for _, r := range text {
					if r < 0x80 {
						continue
					}
					for _, f := range parsed {
						if _, ok := f.NominalGlyph(r); !ok {
							if missing[r] == nil {
								missing[r] = map[string]bool{}
							}
							missing[r][strings.TrimPrefix(fset.Position(pos).String(), "../../")] = true
						}
					}
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var runes []rune
	for r := range missing {
		runes = append(runes, r)
	}
	sort.Slice(runes, func(i, j int) bool { return runes[i] < runes[j] })
	for _, r := range runes {
		var where []string
		for w := range missing[r] {
			where = append(where, w)
		}
		sort.Strings(where)
		t.Errorf("%q (U+%04X) is not in fyne's bundled fonts, so it draws as a replacement glyph where the system has none (Wine): %s",
			r, r, strings.Join(where, "; "))
	}
}
