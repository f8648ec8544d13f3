package wire

import (
	"strings"
	"testing"
)

// TestCodecKindsHopByHop: every hop-by-hop name of the shared table is classified as
// such by the codec, in any letter case, so the client drops what the server drops.
func TestCodecKindsHopByHop(t *testing.T) {
	for _, name := range HopByHop {
		for _, spelling := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
			if k := kindOf([]byte(spelling)); k == kindOther || k == kindHost || k == kindContentLength || k == kindExpect {
				t.Errorf("%s: kind %d, want a hop-by-hop kind", spelling, k)
			}
		}
	}
}
