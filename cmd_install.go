package main

import "fmt"

// PLACEHOLDER: replaced by the owner of this subcommand.
func runInstall(args []string) int   { fmt.Println("runInstall: not built yet"); return 2 }
func runUninstall(args []string) int { fmt.Println("runUninstall: not built yet"); return 2 }
func runDoctor(args []string) int    { fmt.Println("runDoctor: not built yet"); return 2 }

// installedCheck is replaced when the install package lands.
func installedCheck() func() bool { return nil }
