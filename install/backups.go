package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// KeepBackups is how many backups --prune-backups keeps (the newest).
const KeepBackups = 3

// Backup is one copy the installer moved aside: `.VimAbl-backup-<time>`
// (replaced by an install) or `.VimAbl-removed-<time>` (uninstalled).
type Backup struct {
	Name   string // the folder's name in Remote Scripts
	Path   string
	Kind   string // "backup" or "removed"
	Stamp  string // YYYYMMDD-HHMMSS from the name
	Seq    int    // 1, or the -2, -3… that told two in the same second apart
	Size   int64  // bytes in its files (a symlink counts as 0; it is not followed)
	IsLink bool   // a symlink moved aside by --force
}

// backupName parses a backup's folder name. Only names the installer makes
// match, so a folder a user named `.VimAbl-backup-mine` is never pruned.
func backupName(name string) (kind, stamp string, seq int, ok bool) {
	for _, k := range []string{"backup", "removed"} {
		rest, found := strings.CutPrefix(name, "."+ScriptName+"-"+k+"-")
		if !found || len(rest) < 15 || !digits(rest[:8]) || rest[8] != '-' || !digits(rest[9:15]) {
			continue
		}
		stamp, seq = rest[:15], 1
		if suffix := rest[15:]; suffix != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(suffix, "-"))
			if !strings.HasPrefix(suffix, "-") || err != nil || n < 2 {
				continue
			}
			seq = n
		}
		return k, stamp, seq, true
	}
	return "", "", 0, false
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// isLeftover says whether name is a staging folder an install writes into
// (`.VimAbl-new-` and 8 hex digits, see writeStaging). One that exists
// while no install holds the lock was left by an install that was killed.
func isLeftover(name string) bool {
	rest, ok := strings.CutPrefix(name, "."+ScriptName+"-new-")
	if !ok || len(rest) != 8 {
		return false
	}
	for _, r := range rest {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// Backups lists the backups in a Remote Scripts folder, newest first. A
// missing folder has none.
func Backups(scripts string) ([]Backup, error) {
	entries, err := os.ReadDir(scripts)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, explain("listing", scripts, err)
	}
	var out []Backup
	for _, e := range entries {
		kind, stamp, seq, ok := backupName(e.Name())
		if !ok {
			continue
		}
		b := Backup{Name: e.Name(), Path: filepath.Join(scripts, e.Name()), Kind: kind, Stamp: stamp, Seq: seq,
			IsLink: e.Type()&fs.ModeSymlink != 0}
		if !b.IsLink {
			b.Size = treeSize(b.Path)
		}
		out = append(out, b)
	}
	sortNewestFirst(out)
	return out, nil
}

func sortNewestFirst(bs []Backup) {
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].Stamp != bs[j].Stamp {
			return bs[i].Stamp > bs[j].Stamp
		}
		if bs[i].Seq != bs[j].Seq {
			return bs[i].Seq > bs[j].Seq
		}
		return bs[i].Name > bs[j].Name
	})
}

// treeSize adds up the sizes of the files under dir without following
// symlinks; what cannot be read counts as 0.
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// Leftovers lists the staging folders in a Remote Scripts folder.
func Leftovers(scripts string) []string {
	entries, _ := os.ReadDir(scripts)
	var out []string
	for _, e := range entries {
		// Only real folders: a symlink with that name is not ours.
		if e.IsDir() && e.Type()&fs.ModeSymlink == 0 && isLeftover(e.Name()) {
			out = append(out, filepath.Join(scripts, e.Name()))
		}
	}
	return out
}

// removeLeftovers deletes the staging folders killed installs left behind.
// The caller holds the install lock, so none of them is being written.
func removeLeftovers(scripts string, dryRun bool, res *Result) error {
	for _, p := range Leftovers(scripts) {
		res.Actions = append(res.Actions, "remove "+p+" (left by an install that was interrupted)")
		if dryRun {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return explain("removing", p, err)
		}
	}
	return nil
}

// pruneBackups removes all but the newest keep backups. planned is the name
// of a backup the (dry-run) install is about to make, counted as the newest.
func pruneBackups(scripts string, keep int, planned string, dryRun bool, res *Result) error {
	bs, err := Backups(scripts)
	if err != nil {
		return err
	}
	if planned != "" {
		if kind, stamp, seq, ok := backupName(filepath.Base(planned)); ok {
			bs = append(bs, Backup{Name: filepath.Base(planned), Path: planned, Kind: kind, Stamp: stamp, Seq: seq})
			sortNewestFirst(bs)
		}
	}
	if len(bs) <= keep {
		res.Actions = append(res.Actions, fmt.Sprintf("no backup to remove (%d there, the newest %d are kept)", len(bs), keep))
		return nil
	}
	for _, b := range bs[keep:] {
		res.Actions = append(res.Actions, fmt.Sprintf("remove the backup %s (%s)", b.Path, sizeText(b)))
		if dryRun {
			continue
		}
		// RemoveAll removes a symlink itself, never what it points to.
		if err := os.RemoveAll(b.Path); err != nil {
			return explain("removing the backup", b.Path, err)
		}
		res.Pruned = append(res.Pruned, b.Path)
	}
	return nil
}

// sizeText is a backup's size for people: "412 kB", "1.2 MB", "a symlink".
func sizeText(b Backup) string {
	if b.IsLink {
		return "a symlink"
	}
	return formatBytes(b.Size)
}

func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
