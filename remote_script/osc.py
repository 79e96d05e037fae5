"""OSC 1.0 encoding of what the script sends: messages, and bundles of them.

Type tags: Python ``bool`` -> T/F (checked before int, since bool is an int),
``int`` -> i (int32), ``float`` -> d (float64: Set state such as volumes and
tempo must reach the bridge bit-identical, and float32 cannot hold a
wall-clock timestamp), ``str`` -> s, ``bytes`` -> b, ``None`` -> N.
"""

import struct

_pack_i = struct.Struct(">i").pack
_pack_d = struct.Struct(">d").pack

# "#bundle", then the time tag 1: "immediately" (each event carries its own
# timestamp; receivers must not hold a bundle back).
BUNDLE_HEADER = b"#bundle\0" + struct.pack(">Q", 1)

INT32_MIN = -(2 ** 31)
INT32_MAX = 2 ** 31 - 1


def _pad(data):
    """Null-terminate (strings) or pad (blobs) to a multiple of 4 bytes."""
    return data + b"\0" * (4 - len(data) % 4)


def _string(s):
    return _pad(s.encode("utf-8"))


def encode_message(address, args):
    """Encode one OSC message; raises ValueError for an argument it cannot send."""
    tags = [","]
    body = []
    for a in args:
        if a is True:
            tags.append("T")
        elif a is False:
            tags.append("F")
        elif a is None:
            tags.append("N")
        elif isinstance(a, int):
            if a < INT32_MIN or a > INT32_MAX:
                raise ValueError("integer %d does not fit OSC int32" % a)
            tags.append("i")
            body.append(_pack_i(a))
        elif isinstance(a, float):
            tags.append("d")
            body.append(_pack_d(a))
        elif isinstance(a, str):
            if "\0" in a:
                a = a.replace("\0", "")
            tags.append("s")
            body.append(_string(a))
        elif isinstance(a, (bytes, bytearray)):
            tags.append("b")
            blob = bytes(a)
            body.append(_pack_i(len(blob)))
            pad = (4 - len(blob) % 4) % 4
            body.append(blob + b"\0" * pad)
        else:
            raise ValueError("cannot send %s as an OSC argument" % type(a).__name__)
    return _string(address) + _string("".join(tags)) + b"".join(body)


def encode_event(seq, timestamp, path, args):
    """The ``/live/seq <seq:i> <timestamp:d> <path:s> <args...>`` wrapper."""
    return encode_message("/live/seq", [int(seq), float(timestamp), path] + list(args))


def bundle_element_size(message):
    """What a message adds to a bundle: its size prefix and itself."""
    return 4 + len(message)


def encode_bundle(messages):
    """One OSC bundle of already encoded messages, in their order."""
    parts = [BUNDLE_HEADER]
    for m in messages:
        parts.append(_pack_i(len(m)))
        parts.append(m)
    return b"".join(parts)
