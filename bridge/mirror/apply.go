package mirror

import (
	"fmt"
	"slices"
)

// apply dispatches one event. Every handler reads and checks all of its
// arguments and indices before it changes anything, so an error leaves the
// state as it was.
func (s *State) apply(path string, args []any) (bool, error) {
	r := &argReader{args: args}
	switch path {
	case "/live/view":
		v := r.String("name")
		if r.err != nil {
			return false, r.err
		}
		if v != "session" && v != "arrangement" {
			return false, fmt.Errorf("view %q is neither session nor arrangement", v)
		}
		return setAt(s, &s.View, v, func() string { return "/view" }), nil
	case "/live/project/path":
		p := r.String("path")
		if r.err != nil {
			return false, r.err
		}
		return setAt(s, &s.ProjectPath, p, func() string { return "/project_path" }), nil
	case "/live/transport/play":
		v := r.Bool("playing")
		if r.err != nil {
			return false, r.err
		}
		return setAt(s, &s.Transport.Playing, v, func() string { return "/transport/playing" }), nil
	case "/live/transport/tempo":
		v := r.Float("bpm")
		if r.err != nil {
			return false, r.err
		}
		return setAt(s, &s.Transport.Tempo, v, func() string { return "/transport/tempo" }), nil
	case "/live/cursor/track":
		// (track) or, as VimAbl sent it, (track, color, name) of the
		// selected track; older senders also sent (track, color). Color and
		// name are checked but not kept: they are tracks[track]'s own, which
		// the track events keep up to date.
		v := r.Int("track")
		r.OptInt("color", 0)
		r.OptString("name", "")
		if r.err != nil {
			return false, r.err
		}
		if v < -1 {
			return false, fmt.Errorf("cursor track %d below -1", v)
		}
		return setAt(s, &s.Cursor.Track, v, func() string { return "/cursor/track" }), nil
	case "/live/cursor/scene":
		v := r.Int("scene")
		if r.err != nil {
			return false, r.err
		}
		if v < -1 {
			return false, fmt.Errorf("cursor scene %d below -1", v)
		}
		return setAt(s, &s.Cursor.Scene, v, func() string { return "/cursor/scene" }), nil
	case "/live/cursor/clip_slot":
		return s.cursorClipSlot(r)

	case "/live/track/added":
		return s.trackAdded(r)
	case "/live/track/deleted":
		t := r.Int("track")
		if r.err != nil {
			return false, r.err
		}
		if err := s.checkTrack(t); err != nil {
			return false, err
		}
		s.Tracks = slices.Delete(s.Tracks, t, t+1)
		s.record(Op{Op: "remove", Path: trackPtr(t)})
		return true, nil
	case "/live/track/renamed":
		return trackField(s, r, "name", func(r *argReader) string { return r.String("name") },
			func(t *Track) *string { return &t.Name })
	case "/live/track/mute":
		return trackField(s, r, "mute", func(r *argReader) bool { return r.Bool("muted") },
			func(t *Track) *bool { return &t.Mute })
	case "/live/track/solo":
		return trackField(s, r, "solo", func(r *argReader) bool { return r.Bool("soloed") },
			func(t *Track) *bool { return &t.Solo })
	case "/live/track/arm":
		return trackField(s, r, "arm", func(r *argReader) bool { return r.Bool("armed") },
			func(t *Track) *bool { return &t.Arm })
	case "/live/track/volume":
		return trackField(s, r, "volume", func(r *argReader) float64 { return r.Float("volume") },
			func(t *Track) *float64 { return &t.Volume })
	case "/live/track/color":
		return trackField(s, r, "color", func(r *argReader) int { return r.Int("color") },
			func(t *Track) *int { return &t.Color })
	case "/live/track/fold":
		t, folded := r.Int("track"), r.Bool("folded")
		if r.err != nil {
			return false, r.err
		}
		if err := s.checkTrack(t); err != nil {
			return false, err
		}
		if s.Tracks[t].Type != TypeGroup {
			return false, fmt.Errorf("track %d is a %s track; only group tracks fold", t, s.Tracks[t].Type)
		}
		return setAt(s, &s.Tracks[t].Folded, folded, func() string { return trackPtr(t) + "/folded" }), nil

	case "/live/device/added":
		return s.deviceAdded(r)
	case "/live/device/param_info":
		return s.paramInfo(r)
	case "/live/device/deleted":
		t, d := r.Int("track"), r.Int("device")
		if r.err != nil {
			return false, r.err
		}
		if err := s.checkDevice(t, d); err != nil {
			return false, err
		}
		s.Tracks[t].Devices = slices.Delete(s.Tracks[t].Devices, d, d+1)
		s.record(Op{Op: "remove", Path: devicePtr(t, d)})
		return true, nil
	case "/live/device/param":
		t, d, p, v := r.Int("track"), r.Int("device"), r.Int("param"), r.Float("value")
		if r.err != nil {
			return false, r.err
		}
		if err := s.checkDevice(t, d); err != nil {
			return false, err
		}
		params := s.Tracks[t].Devices[d].Parameters
		if p < 0 || p >= len(params) {
			return false, fmt.Errorf("parameter %d out of range (device %d of track %d has %d)", p, d, t, len(params))
		}
		return setAt(s, &params[p].Value, v, func() string { return paramPtr(t, d, p) + "/value" }), nil

	case "/live/clip_slot/created":
		return s.clipSlotCreated(r)
	case "/live/clip_slot/has_stop":
		return slotField(s, r, "has_stop_button", func(r *argReader) bool { return r.Bool("has_stop") },
			func(c *ClipSlot) *bool { return &c.HasStopButton })
	case "/live/clip_slot/playing_status":
		return slotField(s, r, "playing_status", func(r *argReader) int { return r.Int("status") },
			func(c *ClipSlot) *int { return &c.PlayingStatus })
	case "/live/clip_slot/color":
		return slotField(s, r, "color", func(r *argReader) int { return r.Int("color") },
			func(c *ClipSlot) *int { return &c.Color })

	case "/live/clip/added":
		return s.clipAdded(r)
	case "/live/clip/removed":
		t, sc := r.Int("track"), r.Int("scene")
		if r.err != nil {
			return false, r.err
		}
		slot, err := s.slot(t, sc)
		if err != nil {
			return false, err
		}
		// Removing the clip empties the slot: has_clip goes with it.
		a := setAt(s, &slot.HasClip, false, func() string { return slotPtr(t, sc) + "/has_clip" })
		b := slot.Clip != nil
		if b {
			slot.Clip = nil
			s.record(Op{Op: "replace", Path: slotPtr(t, sc) + "/clip", Value: nil})
		}
		return a || b, nil
	case "/live/clip/name":
		return clipField(s, r, "name", func(r *argReader) string { return r.String("name") },
			func(c *Clip) *string { return &c.Name })
	case "/live/clip/color":
		return clipField(s, r, "color", func(r *argReader) int { return r.Int("color") },
			func(c *Clip) *int { return &c.Color })
	case "/live/clip/muted":
		return clipField(s, r, "muted", func(r *argReader) bool { return r.Bool("muted") },
			func(c *Clip) *bool { return &c.Muted })
	case "/live/clip/looping":
		return clipField(s, r, "looping", func(r *argReader) bool { return r.Bool("looping") },
			func(c *Clip) *bool { return &c.Looping })

	case "/live/scene/added":
		return s.sceneAdded(r)
	case "/live/scene/removed":
		sc := r.Int("scene")
		if r.err != nil {
			return false, r.err
		}
		if err := s.checkScene(sc); err != nil {
			return false, err
		}
		s.Scenes = slices.Delete(s.Scenes, sc, sc+1)
		s.record(Op{Op: "remove", Path: scenePtr(sc)})
		for i := range s.Tracks {
			if hasSlots(s.Tracks[i].Type) {
				s.Tracks[i].ClipSlots = slices.Delete(s.Tracks[i].ClipSlots, sc, sc+1)
				s.record(Op{Op: "remove", Path: slotPtr(i, sc)})
			}
		}
		return true, nil
	case "/live/scene/renamed":
		return sceneField(s, r, "name", func(r *argReader) string { return r.String("name") },
			func(sc *Scene) *string { return &sc.Name })
	case "/live/scene/color":
		return sceneField(s, r, "color", func(r *argReader) int { return r.Int("color") },
			func(sc *Scene) *int { return &sc.Color })
	case "/live/scene/triggered":
		return sceneField(s, r, "is_triggered", func(r *argReader) bool { return r.OptBool("triggered", true) },
			func(sc *Scene) *bool { return &sc.IsTriggered })
	case "/live/scene/reordered":
		return s.sceneReordered(r)
	}
	// /live/hello, /live/bye, /live/heartbeat, /live/batch/*, /live/log carry
	// no Set state; anything else is from a newer script and is ignored.
	return false, nil
}

