"""EXPORT_XML: only an existing .als is read, only its .vimabl/ folder is written."""

import gzip
import os
import shutil
import tempfile
import unittest

from support import script_module

commands = script_module("commands")

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
            ("", "needs the path"),
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


if __name__ == "__main__":
    unittest.main()
