package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vimabl/vimabl/install"
	"github.com/vimabl/vimabl/internal/ports"
	remotescript "github.com/vimabl/vimabl/remote_script"
)

// installFlags parses the flags install, uninstall and doctor share.
func installFlags(name, usage string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (install.Options, error) {
	var o install.Options
	fs := flag.NewFlagSet("vimabl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.UserLibrary, "user-library", "", "Live's User Library folder (default: from Live's Library.cfg, else the standard place)")
	fs.IntVar(&o.CommandPort, "command-port", ports.Command, "the Remote Script's TCP command port (written to config.json if not 9001)")
	fs.IntVar(&o.EventsPort, "events-port", ports.Events, "the UDP port the script sends events to (written to config.json if not 9002)")
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	return o, nil
}

func runInstall(args []string) int { return installMain(args, os.Stdout, os.Stderr) }

func installMain(args []string, stdout, stderr io.Writer) int {
	var dry, force, prune bool
	o, err := installFlags("install", "Usage: vimabl install [--user-library DIR] [--dry-run] [--force] [--prune-backups]\n\n"+
		"Installs or updates VimAbl's Remote Script in <User Library>/Remote Scripts/VimAbl.", args, stderr,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&dry, "dry-run", false, "say what would be done; change nothing")
			fs.BoolVar(&force, "force", false, "replace a symlink or a folder VimAbl did not make (it is moved to a backup)")
			fs.BoolVar(&prune, "prune-backups", false, fmt.Sprintf("after installing, remove all but the newest %d backups of replaced or removed copies", install.KeepBackups))
		})
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "vimabl install:", err)
		return 2
	}
	o.DryRun, o.Force, o.PruneBackups = dry, force, prune
	res, err := install.Install(o)
	for _, n := range res.Before.Notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	prefix := ""
	if dry {
		prefix = "would "
	}
	for _, a := range res.Actions {
		fmt.Fprintln(stdout, prefix+a)
	}
	if err != nil {
		fmt.Fprintln(stderr, "vimabl install:", err)
		return 1
	}
	if res.BackupDir != "" {
		fmt.Fprintln(stdout, "The previous copy is kept at", res.BackupDir)
	}
	if res.NextSteps != "" {
		fmt.Fprintln(stdout, "\nNext:\n"+res.NextSteps)
	}
	return 0
}

func runUninstall(args []string) int {
	var force bool
	o, err := installFlags("uninstall", "Usage: vimabl uninstall [--user-library DIR]\n\n"+
		"Moves VimAbl's Remote Script folder to a backup beside it; nothing else is touched.", args, os.Stderr,
		func(fs *flag.FlagSet) {
			fs.BoolVar(&force, "force", false, "also move a VimAbl folder VimAbl did not make")
		})
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl uninstall:", err)
		return 2
	}
	o.Force = force
	res, err := install.Uninstall(o)
	for _, a := range res.Actions {
		fmt.Println(a)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl uninstall:", err)
		return 1
	}
	if res.NextSteps != "" {
		fmt.Println(res.NextSteps)
	}
	return 0
}

func runDoctor(args []string) int {
	o, err := installFlags("doctor", "Usage: vimabl doctor\n\n"+
		"Prints a report to paste into a bug report: OS, versions, Live's folders, the install state, ports.", args, os.Stderr, nil)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vimabl doctor:", err)
		return 2
	}
	fmt.Print(install.Doctor(context.Background(), install.DoctorOptions{Options: o, AppVersion: remotescript.Version()}))
	return 0
}

// installedCheck tells the engine whether the Remote Script is installed in
// the User Library Live uses (checked every few seconds, off the UI thread).
func installedCheck() func() bool {
	return func() bool {
		r, err := install.Inspect(install.Options{})
		return err == nil && r.State.Installed()
	}
}

// doctorReport is what the tray's "Copy diagnostics" puts on the clipboard.
func doctorReport(commandPort, eventsPort, wsPort int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return install.Doctor(ctx, install.DoctorOptions{
		Options:    install.Options{CommandPort: commandPort, EventsPort: eventsPort},
		AppVersion: remotescript.Version(),
		WSAddr:     fmt.Sprintf("127.0.0.1:%d", wsPort),
	})
}