func (s *State) checkTrack(t int) error {
	if t < 0 || t >= len(s.Tracks) {
		return fmt.Errorf("track %d out of range (%d tracks)", t, len(s.Tracks))
	}
	return nil
}

func (s *State) checkScene(sc int) error {
	if sc < 0 || sc >= len(s.Scenes) {
		return fmt.Errorf("scene %d out of range (%d scenes)", sc, len(s.Scenes))
	}
	return nil
}

func (s *State) checkDevice(t, d int) error {
	if err := s.checkTrack(t); err != nil {
		return err
	}
	if n := len(s.Tracks[t].Devices); d < 0 || d >= n {
		return fmt.Errorf("device %d out of range (track %d has %d)", d, t, n)
	}
	return nil
}

// slot returns the clip slot (t, sc), or an error if there is none.
func (s *State) slot(t, sc int) (*ClipSlot, error) {
	if err := s.checkTrack(t); err != nil {
		return nil, err
	}
	slots := s.Tracks[t].ClipSlots
	if sc < 0 || sc >= len(slots) {
		return nil, fmt.Errorf("clip slot (%d, %d) out of range (track %d, type %s, has %d slots)",
			t, sc, t, s.Tracks[t].Type, len(slots))
	}
	return &slots[sc], nil
}

// trackField handles `/live/track/<x> track:i value`; name is the field's
// key in the state.
func trackField[T comparable](s *State, r *argReader, name string, read func(*argReader) T, field func(*Track) *T) (bool, error) {
	t := r.Int("track")
	v := read(r)
	if r.err != nil {
		return false, r.err
	}
	if err := s.checkTrack(t); err != nil {
		return false, err
	}
	return setAt(s, field(&s.Tracks[t]), v, func() string { return trackPtr(t) + "/" + name }), nil
}

