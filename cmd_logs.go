package main

import "fmt"

// PLACEHOLDER: replaced by the owner of this subcommand.
func runLogs(args []string) int { fmt.Println("runLogs: not built yet"); return 2 }
