package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vimabl/vimabl/install"
)

// setupTab installs the script and explains enabling and reloading it.
type setupTab struct {
	state    *widget.Label
	button   *widget.Button
	progress *widget.ProgressBarInfinite
	result   *widget.Label
	steps    *widget.Label
	notes    *widget.Label
	extra    *fyne.Container
}

func newSetupTab(onInstall, openScripts, copyDiagnostics func()) *setupTab {
	t := &setupTab{
		state:    widget.NewLabelWithStyle("Checking the Remote Script…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		button:   widget.NewButton("Install Remote Script", onInstall),
		progress: widget.NewProgressBarInfinite(),
		result:   widget.NewLabel(""),
		steps:    widget.NewLabel(reloadSteps(currentOS())),
		notes:    widget.NewLabel(""),
	}
	t.button.Importance = widget.HighImportance
	t.progress.Hide()
	t.progress.Stop()
	t.result.Wrapping = fyne.TextWrapWord
	t.notes.Wrapping = fyne.TextWrapWord
	t.notes.Importance = widget.WarningImportance
	t.steps.Wrapping = fyne.TextWrapWord
	t.extra = container.NewHBox(
		widget.NewButton("Open Remote Scripts Folder", openScripts),
		widget.NewButton("Copy Diagnostics", copyDiagnostics),
	)
	return t
}

func (t *setupTab) object() fyne.CanvasObject {
	return container.NewVScroll(container.NewVBox(
		t.state,
		container.NewHBox(t.button),
		t.progress,
		t.result,
		t.notes,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Enable and reload", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		t.steps,
		widget.NewSeparator(),
		t.extra,
	))
}

// setupText is the Setup tab's state line.
func setupText(iv InstallView) string {
	if !iv.Known {
		return "Checking the Remote Script…"
	}
	switch iv.State {
	case install.NotInstalled:
		return fmt.Sprintf("The Remote Script is not installed. It will go to %s.", iv.Dir)
	case install.UpToDate:
		return fmt.Sprintf("VimAbl %s is installed in %s and up to date.", iv.Installed, iv.Dir)
	case install.Older:
		return fmt.Sprintf("VimAbl %s is installed in %s; this app brings %s.", iv.Installed, iv.Dir, iv.Bundled)
	case install.Newer:
		return fmt.Sprintf("VimAbl %s in %s is newer than this app's %s; update the app.", iv.Installed, iv.Dir, iv.Bundled)
	case install.Modified:
		return fmt.Sprintf("VimAbl %s in %s has edited files; reinstalling keeps them in a backup.", iv.Installed, iv.Dir)
	case install.Foreign:
		return fmt.Sprintf("%s was not made by VimAbl (a developer's checkout?); it is left alone.", iv.Dir)
	}
	return fmt.Sprintf("Cannot read %s.", iv.Dir)
}

// buttonText is what the install button says (and whether it is enabled).
func buttonText(iv InstallView) (string, bool) {
	if iv.Busy {
		return "Installing…", false
	}
	if !iv.Known {
		return "Install Remote Script", false
	}
	switch iv.State {
	case install.NotInstalled:
		return "Install Remote Script", true
	case install.Older:
		return "Update Remote Script", true
	case install.UpToDate:
		return "Reinstall", true
	case install.Modified, install.Unreadable:
		return "Reinstall (keep a backup)", true
	}
	return "Install Remote Script", false
}

// update renders the install state; UI thread.
func (t *setupTab) update(iv InstallView) {
	setText(t.state, t.state.Text, setupText(iv))
	label, enabled := buttonText(iv)
	setText(t.button, t.button.Text, label)
	if enabled {
		t.button.Enable()
	} else {
		t.button.Disable()
	}
	if iv.Busy {
		t.progress.Show()
		t.progress.Start()
	} else {
		t.progress.Stop()
		t.progress.Hide()
	}
	setText(t.result, t.result.Text, iv.Result)
	if iv.Result == "" {
		t.result.Hide()
	} else {
		t.result.Show()
	}
	if iv.Failed {
		t.result.Importance = widget.DangerImportance
	} else {
		t.result.Importance = widget.SuccessImportance
	}
	t.result.Refresh()
	setText(t.notes, t.notes.Text, strings.Join(iv.Notes, "\n"))
	if len(iv.Notes) == 0 {
		t.notes.Hide()
	} else {
		t.notes.Show()
	}
}