// slotField handles `/live/clip_slot/<x> track:i scene:i value`.
func slotField[T comparable](s *State, r *argReader, name string, read func(*argReader) T, field func(*ClipSlot) *T) (bool, error) {
	t, sc := r.Int("track"), r.Int("scene")
	v := read(r)
	if r.err != nil {
		return false, r.err
	}
	slot, err := s.slot(t, sc)
	if err != nil {
		return false, err
	}
	return setAt(s, field(slot), v, func() string { return slotPtr(t, sc) + "/" + name }), nil
}

// clipField handles `/live/clip/<x> track:i scene:i value`; the slot must hold a clip.
func clipField[T comparable](s *State, r *argReader, name string, read func(*argReader) T, field func(*Clip) *T) (bool, error) {
	t, sc := r.Int("track"), r.Int("scene")
	v := read(r)
	if r.err != nil {
		return false, r.err
	}
	slot, err := s.slot(t, sc)
	if err != nil {
		return false, err
	}
	if slot.Clip == nil {
		return false, fmt.Errorf("clip slot (%d, %d) holds no clip", t, sc)
	}
	return setAt(s, field(slot.Clip), v, func() string { return slotPtr(t, sc) + "/clip/" + name }), nil
}

// sceneField handles `/live/scene/<x> scene:i value`.
func sceneField[T comparable](s *State, r *argReader, name string, read func(*argReader) T, field func(*Scene) *T) (bool, error) {
	sc := r.Int("scene")
	v := read(r)
	if r.err != nil {
		return false, r.err
	}
	if err := s.checkScene(sc); err != nil {
		return false, err
	}
	return setAt(s, field(&s.Scenes[sc]), v, func() string { return scenePtr(sc) + "/" + name }), nil
}

