// Package mirror keeps the bridge's copy of the Live Set, updated by the
// Remote Script's OSC events and resynchronised from SNAPSHOT.
//
// The JSON encoding of State is, key for key, the "state" object of the
// SNAPSHOT reply in docs/protocol.md, so that after every event the mirror
// can be compared with (and served in place of) a fresh SNAPSHOT.
package mirror

// State is the whole observed model of the Set. Slices are never nil, so
// they encode as [] like the script's lists.
type State struct {
	View        string    `json:"view"`         // "session" or "arrangement"
	ProjectPath string    `json:"project_path"` // "" for an unsaved Set
	Transport   Transport `json:"transport"`
	Cursor      Cursor    `json:"cursor"`
	Tracks      []Track   `json:"tracks"` // combined list: regular tracks, returns, master
	Scenes      []Scene   `json:"scenes"`

	rec *Patch // while an event is applied with recording: what it did (patch.go)
}

// Transport is the song's playback state.
type Transport struct {
	Playing bool    `json:"playing"`
	Tempo   float64 `json:"tempo"`
}

// Cursor is the selection: -1 means none for Track and Scene; ClipSlot is
// nil when no slot is highlighted.
type Cursor struct {
	Track    int             `json:"track"`
	Scene    int             `json:"scene"`
	ClipSlot *CursorClipSlot `json:"clip_slot"`
}

// CursorClipSlot is the highlighted clip slot and its state.
type CursorClipSlot struct {
	Track       int  `json:"track"`
	Scene       int  `json:"scene"`
	HasClip     bool `json:"has_clip"`
	IsPlaying   bool `json:"is_playing"`
	IsTriggered bool `json:"is_triggered"`
}

// Track types as they appear in the "type" field.
const (
	TypeAudio  = "audio"
	TypeMIDI   = "midi"
	TypeGroup  = "group" // a Group Track: no input, foldable, its slots are group slots
	TypeReturn = "return"
	TypeMaster = "master"
)

// Track is one entry of the combined track list. Audio, midi and group
// tracks have clip slots (one per scene); returns and master have none.
type Track struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Mute      bool       `json:"mute"`
	Solo      bool       `json:"solo"`
	Arm       bool       `json:"arm"`
	Volume    float64    `json:"volume"`
	Color     int        `json:"color"`
	Folded    bool       `json:"folded"` // a folded Group Track (its tracks hidden); false for any other
	Devices   []Device   `json:"devices"`
	ClipSlots []ClipSlot `json:"clip_slots"`
}

// Device is one device of a track's chain.
type Device struct {
	Name       string      `json:"name"`
	ClassName  string      `json:"class_name"`
	Parameters []Parameter `json:"parameters"`
}

// Parameter is one device parameter.
type Parameter struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// ClipSlot is one cell of the session grid; Clip is nil when the slot is empty.
type ClipSlot struct {
	HasClip       bool  `json:"has_clip"`
	HasStopButton bool  `json:"has_stop_button"`
	PlayingStatus int   `json:"playing_status"` // 0 stopped, 1 playing, 2 triggered, 3 recording
	Color         int   `json:"color"`
	Clip          *Clip `json:"clip"`
}

// Clip is the clip in a slot.
type Clip struct {
	Name    string `json:"name"`
	Color   int    `json:"color"`
	Muted   bool   `json:"muted"`
	Looping bool   `json:"looping"`
}

// Scene is one row of the session grid.
type Scene struct {
	Name        string `json:"name"`
	Color       int    `json:"color"`
	IsTriggered bool   `json:"is_triggered"`
}

// defaultVolume is Live's 0 dB fader position, used when an old sender's
// /live/track/added carries no volume.
const defaultVolume = 0.85

// emptySlot is the slot /live/scene/added inserts before clip_slot/created
// sends the real state (docs/protocol.md).
func emptySlot() ClipSlot { return ClipSlot{HasStopButton: true} }

// hasSlots reports whether tracks of type typ own clip slots.
func hasSlots(typ string) bool { return typ == TypeAudio || typ == TypeMIDI || typ == TypeGroup }

// validType reports whether typ is one of the five track types.
func validType(typ string) bool {
	switch typ {
	case TypeAudio, TypeMIDI, TypeGroup, TypeReturn, TypeMaster:
		return true
	}
	return false
}

// newState returns the state of an empty, unconnected Set.
func newState() State {
	return State{
		View:   "session",
		Cursor: Cursor{Track: -1, Scene: -1},
		Tracks: []Track{},
		Scenes: []Scene{},
	}
}

// normalize replaces nil slices by empty ones so the JSON matches the
// script's (which always writes lists).
func (s *State) normalize() {
	if s.Tracks == nil {
		s.Tracks = []Track{}
	}
	if s.Scenes == nil {
		s.Scenes = []Scene{}
	}
	for i := range s.Tracks {
		t := &s.Tracks[i]
		if t.Devices == nil {
			t.Devices = []Device{}
		}
		if t.ClipSlots == nil {
			t.ClipSlots = []ClipSlot{}
		}
		for j := range t.Devices {
			if t.Devices[j].Parameters == nil {
				t.Devices[j].Parameters = []Parameter{}
			}
		}
	}
}
