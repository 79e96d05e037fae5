//go:build windows

package livepaths

import "golang.org/x/sys/windows"

// documentsFolder asks the shell for the Documents Known Folder
// (SHGetKnownFolderPath with FOLDERID_Documents): that is the folder Live
// puts its User Library in, wherever OneDrive or folder redirection moved it
// — %USERPROFILE%\Documents is only its default. KF_FLAG_DONT_VERIFY returns
// the configured path even when it is offline or not created yet, so the
// answer does not change with the network. "" when the shell cannot say.
func documentsFolder() string {
	p, err := windows.KnownFolderPath(windows.FOLDERID_Documents, windows.KF_FLAG_DONT_VERIFY)
	if err != nil {
		return ""
	}
	return p
}
