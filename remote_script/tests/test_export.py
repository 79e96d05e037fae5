"""EXPORT_XML: only an existing .als is read, only its .vimabl/ folder is written."""

import gzip
import os
import shutil
import stat
import tempfile
import threading
import time
import unittest
import zlib

from support import script_module

commands = script_module("commands")

BOMB_MB = 32  # a Set whose XML is this many MiB of zeros: an export takes a few tenths of a second


def write_bomb(path, mib):
    """A gzip file of ``mib`` MiB of zeros (about 1/1000 of that on disk),
    compressed a MiB at a time so the test never holds it in memory."""
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(c.compress(block))
        f.write(c.flush())


def wait_for(cond, timeout=10.0):
    """Poll cond() until it is true or the deadline passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return bool(cond())
        time.sleep(0.001)

XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<Ableton MajorVersion="5"><LiveSet/></Ableton>\n'


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.als = os.path.join(self.dir, "My Set.als")
        with gzip.open(self.als, "wb") as f:
            f.write(XML)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def listing(self):
        out = []
        for root, dirs, files in os.walk(self.dir):
            for f in files:
                out.append(os.path.relpath(os.path.join(root, f), self.dir))
        return sorted(out)

    def test_writes_the_xml_into_vimabl_folder(self):
        target = commands.export_xml(self.als)
        self.assertEqual(target, os.path.join(os.path.realpath(self.dir), ".vimabl", "My Set.xml"))
        with open(target, "rb") as f:
            self.assertEqual(f.read(), XML)
        self.assertEqual(self.listing(), [os.path.join(".vimabl", "My Set.xml"), "My Set.als"])

    def test_refusals_write_nothing(self):
        other = os.path.join(self.dir, "notes.txt")
        with open(other, "w") as f:
            f.write("x")
        before = self.listing()
        for bad, words in [
            ("", "requires the path"),
            ("   ", "requires the path"),
            ("relative/Set.als", "absolute"),
            (other, "only accepts an .als"),
            (os.path.join(self.dir, "missing.als"), "no such .als"),
            (os.path.join(self.dir, "dir.als"), "no such .als"),
        ]:
            if bad.endswith("dir.als"):
                os.mkdir(bad)
                before = self.listing()
            with self.assertRaises(commands.CommandError) as ctx:
                commands.export_xml(bad)
            self.assertIn(words, str(ctx.exception))
        self.assertEqual(self.listing(), before)

    def test_symlink_named_als_to_another_file_is_refused(self):
        secret = os.path.join(self.dir, "secret.txt")
        with open(secret, "w") as f:
            f.write("x")
        link = os.path.join(self.dir, "trick.als")
        os.symlink(secret, link)
        with self.assertRaises(commands.CommandError):
            commands.export_xml(link)

    def test_not_gzip(self):
        bad = os.path.join(self.dir, "plain.als")
        with open(bad, "wb") as f:
            f.write(XML)
        with self.assertRaises(commands.CommandError) as ctx:
            commands.export_xml(bad)
        self.assertIn("not a valid Live Set", str(ctx.exception))
        self.assertEqual(os.listdir(os.path.join(self.dir, ".vimabl")), [], "no partial file left behind")

    # --- issue 10 item 1: EXPORT_XML wrote through symlinks and predictable names

    def victim(self):
        """A file of the Live user's outside the Set's folder, and its bytes."""
        other = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, other)
        path = os.path.join(other, "victim.txt")
        with open(path, "wb") as f:
            f.write(b"precious")
        return other, path

    @unittest.skipUnless(hasattr(os, "symlink") and os.name != "nt", "symlinks need an administrator on Windows")
    def test_planted_symlinks_at_predictable_names_are_never_followed(self):
        # issue 10 item 1: the old temporary name <name>.xml.tmp-<pid> was
        # opened with open(..., "wb"), which wrote through a symlink planted
        # there. Plant one at that name and at the target itself.
        other, victim = self.victim()
        vimabl = os.path.join(self.dir, ".vimabl")
        os.mkdir(vimabl, 0o700)
        planted = [os.path.join(vimabl, "My Set.xml.tmp-%d" % os.getpid()), os.path.join(vimabl, "My Set.xml")]
        for link in planted:
            os.symlink(victim, link)
        target = commands.export_xml(self.als)
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), b"precious", "the export wrote through a planted symlink")
        self.assertEqual(os.listdir(other), ["victim.txt"])
        self.assertFalse(os.path.islink(target), "the target symlink must be replaced, not written through")
        with open(target, "rb") as f:
            self.assertEqual(f.read(), XML)
        self.assertTrue(os.path.islink(planted[0]), "a name the export does not use is left alone")
        self.assertEqual(sorted(os.listdir(vimabl)), sorted(os.path.basename(p) for p in planted),
                         "no temporary file is left behind")

    @unittest.skipUnless(hasattr(os, "symlink") and os.name != "nt", "symlinks need an administrator on Windows")
    def test_vimabl_symlink_is_refused_and_nothing_is_written_where_it_points(self):
        # issue 10 item 1: a .vimabl symlink sent the XML wherever it pointed.
        other, victim = self.victim()
        vimabl = os.path.join(os.path.realpath(self.dir), ".vimabl")
        os.symlink(other, vimabl)
        with self.assertRaises(commands.CommandError) as ctx:
            commands.export_xml(self.als)
        self.assertIn(vimabl, str(ctx.exception))
        self.assertIn("symlink", str(ctx.exception))
        self.assertEqual(os.listdir(other), ["victim.txt"])
        os.remove(vimabl)
        os.symlink(os.path.join(other, "missing"), vimabl)  # a dangling one: mkdir must not follow it either
        with self.assertRaises(commands.CommandError):
            commands.export_xml(self.als)
        self.assertEqual(os.listdir(other), ["victim.txt"])

    def test_vimabl_file_is_refused(self):
        # issue 10 item 1: only a real folder is written into.
        vimabl = os.path.join(os.path.realpath(self.dir), ".vimabl")
        with open(vimabl, "wb") as f:
            f.write(b"mine")
        with self.assertRaises(commands.CommandError) as ctx:
            commands.export_xml(self.als)
        self.assertIn(vimabl, str(ctx.exception))
        with open(vimabl, "rb") as f:
            self.assertEqual(f.read(), b"mine")

    @unittest.skipIf(os.name == "nt", "Windows has no POSIX modes")
    def test_vimabl_folder_is_created_private(self):
        # issue 10 item 1: the folder other users could plant names in is created 0700.
        commands.export_xml(self.als)
        mode = stat.S_IMODE(os.lstat(os.path.join(self.dir, ".vimabl")).st_mode)
        self.assertEqual(mode, 0o700)

    def test_size_cap_refuses_and_leaves_no_partial_file(self):
        # issue 10 item 1: decompressed in chunks and refused past the cap; the
        # previous export stays as it was and no partial file is left.
        self.assertEqual(commands.MAX_XML_BYTES, 1 << 30)
        target = commands.export_xml(self.als)
        big = os.path.join(self.dir, "Big.als")
        write_bomb(big, 3)
        with self.assertRaises(commands.CommandError) as ctx:
            commands.export_xml(big, max_bytes=2 << 20)
        self.assertIn("larger than 2 MiB", str(ctx.exception))
        self.assertIn("MAX_XML_BYTES", str(ctx.exception))
        self.assertEqual(os.listdir(os.path.dirname(target)), ["My Set.xml"])
        with open(target, "rb") as f:
            self.assertEqual(f.read(), XML)
        # Exactly at the cap is still accepted.
        self.assertTrue(os.path.exists(commands.export_xml(big, max_bytes=3 << 20)))

    @unittest.skipUnless(hasattr(os, "mkfifo"), "no FIFOs here")
    def test_fifo_named_als_is_refused_without_blocking(self):
        # issue 10 item 1: opening a FIFO would block the one export slot forever.
        fifo = os.path.join(self.dir, "pipe.als")
        os.mkfifo(fifo)
        with self.assertRaises(commands.CommandError) as ctx:
            commands.export_xml(fifo)
        self.assertIn("no such .als", str(ctx.exception))

    def test_command_reply_and_missing_path(self):
        # issue 10 item 1 / issue 11: the reply also names the .als it was given;
        # a line without a path is answered with what is missing.
        p = commands.CommandProcessor(surface=None)
        r = p.handle("EXPORT_XML:" + self.als)
        self.assertEqual(r, {"success": True, "project_path": self.als,
                             "xml_path": os.path.join(os.path.realpath(self.dir), ".vimabl", "My Set.xml")})
        for line in ("EXPORT_XML", "EXPORT_XML:", "export_xml:  "):
            r = p.handle(line)
            self.assertFalse(r["success"], line)
            self.assertIn("requires the path", r["error"])

    def test_a_second_concurrent_export_is_refused_at_once(self):
        # issue 10 item 1: a double key press ran two exports that shared one
        # temporary name, and one failed with "[Errno 2] ... .tmp-<pid>".
        big = os.path.join(self.dir, "Big.als")
        write_bomb(big, BOMB_MB)
        p = commands.CommandProcessor(surface=None)
        first = {}
        t = threading.Thread(target=lambda: first.update(p.handle("EXPORT_XML:" + big)))
        t.start()
        vimabl = os.path.join(self.dir, ".vimabl")
        try:
            self.assertTrue(wait_for(lambda: os.path.isdir(vimabl) and any(
                "tmp" in n for n in os.listdir(vimabl))), "the first export never started writing")
            t0 = time.monotonic()
            second = p.handle("EXPORT_XML:" + self.als)
            took = time.monotonic() - t0
        finally:
            t.join(30)
        self.assertTrue(first.get("success"), first)
        self.assertFalse(second["success"], "two exports ran at once")
        self.assertIn("an export is already running", second["error"])
        self.assertLess(took, 0.1, "the refusal must not wait for the running export")
        self.assertEqual(os.path.getsize(first["xml_path"]), BOMB_MB << 20)
        self.assertEqual(sorted(os.listdir(vimabl)), ["Big.xml"])
        self.assertTrue(p.handle("EXPORT_XML:" + self.als)["success"], "the slot is free again afterwards")


class PathFallbackExportTest(ExportTest):
    """The same guarantees where the OS has no folder descriptors (Windows):
    the checks are made on paths."""

    def setUp(self):
        ExportTest.setUp(self)
        saved = commands._DIR_FDS
        commands._DIR_FDS = False
        self.addCleanup(setattr, commands, "_DIR_FDS", saved)


if __name__ == "__main__":
    unittest.main()
