"""Builders for fake Live Sets (run on the fake's main thread, before or
after a script is loaded: everything goes through the fake's API)."""

import Live

PALETTE = [0xFF94A6, 0xFFA529, 0xCC9927, 0xF7F47C, 0xBFFB00, 0x1AFF2F, 0x25FFA8, 0x5CFFE8, 0x8BC5FF,
           0x5480E4, 0x92A7FF, 0xD86CE4, 0xE553A0, 0xFFFFFF]

NAMES = ["Drums", "Bass", "Keys", "Pad", "Lead", "Vox", "FX", "Perc", "Guitar", "Strings", "Arp", "Sub"]
SCENE_NAMES = ["Intro", "Verse", "Pre", "Chorus", "Break", "Drop", "Bridge", "Outro"]
DEVICES = [
    ("EQ Eight", "Eq8", ["Device On", "1 Frequency A", "1 Gain A", "1 Resonance A", "2 Frequency A", "2 Gain A",
                          "Scale", "Output Gain"]),
    ("Compressor", "Compressor2", ["Device On", "Threshold", "Ratio", "Attack", "Release", "Knee", "Makeup",
                                    "Dry/Wet"]),
    ("Auto Filter", "AutoFilter", ["Device On", "Frequency", "Resonance", "Env. Modulation", "LFO Amount",
                                    "LFO Rate", "Drive", "Dry/Wet"]),
    ("Reverb", "Reverb", ["Device On", "Predelay", "Decay Time", "Room Size", "Diffusion", "Hi Cut", "Lo Cut",
                          "Dry/Wet"]),
    ("Operator", "Operator", ["Device On", "Filter Freq", "Filter Res", "Osc-A Level", "Osc-B Level",
                              "Ae Attack", "Ae Release", "Volume"]),
]


def device_params(names, count):
    """``count`` parameters (name, value, min, max); Device On is 0..1."""
    out = []
    for i in range(count):
        base = names[i % len(names)]
        name = base if i < len(names) else "%s %d" % (base, i // len(names) + 1)
        out.append((name, 1.0 if i == 0 else round(0.25 + 0.5 * ((i * 37) % 11) / 10.0, 4), 0.0, 1.0))
    return out


def build_set(fake, tracks=8, scenes=8, devices=2, params=8, returns=2, clips=True, tempo=120.0,
              file_path=""):
    """Replace nothing: add to fake.song ``tracks`` regular tracks (MIDI and
    audio alternating, track 0 audio), ``returns`` return tracks and
    ``scenes`` scenes, ``devices`` devices of ``params`` parameters on each
    track, and (if ``clips``) a clip in roughly half of the slots."""
    song = fake.song
    while len(song.scenes) < scenes:
        s = song.create_scene(-1)
        i = len(song.scenes) - 1
        s.name = SCENE_NAMES[i % len(SCENE_NAMES)] if i < len(SCENE_NAMES) else "Scene %d" % (i + 1)
        if i % 3 == 0:
            s.color = PALETTE[i % len(PALETTE)]
    for i in range(tracks):
        t = song.create_midi_track(-1) if i % 2 else song.create_audio_track(-1)
        t.name = "%d-%s" % (i + 1, NAMES[i % len(NAMES)]) if i < len(NAMES) else "%d-Track" % (i + 1)
        t.color = PALETTE[i % len(PALETTE)]
        t.mixer_device.volume.value = 0.85 - 0.05 * (i % 5)
        for d in range(devices):
            name, cls, pnames = DEVICES[(i + d) % len(DEVICES)]
            t.insert_device(d, name, cls, device_params(pnames, params))
        if clips:
            for si, slot in enumerate(t.clip_slots):
                if (i + si) % 2 == 0:
                    clip_name = "%s %d" % (NAMES[i % len(NAMES)], si + 1)
                    if t.has_midi_input:
                        slot.create_clip(4.0).name = clip_name
                    else:
                        slot._place_clip(Live.Clip(clip_name, PALETTE[(i + si) % len(PALETTE)], 8.0))
    for r in range(returns):
        t = song.create_return_track()
        t.insert_device(0, *_reverb(params))
    song.tempo = tempo
    if file_path:
        song.set_file_path(file_path)
    if song.tracks and song.scenes:
        song.view.highlight(0, 0)
    return song


def _reverb(params):
    name, cls, pnames = DEVICES[3]
    return name, cls, device_params(pnames, params)


def demo_set(fake):
    """The Set `vimabl demo` shows: small enough to read, busy enough to see."""
    return build_set(fake, tracks=8, scenes=8, devices=2, params=8, returns=2, clips=True, tempo=124.0,
                     file_path=_demo_path())


def big_set(fake):
    """What set-load opens: 100 tracks x 32 scenes x 4 devices x 16 parameters."""
    return build_set(fake, tracks=100, scenes=32, devices=4, params=16, returns=2, clips=True, tempo=128.0,
                     file_path=_demo_path("Big Set"))


def add_big_plugin(fake, track=0, params=1000, index=-1):
    """A plug-in with ``params`` automatable parameters (a big synth or a
    modular host exposes a thousand) on ``track``; returns the device."""
    t = fake.song.tracks[track]
    return t.insert_device(index, "Big Synth", "PluginDevice",
                           [("Param %d" % (i + 1), 0.5, 0.0, 1.0) for i in range(params)])


def big_plugin_set(fake):
    """The demo Set with a 1 000-parameter plug-in on its first track."""
    demo_set(fake)
    add_big_plugin(fake)
    return fake.song


def _demo_path(name="VimAbl Demo"):
    return "/Users/demo/Music/%s Project/%s.als" % (name, name)
