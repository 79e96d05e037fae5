package main

import (
	"fmt"
	"runtime"

	remotescript "github.com/vimabl/vimabl/remote_script"
)

// runVersion prints the version that the app, the embedded Remote Script's
// manifest and its GET_VERSION command all share.
func runVersion(args []string) int {
	fmt.Printf("vimabl %s (%s/%s, %s)\n", remotescript.Version(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	return 0
}
