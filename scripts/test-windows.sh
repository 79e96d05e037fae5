#!/usr/bin/env bash
# make test's Windows part: the release's vimabl.exe, cross-built as
# `make dist` builds it, run under Wine (packaging/wine: CLI, install,
# registry, the bridge over TCP, the tray and the window under Xvfb).
# Prints each test's result and how long the whole part took, pass or fail.
#
# -count=1: the package builds the .exe from the whole repository, which Go's
# test cache cannot see, so a cached "ok" could hide a broken Windows build.
# The timeout leaves room for the cross-build with a cold cache (~9 minutes
# on 2 cores: fyne's C code for Windows).
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
go test -count=1 -timeout 40m -v ./packaging/wine 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'
status=${PIPESTATUS[0]}
echo "test-windows: the Windows build under Wine took $(( $(date +%s) - start )) s"
exit "$status"
