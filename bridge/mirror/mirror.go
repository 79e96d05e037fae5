package mirror

import (
	"encoding/json"
	"fmt"
	"sync"
)

// Mirror is the bridge's copy of the Set. One writer (the engine) applies
// events and snapshots; any number of readers may call JSON, State, Summary
// and Seq at the same time.
type Mirror struct {
	mu        sync.RWMutex
	st        State
	sessionID string
	seq       int64
	loaded    bool // a snapshot has been loaded since New
}

// New returns a mirror of an empty Set (no tracks, no scenes, session view,
// nothing selected).
func New() *Mirror { return &Mirror{st: newState()} }

// Summary is the little the tray needs, cheap to get.
type Summary struct {
	Tracks  int // regular tracks: audio, midi and group (returns and master are not counted)
	Returns int // return tracks
	Scenes  int
	Tempo   float64
	Playing bool
	View    string
	Loaded  bool // a SNAPSHOT has been loaded, so the figures describe Live's Set
}

// Summary returns counts and transport without copying the state.
func (m *Mirror) Summary() Summary {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := Summary{
		Scenes:  len(m.st.Scenes),
		Tempo:   m.st.Transport.Tempo,
		Playing: m.st.Transport.Playing,
		View:    m.st.View,
		Loaded:  m.loaded,
	}
	for i := range m.st.Tracks {
		switch m.st.Tracks[i].Type {
		case TypeAudio, TypeMIDI, TypeGroup:
			s.Tracks++
		case TypeReturn:
			s.Returns++
		}
	}
	return s
}

// JSON returns the state encoded exactly like SNAPSHOT's "state" object.
func (m *Mirror) JSON() []byte {
	_, _, b := m.SnapshotJSON()
	return b
}

// SnapshotJSON returns, consistently with each other, the session id and
// sequence number of the last event reflected in the state, and the state as
// JSON — what a WebSocket client needs on connect.
func (m *Mirror) SnapshotJSON() (sessionID string, seq int64, state []byte) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, err := json.Marshal(&m.st)
	if err != nil {
		// State holds only strings, bools, ints and finite floats (Apply and
		// LoadSnapshot refuse NaN and Inf), which always encode.
		panic(fmt.Sprintf("mirror: encoding state: %v", err))
	}
	return m.sessionID, m.seq, b
}

// State returns a deep copy of the state, for callers that want Go values.
func (m *Mirror) State() State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.st.clone()
}

// Seq returns the sequence number of the last event reflected in the state
// (the snapshot's seq, advanced by events applied through SetSeq or Sync).
func (m *Mirror) Seq() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.seq
}

// SessionID returns the session id of the last loaded snapshot.
func (m *Mirror) SessionID() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.sessionID
}

// Snapshot is a whole Set as of one event: SNAPSHOT's reply on the command
// port (docs/protocol.md), or a snapshot frame a WebSocket client got. The
// mirror takes it from whoever fetched it; it knows no transport.
type Snapshot struct {
	SessionID string          `json:"session_id"`
	Seq       int64           `json:"seq"`   // the last event the state reflects
	State     json.RawMessage `json:"state"` // a JSON object, decoded by the mirror
}

// LoadSnapshot replaces the state with a snapshot. If the state does not
// decode or is inconsistent, it returns an error and the mirror keeps its
// old state.
func (m *Mirror) LoadSnapshot(r Snapshot) error {
	st, err := decodeState(r.State)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.st, m.sessionID, m.seq, m.loaded = st, r.SessionID, r.Seq, true
	m.mu.Unlock()
	return nil
}

// LoadSnapshotJSON is LoadSnapshot for a whole SNAPSHOT reply as raw JSON
// ({"success": true, "session_id": …, "seq": …, "state": {…}}).
func (m *Mirror) LoadSnapshotJSON(reply []byte) error {
	var r Snapshot
	if err := json.Unmarshal(reply, &r); err != nil {
		return fmt.Errorf("decode SNAPSHOT reply: %w", err)
	}
	return m.LoadSnapshot(r)
}

// decodeState parses and checks a "state" object.
func decodeState(raw json.RawMessage) (State, error) {
	if len(raw) == 0 {
		return State{}, fmt.Errorf("snapshot has no state")
	}
	st := newState()
	if err := json.Unmarshal(raw, &st); err != nil {
		return State{}, fmt.Errorf("decode snapshot state: %w", err)
	}
	st.normalize()
	for i, t := range st.Tracks {
		if !validType(t.Type) {
			return State{}, fmt.Errorf("snapshot track %d: unknown type %q", i, t.Type)
		}
		want := 0
		if hasSlots(t.Type) {
			want = len(st.Scenes)
		}
		if len(t.ClipSlots) != want {
			return State{}, fmt.Errorf("snapshot track %d (%s): %d clip slots for %d scenes",
				i, t.Type, len(t.ClipSlots), len(st.Scenes))
		}
	}
	return st, nil
}

// Apply applies one event of the catalog in docs/protocol.md (path without
// the /live/seq wrapper, args as go-osc decodes them). It reports whether the
// state changed. Paths that carry no Set state (hello, heartbeat, batch,
// log, …) and unknown paths are ignored. Missing or mistyped arguments and
// out-of-range indices return an error and leave the state untouched.
func (m *Mirror) Apply(path string, args []any) (changed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed, err = m.st.apply(path, args)
	if err != nil {
		return false, fmt.Errorf("%s %v: %w", path, args, err)
	}
	return changed, nil
}

// SetSeq records that events up to seq are reflected in the state. Sync
// calls it; an engine that applies events itself may too.
func (m *Mirror) SetSeq(seq int64) {
	m.mu.Lock()
	m.seq = seq
	m.mu.Unlock()
}

// applySeq applies an event and, if it succeeded and carries a sequence
// number, records it, under one lock so readers see both or neither. It
// returns the session whose state the event was applied to. If rec is not
// nil, what the event did is appended to it.
func (m *Mirror) applySeq(seq int64, path string, args []any, rec *Patch) (bool, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.rec = rec
	changed, err := m.st.apply(path, args)
	m.st.rec = nil
	if err != nil {
		return false, m.sessionID, fmt.Errorf("%s %v: %w", path, args, err)
	}
	if seq > 0 {
		m.seq = seq
	}
	return changed, m.sessionID, nil
}

// clone returns a deep copy.
func (s *State) clone() State {
	c := *s
	if s.Cursor.ClipSlot != nil {
		cs := *s.Cursor.ClipSlot
		c.Cursor.ClipSlot = &cs
	}
	c.Scenes = append([]Scene{}, s.Scenes...)
	c.Tracks = make([]Track, len(s.Tracks))
	for i, t := range s.Tracks {
		t.Devices = make([]Device, len(s.Tracks[i].Devices))
		for j, d := range s.Tracks[i].Devices {
			d.Parameters = append([]Parameter{}, d.Parameters...)
			t.Devices[j] = d
		}
		t.ClipSlots = make([]ClipSlot, len(s.Tracks[i].ClipSlots))
		for j, cs := range s.Tracks[i].ClipSlots {
			if cs.Clip != nil {
				cl := *cs.Clip
				cs.Clip = &cl
			}
			t.ClipSlots[j] = cs
		}
		c.Tracks[i] = t
	}
	return c
}
