package main

import "fmt"

// PLACEHOLDER: replaced by the owner of this subcommand.
func runBridge(args []string) int { fmt.Println("runBridge: not built yet"); return 2 }
