package main

import "fmt"

// PLACEHOLDER: replaced by the owner of this subcommand.
func runSim(args []string) int { fmt.Println("runSim: not built yet"); return 2 }
