"""Live 11 and 12.0 embed Python 3.7, and a syntax error at import time may
never reach Log.txt: every file that gets installed must parse as 3.7."""

import ast
import os
import sys
import unittest

from support import SCRIPT_DIR, FAKELIVE_DIR, script_files


def parse_as_3_7(src, name="<test>"):
    """Parse with Python 3.7's grammar: ``feature_version`` from 3.8 on, and
    under 3.7 itself (``make test-python37``) the interpreter's own parser."""
    if sys.version_info < (3, 8):
        return ast.parse(src, name)
    return ast.parse(src, name, feature_version=(3, 7))


class SyntaxFloorTest(unittest.TestCase):
    def test_every_script_file_parses_as_python_3_7(self):
        files = script_files()
        for required in ("__init__.py", "LiveState.py", "logging_config.py", "observers.py", "readers.py",
                         "listsync.py", "cursor_observer.py", "udp_sender.py", "osc.py", "commands.py", "server.py",
                         "debounce.py", "version.py"):
            self.assertIn(required, files)
        for name in files:
            with open(os.path.join(SCRIPT_DIR, name), encoding="utf-8") as f:
                src = f.read()
            try:
                parse_as_3_7(src, name)
            except SyntaxError as exc:
                self.fail("%s is not Python 3.7: %s" % (name, exc))

    def test_the_check_rejects_newer_syntax(self):
        # The check itself must be able to fail: a walrus is 3.8.
        with self.assertRaises(SyntaxError):
            parse_as_3_7("if (n := 1):\n    pass\n")

    def test_only_standard_library_imports(self):
        allowed_local = set(os.path.splitext(f)[0] for f in script_files())
        std = {"collections", "errno", "gzip", "json", "os", "select", "selectors", "socket", "stat", "struct", "sys", "threading",
               "time", "traceback", "uuid", "zlib", "_Framework", "_Framework.ControlSurface"}
        for name in script_files():
            with open(os.path.join(SCRIPT_DIR, name), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        self.assertIn(a.name, std, "%s imports %s" % (name, a.name))
                elif isinstance(node, ast.ImportFrom):
                    if node.level:  # relative: must be one of our files
                        if node.module:
                            self.assertIn(node.module, allowed_local, "%s imports .%s" % (name, node.module))
                    else:
                        self.assertIn(node.module, std, "%s imports %s" % (name, node.module))


if __name__ == "__main__":
    unittest.main()