func (s *State) cursorClipSlot(r *argReader) (bool, error) {
	c := CursorClipSlot{
		Track: r.Int("track"), Scene: r.Int("scene"),
		HasClip: r.Bool("has_clip"), IsPlaying: r.Bool("is_playing"), IsTriggered: r.Bool("is_triggered"),
	}
	if r.err != nil {
		return false, r.err
	}
	if c.Track < 0 || c.Scene < 0 {
		// -1 -1 F F F: nothing highlighted.
		if s.Cursor.ClipSlot == nil {
			return false, nil
		}
		s.Cursor.ClipSlot = nil
		s.record(Op{Op: "replace", Path: "/cursor/clip_slot", Value: nil})
		return true, nil
	}
	if s.Cursor.ClipSlot != nil && *s.Cursor.ClipSlot == c {
		return false, nil
	}
	s.Cursor.ClipSlot = &c
	s.record(Op{Op: "replace", Path: "/cursor/clip_slot", Value: c})
	return true, nil
}

func (s *State) trackAdded(r *argReader) (bool, error) {
	t := r.Int("track")
	tr := Track{Name: r.String("name"), Type: r.String("type")}
	tr.Mute = r.OptBool("mute", false)
	tr.Solo = r.OptBool("solo", false)
	tr.Arm = r.OptBool("arm", false)
	tr.Volume = r.OptFloat("volume", defaultVolume)
	tr.Color = r.OptInt("color", 0)
	tr.Folded = r.OptBool("folded", false)
	if r.err != nil {
		return false, r.err
	}
	if !validType(tr.Type) {
		return false, fmt.Errorf("unknown track type %q", tr.Type)
	}
	if tr.Folded && tr.Type != TypeGroup {
		return false, fmt.Errorf("a %s track cannot be folded; only group tracks fold", tr.Type)
	}
	if t < 0 || t > len(s.Tracks) {
		return false, fmt.Errorf("track %d out of range for insertion (%d tracks)", t, len(s.Tracks))
	}
	tr.Devices = []Device{}
	tr.ClipSlots = []ClipSlot{}
	if hasSlots(tr.Type) {
		// clip_slot/created follows for each slot with the real state.
		for range s.Scenes {
			tr.ClipSlots = append(tr.ClipSlots, emptySlot())
		}
	}
	s.Tracks = slices.Insert(s.Tracks, t, tr)
	if s.rec != nil {
		s.record(Op{Op: "add", Path: trackPtr(t), Value: frozen(tr)})
	}
	return true, nil
}

func (s *State) deviceAdded(r *argReader) (bool, error) {
	t, d := r.Int("track"), r.Int("device")
	dev := Device{Name: r.String("name"), Parameters: []Parameter{}}
	if v, ok := r.next("class_name", false); ok {
		cn, isStr := v.(string)
		if !isStr {
			r.i--
			r.fail("class_name", "want a string, got %T %v", v, v)
		}
		dev.ClassName = cn
	}
	if r.err != nil {
		return false, r.err
	}
	if err := s.checkTrack(t); err != nil {
		return false, err
	}
	if n := len(s.Tracks[t].Devices); d < 0 || d > n {
		return false, fmt.Errorf("device %d out of range for insertion (track %d has %d)", d, t, n)
	}
	s.Tracks[t].Devices = slices.Insert(s.Tracks[t].Devices, d, dev)
	if s.rec != nil {
		s.record(Op{Op: "add", Path: devicePtr(t, d), Value: frozen(dev)})
	}
	return true, nil
}

// paramInfo sets parameter p of a device; p may be one past the end, which
// appends (this is how a new device's parameters arrive, in order).
func (s *State) paramInfo(r *argReader) (bool, error) {
	t, d, p := r.Int("track"), r.Int("device"), r.Int("param")
	prm := Parameter{Name: r.String("name"), Value: r.Float("value"), Min: r.Float("min"), Max: r.Float("max")}
	if r.err != nil {
		return false, r.err
	}
	if err := s.checkDevice(t, d); err != nil {
		return false, err
	}
	dev := &s.Tracks[t].Devices[d]
	switch {
	case p == len(dev.Parameters):
		dev.Parameters = append(dev.Parameters, prm)
		s.record(Op{Op: "add", Path: paramPtr(t, d, p), Value: prm})
		return true, nil
	case p >= 0 && p < len(dev.Parameters):
		return setAt(s, &dev.Parameters[p], prm, func() string { return paramPtr(t, d, p) }), nil
	}
	return false, fmt.Errorf("parameter %d out of range (device %d of track %d has %d)", p, d, t, len(dev.Parameters))
}

