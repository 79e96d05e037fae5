package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// baseState: two audio/midi tracks, a return and the master, two scenes.
const baseState = `{
  "view": "session", "project_path": "",
  "transport": {"playing": false, "tempo": 120.0},
  "cursor": {"track": 0, "scene": 0, "clip_slot": null},
  "tracks": [
    {"name": "1-Audio", "type": "audio", "mute": false, "solo": false, "arm": false, "volume": 0.85, "color": 1,
     "folded": false,
     "devices": [{"name": "EQ Eight", "class_name": "Eq8",
                  "parameters": [{"name": "Device On", "value": 1.0, "min": 0.0, "max": 1.0},
                                 {"name": "Gain", "value": 0.5, "min": -15.0, "max": 15.0}]}],
     "clip_slots": [
       {"has_clip": true, "has_stop_button": true, "playing_status": 0, "color": 255,
        "clip": {"name": "Drums", "color": 255, "muted": false, "looping": true}},
       {"has_clip": false, "has_stop_button": true, "playing_status": 0, "color": 0, "clip": null}]},
    {"name": "2-MIDI", "type": "midi", "mute": false, "solo": false, "arm": false, "volume": 0.85, "color": 2,
     "folded": false, "devices": [],
     "clip_slots": [
       {"has_clip": false, "has_stop_button": true, "playing_status": 0, "color": 0, "clip": null},
       {"has_clip": false, "has_stop_button": false, "playing_status": 0, "color": 0, "clip": null}]},
    {"name": "A-Reverb", "type": "return", "mute": false, "solo": false, "arm": false, "volume": 0.85, "color": 3,
     "folded": false, "devices": [], "clip_slots": []},
    {"name": "Master", "type": "master", "mute": false, "solo": false, "arm": false, "volume": 0.85, "color": 4,
     "folded": false, "devices": [], "clip_slots": []}
  ],
  "scenes": [{"name": "Intro", "color": 0, "is_triggered": false}, {"name": "Verse", "color": 5, "is_triggered": false}]
}`

func loaded(t *testing.T) *Mirror {
	t.Helper()
	m := New()
	if err := m.LoadSnapshot(Snapshot{SessionID: "s1", Seq: 10, State: json.RawMessage(baseState)}); err != nil {
		t.Fatal(err)
	}
	return m
}

// decoded returns the mirror's JSON as generic values, for semantic comparison.
func decoded(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("mirror JSON does not decode: %v\n%s", err, b)
	}
	return v
}

func apply(t *testing.T, m *Mirror, path string, args ...any) {
	t.Helper()
	if _, err := m.Apply(path, args); err != nil {
		t.Fatalf("Apply(%s, %v): %v", path, args, err)
	}
}

func TestLoadSnapshotRoundTripsJSON(t *testing.T) {
	m := loaded(t)
	if !reflect.DeepEqual(decoded(t, m.JSON()), decoded(t, []byte(baseState))) {
		t.Fatalf("JSON differs from the snapshot:\n%s", m.JSON())
	}
	if m.Seq() != 10 || m.SessionID() != "s1" {
		t.Fatalf("seq/session = %d/%q", m.Seq(), m.SessionID())
	}
}

func TestNewMirrorJSONHasListsNotNull(t *testing.T) {
	b := New().JSON()
	if !bytes.Contains(b, []byte(`"tracks":[]`)) || !bytes.Contains(b, []byte(`"scenes":[]`)) {
		t.Fatalf("empty mirror JSON = %s", b)
	}
}

