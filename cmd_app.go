package main

import "fmt"

// PLACEHOLDER: replaced by the owner of this subcommand.
func runApp(args []string) int  { fmt.Println("runApp: not built yet"); return 2 }
func runDemo(args []string) int { fmt.Println("runDemo: not built yet"); return 2 }