func (s *State) clipSlotCreated(r *argReader) (bool, error) {
	t, sc := r.Int("track"), r.Int("scene")
	hasClip, hasStop, status := r.Bool("has_clip"), r.Bool("has_stop"), r.Int("playing_status")
	color := r.OptInt("color", 0)
	if r.err != nil {
		return false, r.err
	}
	slot, err := s.slot(t, sc)
	if err != nil {
		return false, err
	}
	old := *slot
	slot.HasClip, slot.HasStopButton, slot.PlayingStatus, slot.Color = hasClip, hasStop, status, color
	if !hasClip {
		slot.Clip = nil
	}
	changed := old.HasClip != slot.HasClip || old.HasStopButton != slot.HasStopButton ||
		old.PlayingStatus != slot.PlayingStatus || old.Color != slot.Color || old.Clip != slot.Clip
	if changed && s.rec != nil {
		// The whole slot, as it now is (a clip it keeps included).
		v := *slot
		if v.Clip != nil {
			c := *v.Clip
			v.Clip = &c
		}
		s.record(Op{Op: "replace", Path: slotPtr(t, sc), Value: v})
	}
	return changed, nil
}

func (s *State) clipAdded(r *argReader) (bool, error) {
	t, sc := r.Int("track"), r.Int("scene")
	c := Clip{Name: r.String("name")}
	c.Color = r.OptInt("color", 0)
	c.Muted = r.OptBool("muted", false)
	c.Looping = r.OptBool("looping", false)
	if r.err != nil {
		return false, r.err
	}
	slot, err := s.slot(t, sc)
	if err != nil {
		return false, err
	}
	// A clip fills the slot: has_clip goes with it.
	a := setAt(s, &slot.HasClip, true, func() string { return slotPtr(t, sc) + "/has_clip" })
	if slot.Clip != nil && *slot.Clip == c {
		return a, nil
	}
	slot.Clip = &c
	s.record(Op{Op: "replace", Path: slotPtr(t, sc) + "/clip", Value: c})
	return true, nil
}

func (s *State) sceneAdded(r *argReader) (bool, error) {
	sc := r.Int("scene")
	scene := Scene{Name: r.String("name")}
	scene.Color = r.OptInt("color", 0)
	if r.err != nil {
		return false, r.err
	}
	if sc < 0 || sc > len(s.Scenes) {
		return false, fmt.Errorf("scene %d out of range for insertion (%d scenes)", sc, len(s.Scenes))
	}
	s.Scenes = slices.Insert(s.Scenes, sc, scene)
	s.record(Op{Op: "add", Path: scenePtr(sc), Value: scene})
	for i := range s.Tracks {
		if hasSlots(s.Tracks[i].Type) {
			s.Tracks[i].ClipSlots = slices.Insert(s.Tracks[i].ClipSlots, sc, emptySlot())
			s.record(Op{Op: "add", Path: slotPtr(i, sc), Value: emptySlot()})
		}
	}
	return true, nil
}

// sceneReordered moves the scene (and its row of slots) from `from` to
// `scene`, then sets its name. An old sender without `from` only names the
// scene now at that index.
func (s *State) sceneReordered(r *argReader) (bool, error) {
	to := r.Int("scene")
	name := r.String("name")
	from := r.OptInt("from", to)
	if r.err != nil {
		return false, r.err
	}
	if err := s.checkScene(to); err != nil {
		return false, err
	}
	if err := s.checkScene(from); err != nil {
		return false, fmt.Errorf("from: %w", err)
	}
	changed := from != to
	if changed {
		move(s.Scenes, from, to)
		s.record(Op{Op: "move", From: scenePtr(from), Path: scenePtr(to)})
		for i := range s.Tracks {
			if hasSlots(s.Tracks[i].Type) {
				move(s.Tracks[i].ClipSlots, from, to)
				s.record(Op{Op: "move", From: slotPtr(i, from), Path: slotPtr(i, to)})
			}
		}
	}
	renamed := setAt(s, &s.Scenes[to].Name, name, func() string { return scenePtr(to) + "/name" })
	return renamed || changed, nil
}

// move removes the element at from and inserts it at to, in place.
func move[T any](xs []T, from, to int) {
	v := xs[from]
	if from < to {
		copy(xs[from:to], xs[from+1:to+1])
	} else {
		copy(xs[to+1:from+1], xs[to:from])
	}
	xs[to] = v
}