func TestSetters(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/view", "arrangement")
	apply(t, m, "/live/project/path", "/Users/me/Set.als")
	apply(t, m, "/live/transport/play", true)
	apply(t, m, "/live/transport/tempo", 128.5)
	apply(t, m, "/live/cursor/track", int32(2))
	apply(t, m, "/live/cursor/scene", int32(1))
	apply(t, m, "/live/cursor/clip_slot", int32(1), int32(1), false, false, true)
	apply(t, m, "/live/track/renamed", int32(0), "Bass")
	apply(t, m, "/live/track/mute", int32(0), true)
	apply(t, m, "/live/track/solo", int32(2), true)
	apply(t, m, "/live/track/arm", int32(1), int32(1)) // old senders' 0/1
	apply(t, m, "/live/track/volume", int32(3), float32(0.5))
	apply(t, m, "/live/track/color", int32(0), int32(0xff0000))
	apply(t, m, "/live/device/param", int32(0), int32(0), int32(1), 3.25)
	apply(t, m, "/live/clip_slot/has_stop", int32(1), int32(1), true)
	apply(t, m, "/live/clip_slot/playing_status", int32(0), int32(0), int32(1))
	apply(t, m, "/live/clip_slot/color", int32(0), int32(1), int32(7))
	apply(t, m, "/live/clip/name", int32(0), int32(0), "Beat")
	apply(t, m, "/live/clip/color", int32(0), int32(0), int32(9))
	apply(t, m, "/live/clip/muted", int32(0), int32(0), true)
	apply(t, m, "/live/clip/looping", int32(0), int32(0), false)
	apply(t, m, "/live/scene/renamed", int32(1), "Chorus")
	apply(t, m, "/live/scene/color", int32(0), int32(11))
	apply(t, m, "/live/scene/triggered", int32(1), true)

	st := m.State()
	if st.View != "arrangement" || st.ProjectPath != "/Users/me/Set.als" || !st.Transport.Playing || st.Transport.Tempo != 128.5 {
		t.Fatalf("song fields: %+v", st)
	}
	if st.Cursor.Track != 2 || st.Cursor.Scene != 1 || st.Cursor.ClipSlot == nil ||
		*st.Cursor.ClipSlot != (CursorClipSlot{Track: 1, Scene: 1, IsTriggered: true}) {
		t.Fatalf("cursor: %+v %+v", st.Cursor, st.Cursor.ClipSlot)
	}
	tr := st.Tracks
	if tr[0].Name != "Bass" || !tr[0].Mute || !tr[2].Solo || !tr[1].Arm || tr[3].Volume != float64(float32(0.5)) || tr[0].Color != 0xff0000 {
		t.Fatalf("tracks: %+v", tr)
	}
	if tr[0].Devices[0].Parameters[1].Value != 3.25 {
		t.Fatalf("param: %+v", tr[0].Devices[0].Parameters)
	}
	if !tr[1].ClipSlots[1].HasStopButton || tr[0].ClipSlots[0].PlayingStatus != 1 || tr[0].ClipSlots[1].Color != 7 {
		t.Fatalf("slots: %+v", tr)
	}
	if c := tr[0].ClipSlots[0].Clip; *c != (Clip{Name: "Beat", Color: 9, Muted: true, Looping: false}) {
		t.Fatalf("clip: %+v", c)
	}
	if st.Scenes[1] != (Scene{Name: "Chorus", Color: 5, IsTriggered: true}) || st.Scenes[0].Color != 11 {
		t.Fatalf("scenes: %+v", st.Scenes)
	}
	apply(t, m, "/live/cursor/clip_slot", int32(-1), int32(-1), false, false, false)
	if m.State().Cursor.ClipSlot != nil {
		t.Fatal("cursor clip_slot -1 -1 must clear the highlight")
	}
	if !bytes.Contains(m.JSON(), []byte(`"clip_slot":null`)) {
		t.Fatalf("cleared highlight must encode as null: %s", m.JSON())
	}
}

