package icons

import (
	"embed"
	"fmt"
)

//go:embed *.png *.ico *.icns
var files embed.FS

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("icons: %s is not embedded (run go run ./icons/gen): %v", name, err))
	}
	return b
}

// App is the app icon as a 256 px PNG (window icon, notifications).
func App() []byte { return mustRead("vimabl-256.png") }

// AppLarge is the 1024 px source of the app icon.
func AppLarge() []byte { return mustRead("vimabl-1024.png") }

// Tray is the tray icon of a state ("not-installed", "waiting", "streaming",
// "problem"; anything else is shown as "problem"): a macOS template image
// (black with alpha, @2x resolution) when template is true, else a
// coloured 32 px image for Windows and Linux.
func Tray(state string, template bool) []byte {
	known := false
	for _, s := range States {
		known = known || s == state
	}
	if !known {
		state = "problem"
	}
	if template {
		return mustRead("tray-" + state + "-template@2x.png")
	}
	return mustRead("tray-" + state + "-32.png")
}
