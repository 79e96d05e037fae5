package livelog

import "github.com/vimabl/vimabl/livepaths"

// logCandidates lists the Log.txt paths of the Live versions installed on
// this machine, most recently used first.
func logCandidates() ([]string, error) {
	vs, err := livepaths.Versions(livepaths.Current())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, livepaths.LogPath(v))
	}
	return out, nil
}
