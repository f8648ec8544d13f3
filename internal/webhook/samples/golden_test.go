package samples

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// goldenNow is the fixed clock of golden builds.
var goldenNow = time.Date(2025, 1, 1, 12, 0, 0, 123456789, time.UTC)

// TestBuildGolden pins every sample's headers and body, built with a
// seeded random source. Run with -update after changing a template.
func TestBuildGolden(t *testing.T) {
	for _, e := range List() {
		t.Run(e.Provider+"/"+e.Name, func(t *testing.T) {
			rnd := rand.New(rand.NewChaCha8([32]byte{1}))
			body, h, err := build(e.Provider, e.Name, goldenNow, nil, rnd)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			var out bytes.Buffer
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range h {
					if !yield(k) {
						return
					}
				}
			})
			for _, k := range keys {
				out.WriteString(k + ": " + h.Get(k) + "\n")
			}
			out.WriteString("\n")
			out.Write(body)
			out.WriteString("\n")
			checkGolden(t, e.Provider+"_"+strings.ReplaceAll(e.Name, "/", "_")+".golden", out.Bytes())
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
