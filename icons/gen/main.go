// Command gen writes VimAbl's icon files into the icons folder from the
// drawing code in package icons. Run from the repository root:
//
//	go run ./icons/gen
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/vimabl/vimabl/icons"
)

func main() {
	dir := "icons"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	files := icons.Files()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "icons:", err)
			os.Exit(1)
		}
		fmt.Printf("%-36s %7d bytes\n", n, len(files[n]))
	}
}
