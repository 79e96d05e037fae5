//go:build !windows

package livepaths

// documentsFolder: only Windows moves Documents behind Live's back (macOS's
// default User Library is in ~/Music, which Current derives from the home).
func documentsFolder() string { return "" }
