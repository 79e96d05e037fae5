package main

import (
	"os"
	"testing"

	"github.com/vimabl/vimabl/internal/initlog"
)

// TestMain does what main does first: the standard logger writes to stderr
// again (internal/initlog holds it back while packages initialise).
func TestMain(m *testing.M) {
	initlog.Release(os.Stderr)
	os.Exit(m.Run())
}
