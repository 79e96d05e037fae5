package main

import "fmt"

// PLACEHOLDER: replaced by the owner of this subcommand.
func runStatus(args []string) int { fmt.Println("runStatus: not built yet"); return 2 }
