package cli

import (
	"runtime/debug"
	"strings"
)

// Version is the binary's version: the main module's version and, when the build
// recorded it, its VCS revision, e.g. "v0.4.0", "(devel) rev 4899774a1b2c" or
// "(devel) rev 4899774a1b2c+modified". "unknown" when the binary has no build info.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if rev == "" || strings.Contains(v, shortRev(rev)) {
		return v // a pseudo-version names its revision already
	}
	return v + " rev " + shortRev(rev) + modified
}

// shortRev is the first 12 characters of a revision, as pseudo-versions write it.
func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