// issue 11 item 2: /live/cursor/track is (track) from us until now and
// (track, color, name) from VimAbl and from us again; (track, color) came from
// VimAbl when a name was unreadable. Every shape moves the cursor, and the
// state (SNAPSHOT's cursor: the index only) keeps its shape.
func TestCursorTrackShapes(t *testing.T) {
	m := loaded(t)
	before := decoded(t, m.JSON())
	for _, c := range []struct {
		args []any
		want int
	}{
		{[]any{int32(1), int32(2), "2-MIDI"}, 1},
		{[]any{int32(3)}, 3},
		{[]any{int32(2), int32(3)}, 2},
		{[]any{int32(-1)}, -1},
		{[]any{int32(0), int32(1), "1-Audio", "an argument appended later"}, 0},
	} {
		ch, err := m.Apply("/live/cursor/track", c.args)
		if err != nil {
			t.Fatalf("Apply(/live/cursor/track, %v): %v", c.args, err)
		}
		if got := m.State().Cursor.Track; got != c.want || !ch {
			t.Fatalf("after %v: cursor track %d (changed %v), want %d", c.args, got, ch, c.want)
		}
	}
	if ch, _ := m.Apply("/live/cursor/track", []any{int32(0), int32(9), "renamed since"}); ch {
		t.Fatal("the same index with another color and name reported a change")
	}
	after := decoded(t, m.JSON())
	if !reflect.DeepEqual(after["cursor"], before["cursor"]) || !reflect.DeepEqual(after["tracks"], before["tracks"]) {
		t.Fatalf("cursor or tracks changed shape or content:\nbefore %v %v\nafter  %v %v",
			before["cursor"], before["tracks"], after["cursor"], after["tracks"])
	}
}

func TestChangedReportsRealChanges(t *testing.T) {
	m := loaded(t)
	if ch, err := m.Apply("/live/track/renamed", []any{int32(0), "1-Audio"}); err != nil || ch {
		t.Fatalf("same name: changed=%v err=%v", ch, err)
	}
	if ch, err := m.Apply("/live/track/renamed", []any{int32(0), "New"}); err != nil || !ch {
		t.Fatalf("new name: changed=%v err=%v", ch, err)
	}
	if ch, err := m.Apply("/live/heartbeat", []any{"s1", 1.0}); err != nil || ch {
		t.Fatalf("heartbeat: changed=%v err=%v", ch, err)
	}
}

func TestTrackAddedShiftsReturnsAndMaster(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/track/added", int32(1), "New", "midi", true, false, true, 0.7, int32(42))
	st := m.State()
	names := []string{}
	for _, tr := range st.Tracks {
		names = append(names, tr.Name)
	}
	if strings.Join(names, ",") != "1-Audio,New,2-MIDI,A-Reverb,Master" {
		t.Fatalf("order: %v", names)
	}
	nt := st.Tracks[1]
	if nt.Type != "midi" || !nt.Mute || nt.Solo || !nt.Arm || nt.Volume != 0.7 || nt.Color != 42 {
		t.Fatalf("new track: %+v", nt)
	}
	if len(nt.ClipSlots) != 2 || nt.ClipSlots[0] != emptySlot() || len(nt.Devices) != 0 {
		t.Fatalf("a new midi track gets one empty slot per scene: %+v", nt.ClipSlots)
	}
	// The return moved from 2 to 3: index 3 now addresses it.
	apply(t, m, "/live/track/renamed", int32(3), "B-Delay")
	if m.State().Tracks[3].Type != "return" || m.State().Tracks[3].Name != "B-Delay" {
		t.Fatal("index 3 should be the return after an insert")
	}
	// A return gets no slots; an old sender's short form gets defaults.
	apply(t, m, "/live/track/added", int32(4), "C-Ret", "return")
	rt := m.State().Tracks[4]
	if len(rt.ClipSlots) != 0 || rt.Volume != defaultVolume || rt.Mute {
		t.Fatalf("short-form return: %+v", rt)
	}
	apply(t, m, "/live/track/deleted", int32(0))
	if st := m.State(); st.Tracks[0].Name != "New" || len(st.Tracks) != 5 || st.Tracks[4].Type != "master" {
		t.Fatalf("after delete: %+v", st.Tracks)
	}
}

