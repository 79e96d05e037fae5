// Package wine holds no code, only tests: they run the Windows build of
// VimAbl — the very .exe `make dist` makes, built by
// packaging.BuildWindowsExe — under Wine (Debian's wine64), as a new
// Windows user would, with Windows paths, the registry and a tray.
//
// One throw-away Wine prefix serves the whole run (creating one takes
// seconds and ~700 MB): its user is called "Zoë Tester", so every profile
// path has a space and a non-ASCII letter; drives D: and E: are mapped to
// temporary folders. Wine 8.0 lacks bcryptprimitives.dll, which Go's Windows
// runtime needs (ProcessPrng); testdata/bcryptprimitives.c is a stand-in
// built with mingw-w64 into the prefix's system32 — test-only, never shipped.
//
// What Wine cannot show is listed in docs/packaging.md: UDP sockets (Wine
// 8.0 refuses the WSAIoctl(SIO_UDP_NETRESET) Go's net package makes on each
// one), a real GPU driver, and the Windows shell beyond Wine's tray.
package wine
