//go:build !windows

package main

// askKeepRunning: on Linux and macOS the message on stderr is the whole
// notice, and the bridge keeps running until Ctrl-C or SIGTERM.
func askKeepRunning(string) bool { return true }

// tell: stderr, where the caller already wrote msg, is the whole notice.
func tell(string) {}
