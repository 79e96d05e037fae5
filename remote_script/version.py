"""The single place VimAbl's version is written.

The Go binary reads this file from its embedded copy of the script, so the app,
`vimabl version`, the installed script's manifest and the GET_VERSION command
always report the same version.
"""

VERSION = "0.1.0"