// Group tracks (issue 13): the script reports them as "group" (not "audio"),
// with a row of group slots and their fold state; /live/track/fold follows
// the fold, and scene events reach group slots as they reach audio ones.
func TestGroupTracks(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/track/added", int32(0), "Group", "group", false, false, false, 0.85, int32(7), true)
	g := m.State().Tracks[0]
	if g.Type != TypeGroup || !g.Folded || len(g.ClipSlots) != 2 {
		t.Fatalf("group track: %+v", g)
	}
	apply(t, m, "/live/track/fold", int32(0), false)
	apply(t, m, "/live/clip_slot/playing_status", int32(0), int32(1), int32(3))
	apply(t, m, "/live/scene/added", int32(0), "New")
	st := m.State()
	if st.Tracks[0].Folded || len(st.Tracks[0].ClipSlots) != 3 || st.Tracks[0].ClipSlots[2].PlayingStatus != 3 {
		t.Fatalf("after unfold, status and a new scene: %+v", st.Tracks[0])
	}
	// An old sender's track/added (eight arguments) is not folded.
	apply(t, m, "/live/track/added", int32(1), "Old", "group", false, false, false, 0.85, int32(7))
	if m.State().Tracks[1].Folded {
		t.Fatal("a track/added without the folded argument must not be folded")
	}
	for _, bad := range [][]any{
		{int32(1 + 1), true}, // 2 is 1-Audio: only group tracks fold
		{int32(99), true},    // no such track
		{int32(0), "yes"},    // folded must be a bool (or 0/1)
	} {
		before := m.JSON()
		if _, err := m.Apply("/live/track/fold", bad); err == nil {
			t.Errorf("/live/track/fold %v: want an error", bad)
		}
		if !bytes.Equal(before, m.JSON()) {
			t.Errorf("/live/track/fold %v changed the state", bad)
		}
	}
	if _, err := m.Apply("/live/track/added", []any{int32(0), "x", "audio", false, false, false, 0.85, int32(0), true}); err == nil {
		t.Error("an audio track cannot arrive folded")
	}
}

func TestDeviceAddDeleteAndParamInfo(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/device/added", int32(0), int32(0), "Compressor", "Compressor2")
	apply(t, m, "/live/device/param_info", int32(0), int32(0), int32(0), "Device On", 1.0, 0.0, 1.0)
	apply(t, m, "/live/device/param_info", int32(0), int32(0), int32(1), "Ratio", float32(4), 1.0, float32(100))
	devs := m.State().Tracks[0].Devices
	if len(devs) != 2 || devs[0].Name != "Compressor" || devs[0].ClassName != "Compressor2" || devs[1].Name != "EQ Eight" {
		t.Fatalf("devices: %+v", devs)
	}
	if len(devs[0].Parameters) != 2 || devs[0].Parameters[1] != (Parameter{"Ratio", 4, 1, 100}) {
		t.Fatalf("params: %+v", devs[0].Parameters)
	}
	// param on the shifted EQ (now index 1)
	apply(t, m, "/live/device/param", int32(0), int32(1), int32(0), 0.0)
	if m.State().Tracks[0].Devices[1].Parameters[0].Value != 0 {
		t.Fatal("param of shifted device not applied")
	}
	apply(t, m, "/live/device/added", int32(3), int32(0), "Limiter") // old sender: no class_name
	apply(t, m, "/live/device/deleted", int32(0), int32(0))
	if devs := m.State().Tracks[0].Devices; len(devs) != 1 || devs[0].Name != "EQ Eight" {
		t.Fatalf("after delete: %+v", devs)
	}
	if b := m.JSON(); !bytes.Contains(b, []byte(`{"name":"Limiter","class_name":"","parameters":[]}`)) {
		t.Fatalf("new device must have an empty parameters list: %s", b)
	}
}

func TestClipSlotCreatedAndClips(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/clip_slot/created", int32(1), int32(0), true, false, int32(2), int32(77))
	apply(t, m, "/live/clip/added", int32(1), int32(0), "Lead", int32(77), false, true)
	s := m.State().Tracks[1].ClipSlots[0]
	if !s.HasClip || s.HasStopButton || s.PlayingStatus != 2 || s.Color != 77 || s.Clip == nil || *s.Clip != (Clip{"Lead", 77, false, true}) {
		t.Fatalf("slot: %+v %+v", s, s.Clip)
	}
	apply(t, m, "/live/clip/removed", int32(1), int32(0))
	if s := m.State().Tracks[1].ClipSlots[0]; s.HasClip || s.Clip != nil {
		t.Fatalf("after removal: %+v", s)
	}
	// clip_slot/created with has_clip F clears a clip.
	apply(t, m, "/live/clip_slot/created", int32(0), int32(0), false, true, int32(0))
	if s := m.State().Tracks[0].ClipSlots[0]; s.HasClip || s.Clip != nil || s.Color != 0 {
		t.Fatalf("slot reset: %+v", s)
	}
}

