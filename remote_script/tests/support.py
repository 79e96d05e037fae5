"""Shared helpers for the Remote Script's tests.

The script is a package whose ``__init__`` imports Live's ``_Framework``. Unit
tests of its pure modules load them into a synthetic package so they run
without any Live at all; integration tests put the fake Live on ``sys.path``
and load the real package in it (see ``fake_live``).
"""

import os
import socket
import struct
import sys
import types
import importlib

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT_DIR = os.path.dirname(HERE)
FAKELIVE_DIR = os.path.join(SCRIPT_DIR, "fakelive")
PKG = "vimabl_script_under_test"


def script_module(name):
    """Import ``remote_script/<name>.py`` as part of a package, without
    running the package's ``__init__`` (which needs Live)."""
    if PKG not in sys.modules:
        pkg = types.ModuleType(PKG)
        pkg.__path__ = [SCRIPT_DIR]
        sys.modules[PKG] = pkg
    return importlib.import_module("%s.%s" % (PKG, name))


def script_files():
    """The files that get installed into Live (top-level *.py)."""
    return sorted(f for f in os.listdir(SCRIPT_DIR) if f.endswith(".py"))


def udp_listener():
    """A bound UDP socket on a free loopback port (the test plays the bridge)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    return sock


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tcp_command(port, payload, timeout=5.0, shutdown=True):
    """Send bytes to the command port like ``nc`` and return everything read."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if payload:
            s.sendall(payload)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)
    finally:
        s.close()


# --- a small OSC decoder: the test's independent reading of what was sent


def _read_string(data, i):
    end = data.index(b"\0", i)
    s = data[i:end].decode("utf-8")
    i = end + 1
    i += (4 - i % 4) % 4
    return s, i


def decode_osc(data):
    """(address, [args]) of one OSC message, decoded independently of osc.py."""
    addr, i = _read_string(data, 0)
    tags, i = _read_string(data, i)
    if not tags.startswith(","):
        raise ValueError("no type tags")
    args = []
    for t in tags[1:]:
        if t == "i":
            args.append(struct.unpack(">i", data[i:i + 4])[0])
            i += 4
        elif t == "f":
            args.append(struct.unpack(">f", data[i:i + 4])[0])
            i += 4
        elif t == "d":
            args.append(struct.unpack(">d", data[i:i + 8])[0])
            i += 8
        elif t == "s":
            s, i = _read_string(data, i)
            args.append(s)
        elif t == "b":
            n = struct.unpack(">i", data[i:i + 4])[0]
            args.append(data[i + 4:i + 4 + n])
            i += 4 + n + (4 - n % 4) % 4
        elif t == "T":
            args.append(True)
        elif t == "F":
            args.append(False)
        elif t == "N":
            args.append(None)
        else:
            raise ValueError("unknown tag %r" % t)
    if i != len(data):
        raise ValueError("trailing bytes")
    return addr, args


def decode_event(data):
    """(seq, ts, path, args) of a /live/seq message."""
    addr, args = decode_osc(data)
    if addr != "/live/seq":
        raise ValueError("not wrapped: %s" % addr)
    return args[0], args[1], args[2], args[3:]


def decode_bundle(data):
    """The elements of an OSC bundle, in order (bundles inside it flattened)."""
    if data[:8] != b"#bundle\0" or len(data) < 16:
        raise ValueError("not a bundle")
    out, i = [], 16
    while i < len(data):
        n = struct.unpack(">i", data[i:i + 4])[0]
        if n <= 0 or n % 4 or i + 4 + n > len(data):
            raise ValueError("bundle element of %d bytes at %d" % (n, i))
        el = data[i + 4:i + 4 + n]
        out.extend(decode_bundle(el) if el[:1] == b"#" else [el])
        i += 4 + n
    return out


def decode_events(data):
    """[(seq, ts, path, args), ...] of one datagram: a /live/seq message, or
    a bundle of them (the sender's several queued events), in order."""
    if data[:1] == b"#":
        return [decode_event(m) for m in decode_bundle(data)]
    return [decode_event(data)]
