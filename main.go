// Command vimabl is VimAbl's menu-bar app and its headless tools.
//
// With no arguments it starts the bridge engine and the tray app. Each
// subcommand lives in its own cmd_*.go file; this file only dispatches.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/vimabl/vimabl/internal/initlog"
)

// command is one subcommand: its entry point and the line `vimabl help` prints.
type command struct {
	run     func(args []string) int
	summary string
}

// commandTable lists every subcommand. It is a function rather than a
// package-level map so that no mutable global state exists.
func commandTable() map[string]command {
	return map[string]command{
		"bridge":    {runBridge, "run the bridge engine without a UI (logs to stderr)"},
		"status":    {runStatus, "print the connection state and key metrics of a running bridge"},
		"logs":      {runLogs, "print Live's log through VimAbl's parser (-f to follow)"},
		"sim":       {runSim, "run the Remote Script inside a fake Live (no Ableton needed)"},
		"demo":      {runDemo, "open the app against the fake Live with a scenario playing"},
		"install":   {runInstall, "install or update the Remote Script in Live's User Library"},
		"uninstall": {runUninstall, "remove the Remote Script (moved to a backup, never deleted)"},
		"doctor":    {runDoctor, "print a diagnostic report to paste into a bug report"},
		"autostart": {runAutostart, "turn starting VimAbl at login on or off (vimabl autostart on|off)"},
		"version":   {runVersion, "print the version"},
	}
}

func main() {
	initlog.Release(os.Stderr)
	os.Exit(run(os.Args[1:]))
}

// run dispatches to a subcommand and returns the process exit code.
func run(args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return runApp(args)
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		printUsage(os.Stdout)
		return 0
	}
	cmd, ok := commandTable()[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "vimabl: unknown command %q\n\n", name)
		printUsage(os.Stderr)
		return 2
	}
	return cmd.run(args[1:])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: vimabl [command] [flags]")
	fmt.Fprintln(w, "\nWith no command, vimabl starts the bridge and the menu-bar app.\n\nCommands:")
	table := commandTable()
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, table[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'vimabl <command> --help' for a command's flags.")
}

// parseFlags parses a subcommand's flags and refuses positional arguments,
// which no subcommand takes (a typo like `vimabl logs debug` must not pass).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
