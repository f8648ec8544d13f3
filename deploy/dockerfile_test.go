package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerfile checks the instructions the deployment guide and compose file rely on.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		"FROM golang:1.26",
		"CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/relay-server ./relay-server",
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"VOLUME /data",
		"EXPOSE 80 443",
		"USER nonroot:nonroot",
		`CMD ["/relay-server", "healthcheck"]`,
		`ENTRYPOINT ["/relay-server", "--data", "/data"]`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// TestDockerignoreKeepsSources checks the build context keeps what the build embeds.
func TestDockerignoreKeepsSources(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	keep := []string{"go.mod", "go.sum", "relay-server/main.go", "internal/store/sqlite/migrations/0001_init.sql",
		"internal/webhook/samples/templates/github/ping.json"}
	drop := []string{".git", ".env", "hookrelay-data", "relay-server/run_test.go"}
	patterns := ignorePatterns(string(b))
	for _, p := range keep {
		if ignored(patterns, p) {
			t.Errorf("%s is excluded from the build context", p)
		}
	}
	for _, p := range drop {
		if !ignored(patterns, p) {
			t.Errorf("%s is sent to the build context", p)
		}
	}
}

func ignorePatterns(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.TrimSuffix(line, "/"))
		}
	}
	return out
}

// ignored approximates Docker's matching: a pattern matches the path or one of its
// parent directories; a leading **/ matches at any depth.
func ignored(patterns []string, path string) bool {
	for _, pat := range patterns {
		anyDepth := strings.HasPrefix(pat, "**/")
		pat = strings.TrimPrefix(pat, "**/")
		parts := strings.Split(path, "/")
		for i := range parts {
			for j := i + 1; j <= len(parts); j++ {
				if (i == 0 || anyDepth) && match(pat, strings.Join(parts[i:j], "/")) {
					return true
				}
			}
		}
	}
	return false
}

func match(pattern, name string) bool {
	ok, _ := filepath.Match(pattern, name)
	return ok
}
