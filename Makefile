# VimAbl — the two commands a new contributor needs are `make run` and `make test`.
# Everything else here is what those two are made of, plus bench/dist/screenshots.

GO      ?= go
PYTHON  ?= python3
BIN     := bin/vimabl
export PATH := $(PATH):/usr/local/go/bin

PYTEST := -m unittest discover -s remote_script/tests -t remote_script/tests -p 'test_*.py'
# Live 11 (and 12.0) embed Python 3.7: when one is installed (PATH or pyenv),
# the Remote Script's tests run under it too.
PYTHON37 ?= $(shell scripts/find-python37.sh)

.PHONY: deps build run demo test test-go test-windows test-python test-python37 vet bench dist screenshots fuzz fuzz-short clean

## deps: install the Debian packages the build and the tests need (as root), or print the command.
deps:
	@scripts/install-deps.sh

## build: the vimabl binary for this machine.
build: deps
	$(GO) build -o $(BIN) .

## run: build and start the app (bridge + tray; a window where no tray exists).
run: build
	./$(BIN)

## demo: the app against the fake Live running the real Remote Script.
demo: build
	./$(BIN) demo

## test: every test — Go (engine, installer, app, packaging, end to end), the Windows .exe under
## Wine, Python (Remote Script, fake Live) and a short fuzzing run of every parser of untrusted input.
test: deps vet test-go test-windows test-python test-python37 fuzz-short

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# Every Go package but packaging/wine, which test-windows runs.
test-go:
	$(GO) test $$($(GO) list ./... | grep -v '/packaging/wine$$')

## test-windows: the release's Windows .exe under Wine (Debian's wine64, from make deps); prints
## how long it took. Skipped, saying why, only where mingw-w64 or Wine is not installed.
test-windows:
	@scripts/test-windows.sh

test-python:
	$(PYTHON) $(PYTEST)

test-python37:
	@if [ -n "$(PYTHON37)" ]; then \
	  echo "Remote Script tests under $$($(PYTHON37) --version 2>&1), Live 11's Python:"; \
	  $(PYTHON37) $(PYTEST); \
	else \
	  echo "test-python37: no Python 3.7 here (PATH or pyenv); skipped. The 3.7 syntax check ran in test-python."; \
	fi

## bench: speed and memory figures against the goals (prints them; see docs/performance.md).
bench: build
	$(PYTHON) remote_script/tests/bench_script.py
	$(GO) test -run '^$$' -bench . -benchmem ./bridge/...
	$(GO) test -run '^$$' -bench LogFeed -benchtime 200x -benchmem ./app
	$(GO) run ./tools/bridgebench -bin $(BIN)
	$(GO) run ./tools/logbomb -bin $(BIN)
	$(GO) run ./tools/patchbench -bin $(BIN)
	$(GO) test -run '^$$' -bench Viewer -benchtime 1x -timeout 10m ./e2e/viewer

FUZZTIME ?= 60s

## fuzz: fuzz the OSC decoder, the Log.txt and Library.cfg parsers, and (randomised) port 9001's parser.
fuzz:
	$(GO) test ./bridge/oscin -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./bridge/wshub -run '^$$' -fuzz FuzzEventFrame -fuzztime $(FUZZTIME)
	$(GO) test ./bridge/livelog -run '^$$' -fuzz FuzzParseLine -fuzztime $(FUZZTIME)
	$(GO) test ./livepaths -run '^$$' -fuzz FuzzParseLibraryCfg -fuzztime $(FUZZTIME)
	VIMABL_FUZZ_ROUNDS=20 $(PYTHON) -m unittest discover -s remote_script/tests -t remote_script/tests -p 'test_fuzz.py'

# The short run CI does on every change.
fuzz-short:
	$(MAKE) --no-print-directory fuzz FUZZTIME=100000x

## screenshots: run the real app under Xvfb in demo mode and save docs/screenshots/*.png, and the
## Windows .exe under Wine for docs/screenshots/windows-*.png.
screenshots: build
	scripts/screenshots.sh
	VIMABL_WINDOWS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -timeout 40m -run '^(TestTheApp|TestSecondVimAbl)' ./packaging/wine
	VIEWER_SHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestViewerWholeChain ./e2e/viewer

## dist: release artefacts this machine can build, into dist/ with SHA256SUMS.
dist: deps
	packaging/dist.sh

clean:
	rm -rf bin dist
