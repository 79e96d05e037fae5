package mirror

import (
	"context"
	"testing"
	"time"

	remotescript "github.com/vimabl/vimabl/remote_script"
)

// liveSim is what the live tests need from the fake Live.
type liveSim interface {
	CommandAddr() string                            // host:port of the script's command port
	Control(ctx context.Context, line string) error // a sim.py control line; returns when answered "ok"
}

// startSim starts the real Remote Script in the fake Live, sending its
// events to 127.0.0.1:eventsPort, and stops it when the test ends.
func startSim(t *testing.T, eventsPort int) liveSim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim, err := remotescript.StartSim(ctx, remotescript.SimOptions{EventsPort: eventsPort})
	if err != nil {
		t.Fatalf("starting the fake Live: %v", err)
	}
	t.Cleanup(func() { sim.Stop() })
	return sim
}