func TestSceneAddedInsertsDefaultSlots(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/scene/added", int32(1), "Bridge", int32(6))
	st := m.State()
	if len(st.Scenes) != 3 || st.Scenes[1] != (Scene{Name: "Bridge", Color: 6}) || st.Scenes[2].Name != "Verse" {
		t.Fatalf("scenes: %+v", st.Scenes)
	}
	for i, tr := range st.Tracks {
		if !hasSlots(tr.Type) {
			if len(tr.ClipSlots) != 0 {
				t.Fatalf("track %d (%s) got slots", i, tr.Type)
			}
			continue
		}
		if len(tr.ClipSlots) != 3 || tr.ClipSlots[1] != emptySlot() {
			t.Fatalf("track %d slots: %+v", i, tr.ClipSlots)
		}
	}
	if st.Tracks[0].ClipSlots[0].Clip == nil || st.Tracks[1].ClipSlots[2].HasStopButton {
		t.Fatal("existing slots must keep their place around the inserted row")
	}
	apply(t, m, "/live/scene/removed", int32(0))
	st = m.State()
	if len(st.Scenes) != 2 || st.Scenes[0].Name != "Bridge" || len(st.Tracks[0].ClipSlots) != 2 || st.Tracks[0].ClipSlots[0].HasClip {
		t.Fatalf("after removing scene 0: %+v / %+v", st.Scenes, st.Tracks[0].ClipSlots)
	}
}

func TestSceneReorderedIsAMove(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/scene/added", int32(2), "Outro")
	apply(t, m, "/live/clip/added", int32(1), int32(2), "OutroClip")
	// Scenes: Intro(clip on t0), Verse, Outro(clip on t1). Move Intro (0) to 2.
	apply(t, m, "/live/scene/reordered", int32(2), "Intro", int32(0))
	st := m.State()
	got := []string{st.Scenes[0].Name, st.Scenes[1].Name, st.Scenes[2].Name}
	if strings.Join(got, ",") != "Verse,Outro,Intro" {
		t.Fatalf("scene order: %v", got)
	}
	if st.Tracks[0].ClipSlots[2].Clip == nil || st.Tracks[0].ClipSlots[2].Clip.Name != "Drums" {
		t.Fatalf("Intro's row must move with it: %+v", st.Tracks[0].ClipSlots)
	}
	if st.Tracks[1].ClipSlots[1].Clip == nil || st.Tracks[1].ClipSlots[1].Clip.Name != "OutroClip" {
		t.Fatalf("Outro's row must shift up: %+v", st.Tracks[1].ClipSlots)
	}
	// And back: move from 2 to 0.
	apply(t, m, "/live/scene/reordered", int32(0), "Intro", int32(2))
	if st := m.State(); st.Scenes[0].Name != "Intro" || st.Tracks[0].ClipSlots[0].Clip == nil || st.Scenes[2].Name != "Outro" {
		t.Fatalf("move back: %+v", st.Scenes)
	}
	// Old sender (no from): only names the scene.
	apply(t, m, "/live/scene/reordered", int32(1), "Renamed")
	if m.State().Scenes[1].Name != "Renamed" {
		t.Fatal("short reordered should rename")
	}
}

