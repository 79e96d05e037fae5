#!/usr/bin/env bash
# make dist: every release artefact this machine can build, into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./packaging/dist -out dist "$@"