func TestBadEventsLeaveStateUntouched(t *testing.T) {
	cases := []struct {
		path string
		args []any
	}{
		{"/live/track/renamed", []any{int32(9), "x"}},
		{"/live/track/renamed", []any{int32(-1), "x"}},
		{"/live/track/renamed", []any{"0", "x"}},
		{"/live/track/renamed", []any{int32(0)}},
		{"/live/track/mute", []any{int32(0), "yes"}},
		{"/live/track/mute", []any{int32(0), int32(2)}},
		{"/live/track/volume", []any{int32(0), "loud"}},
		{"/live/track/volume", []any{int32(0), nil}},
		{"/live/track/added", []any{int32(6), "x", "audio"}},
		{"/live/track/added", []any{int32(0), "x", "bus"}},
		{"/live/track/added", []any{int32(0), "x", "audio", []byte{1}}},
		{"/live/track/deleted", []any{int32(4)}},
		{"/live/device/added", []any{int32(0), int32(2), "x"}},
		{"/live/device/added", []any{int32(0), int32(0), "x", int32(5)}},
		{"/live/device/deleted", []any{int32(1), int32(0)}},
		{"/live/device/param", []any{int32(0), int32(0), int32(2), 1.0}},
		{"/live/device/param_info", []any{int32(0), int32(0), int32(3), "p", 0.0, 0.0, 1.0}},
		{"/live/clip_slot/created", []any{int32(2), int32(0), false, true, int32(0)}},
		{"/live/clip_slot/color", []any{int32(0), int32(2), int32(1)}},
		{"/live/clip/name", []any{int32(0), int32(1), "no clip here"}},
		{"/live/clip/added", []any{int32(3), int32(0), "master has no slots"}},
		{"/live/scene/added", []any{int32(3), "x"}},
		{"/live/scene/removed", []any{int32(2)}},
		{"/live/scene/reordered", []any{int32(0), "x", int32(5)}},
		{"/live/scene/triggered", []any{int32(0), "T"}},
		{"/live/view", []any{"mixer"}},
		{"/live/view", []any{}},
		{"/live/transport/tempo", []any{float32(0) / zero()}},
		{"/live/cursor/track", []any{int32(-2)}},
		{"/live/cursor/track", []any{int32(1), "red", "2-MIDI"}},
		{"/live/cursor/track", []any{int32(1), int32(2), int32(3)}},
		{"/live/cursor/clip_slot", []any{int32(0), int32(0), true}},
		{"/live/track/color", []any{int64(1) << 40}},
	}
	for _, c := range cases {
		m := loaded(t)
		before := m.JSON()
		ch, err := m.Apply(c.path, c.args)
		if err == nil || ch {
			t.Errorf("Apply(%s, %v) = %v, %v; want an error", c.path, c.args, ch, err)
			continue
		}
		if !strings.Contains(err.Error(), c.path) {
			t.Errorf("error %q does not name the path", err)
		}
		if !bytes.Equal(before, m.JSON()) {
			t.Errorf("Apply(%s, %v) failed but changed the state", c.path, c.args)
		}
	}
}

// zero hides a division by zero from the compiler (to build a NaN).
func zero() float32 { return 0 }

func TestUnknownPathIgnored(t *testing.T) {
	m := loaded(t)
	before := m.JSON()
	for _, p := range []string{"/live/future/thing", "/live/hello", "/live/bye", "/live/batch/start", "/live/log", "/other"} {
		if ch, err := m.Apply(p, []any{int32(1), "x"}); ch || err != nil {
			t.Fatalf("%s: changed=%v err=%v", p, ch, err)
		}
	}
	if !bytes.Equal(before, m.JSON()) {
		t.Fatal("ignored paths changed the state")
	}
}

func TestLoadSnapshotRejectsBadStateAndKeepsOld(t *testing.T) {
	m := loaded(t)
	before := m.JSON()
	bad := []string{
		``,
		`[]`,
		`{"tracks": [{"name": "x", "type": "bus"}]}`,
		`{"scenes": [{"name": "a"}], "tracks": [{"name": "x", "type": "audio", "clip_slots": []}]}`,
		`{"tracks": "nope"}`,
	}
	for _, s := range bad {
		if err := m.LoadSnapshot(Snapshot{Seq: 99, State: json.RawMessage(s)}); err == nil {
			t.Errorf("LoadSnapshot(%s) accepted", s)
		}
	}
	if err := m.LoadSnapshotJSON([]byte(`{"success": true, "seq": `)); err == nil {
		t.Error("truncated reply accepted")
	}
	if !bytes.Equal(before, m.JSON()) || m.Seq() != 10 {
		t.Fatal("a rejected snapshot changed the mirror")
	}
}

func TestSummary(t *testing.T) {
	m := loaded(t)
	apply(t, m, "/live/transport/play", true)
	s := m.Summary()
	if s != (Summary{Tracks: 2, Returns: 1, Scenes: 2, Tempo: 120, Playing: true, View: "session", Loaded: true}) {
		t.Fatalf("summary: %+v", s)
	}
	if New().Summary().Loaded {
		t.Fatal("a new mirror is not loaded")
	}
}

func TestConcurrentReadersWhileApplying(t *testing.T) {
	m := loaded(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var v map[string]any
				if err := json.Unmarshal(m.JSON(), &v); err != nil {
					t.Error(err)
					return
				}
				_ = m.Summary()
				_ = m.State()
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		apply(t, m, "/live/scene/added", int32(0), "s")
		apply(t, m, "/live/track/volume", int32(0), float64(i)/2000)
		apply(t, m, "/live/scene/removed", int32(0))
	}
	close(stop)
	wg.Wait()
}

func TestSyncAppliesOnlyEventsNewerThanSnapshot(t *testing.T) {
	m := New()
	s := NewSync(m, 0)
	s.Begin()
	// Arrive while the snapshot is in flight: 9 and 10 are in it, 11 is not.
	for _, ev := range []Event{
		{Seq: 9, Path: "/live/scene/added", Args: []any{int32(0), "already there"}},
		{Seq: 10, Path: "/live/track/renamed", Args: []any{int32(0), "1-Audio"}},
		{Seq: 11, Path: "/live/track/renamed", Args: []any{int32(0), "Newer"}},
		{Seq: 12, Path: "/live/scene/added", Args: []any{int32(2), "Outro"}},
	} {
		if _, buffered, err := s.Event(ev); !buffered || err != nil {
			t.Fatalf("event %d: buffered=%v err=%v", ev.Seq, buffered, err)
		}
	}
	if len(m.State().Tracks) != 0 {
		t.Fatal("buffered events must not touch the mirror before the snapshot")
	}
	res, err := s.Complete(Snapshot{SessionID: "s1", Seq: 10, State: json.RawMessage(baseState)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 2 || res.Skipped != 2 {
		t.Fatalf("result: %+v", res)
	}
	st := m.State()
	if st.Tracks[0].Name != "Newer" || len(st.Scenes) != 3 || st.Scenes[2].Name != "Outro" || m.Seq() != 12 {
		t.Fatalf("state after resync: %+v seq %d", st.Scenes, m.Seq())
	}
	// Not resyncing: applied directly.
	if ch, buffered, err := s.Event(Event{Seq: 13, Path: "/live/transport/play", Args: []any{true}}); !ch || buffered || err != nil {
		t.Fatalf("direct event: %v %v %v", ch, buffered, err)
	}
	if m.Seq() != 13 {
		t.Fatalf("seq = %d", m.Seq())
	}
}

func TestSyncFailedSnapshotKeepsOldStateAndEvents(t *testing.T) {
	m := loaded(t)
	s := NewSync(m, 0)
	s.Begin()
	s.Event(Event{Seq: 11, Path: "/live/track/renamed", Args: []any{int32(0), "Kept"}})
	_, err := s.Complete(Snapshot{Seq: 50, State: json.RawMessage(`{"tracks": 5}`)})
	if err == nil {
		t.Fatal("bad snapshot accepted")
	}
	if st := m.State(); len(st.Tracks) != 4 || st.Tracks[0].Name != "Kept" || m.Seq() != 11 {
		t.Fatalf("old state plus buffered events expected: %+v seq %d", st.Tracks[0], m.Seq())
	}
	s.Begin()
	s.Event(Event{Seq: 12, Path: "/live/track/renamed", Args: []any{int32(0), "Abort"}})
	if res := s.Abort(); res.Applied != 1 || m.State().Tracks[0].Name != "Abort" {
		t.Fatalf("abort must replay: %+v", res)
	}
}

func TestSyncOverflow(t *testing.T) {
	m := New()
	s := NewSync(m, 2)
	s.Begin()
	for seq := int64(1); seq <= 5; seq++ {
		s.Event(Event{Seq: seq, Path: "/live/transport/tempo", Args: []any{float64(100 + seq)}})
	}
	res, err := s.Complete(Snapshot{Seq: 3, State: json.RawMessage(baseState)})
	if !errors.Is(err, ErrBufferOverflow) || res.Dropped != 3 {
		t.Fatalf("want overflow: %+v %v", res, err)
	}
	// Dropped events all older than the snapshot are no loss.
	s.Begin()
	for seq := int64(1); seq <= 5; seq++ {
		s.Event(Event{Seq: seq, Path: "/live/transport/tempo", Args: []any{float64(100 + seq)}})
	}
	if _, err := s.Complete(Snapshot{Seq: 5, State: json.RawMessage(baseState)}); err != nil {
		t.Fatalf("nothing newer was dropped, got %v", err)
	}
}

func TestSyncDropsLateEventsUntilNewSession(t *testing.T) {
	m := New()
	s := NewSync(m, 0)
	s.Begin()
	if _, err := s.Complete(Snapshot{SessionID: "s1", Seq: 10, State: json.RawMessage(baseState)}); err != nil {
		t.Fatal(err)
	}
	// A late event the snapshot already contains must not apply twice.
	s.Event(Event{Seq: 9, Path: "/live/scene/added", Args: []any{int32(0), "dup"}})
	if len(m.State().Scenes) != 2 {
		t.Fatal("late event applied twice")
	}
	// A new session starts numbering at 1 again.
	s.Event(Event{Seq: 1, Path: "/live/hello", Args: []any{"s2", "1.0", "12.1"}})
	s.Event(Event{Seq: 2, Path: "/live/scene/added", Args: []any{int32(0), "new session"}})
	if st := m.State(); len(st.Scenes) != 3 || st.Scenes[0].Name != "new session" {
		t.Fatalf("new session's events must apply: %+v", st.Scenes)
	}
}

func TestSyncBufferSpanningRestart(t *testing.T) {
	m := New()
	s := NewSync(m, 0)
	s.Begin()
	for _, ev := range []Event{
		{Seq: 500, Path: "/live/track/renamed", Args: []any{int32(0), "old session"}},
		{Seq: 1, Path: "/live/hello", Args: []any{"s2", "1.0", "12.1"}},
		{Seq: 2, Path: "/live/track/renamed", Args: []any{int32(0), "in snapshot"}},
		{Seq: 3, Path: "/live/track/renamed", Args: []any{int32(0), "after snapshot"}},
	} {
		s.Event(ev)
	}
	res, err := s.Complete(Snapshot{SessionID: "s2", Seq: 2, State: json.RawMessage(baseState)})
	if err != nil {
		t.Fatal(err)
	}
	if m.State().Tracks[0].Name != "after snapshot" || res.Applied != 1 {
		t.Fatalf("got %q, %+v", m.State().Tracks[0].Name, res)
	}
	// The snapshot predates a restart that happened while it was in flight.
	s.Begin()
	s.Event(Event{Seq: 1, Path: "/live/hello", Args: []any{"s3", "1.0", "12.1"}})
	s.Event(Event{Seq: 2, Path: "/live/track/renamed", Args: []any{int32(0), "s3"}})
	if _, err := s.Complete(Snapshot{SessionID: "s2", Seq: 40, State: json.RawMessage(baseState)}); !errors.Is(err, ErrSessionChanged) {
		t.Fatalf("want ErrSessionChanged, got %v", err)
	}
	if m.State().Tracks[0].Name != "s3" {
		t.Fatal("the new session's events must still apply")
	}
}
