package webhook_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// npmDir holds the official verification libraries (svix, standardwebhooks),
// installed by `npm ci` there (.ci/run does it).
const npmDir = "testdata/npm"

// needNpm skips the test when node or the npm packages are missing, except in CI
// (CI=true), where that is a failure.
func needNpm(t *testing.T) {
	t.Helper()
	msg := ""
	if _, err := exec.LookPath("node"); err != nil {
		msg = "node (apt-get install nodejs npm)"
	} else if _, err := os.Stat(filepath.Join(npmDir, "node_modules/svix/package.json")); err != nil {
		msg = "the svix and standardwebhooks npm packages (cd internal/webhook/testdata/npm && npm ci)"
	}
	if msg == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("test needs " + msg)
	}
	t.Skip("test needs " + msg)
}

// libraryVerdicts asks the official npm libraries about one delivery.
func libraryVerdicts(t *testing.T, secret string, h http.Header, body []byte) map[string]string {
	t.Helper()
	flat := map[string]string{}
	for k, vs := range h {
		flat[k] = vs[0]
	}
	in, _ := json.Marshal(map[string]any{"secret": secret, "headers": flat,
		"body": base64.StdEncoding.EncodeToString(body)})
	cmd := exec.Command("node", "verify.cjs")
	cmd.Dir, cmd.Stdin = npmDir, bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node verify.cjs: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node verify.cjs output %q: %v", out, err)
	}
	return got
}

// TestResignOfficialLibraries re-signs each header family and checks the result with
// the official svix and standardwebhooks npm packages. svix must accept every
// re-signed delivery; standardwebhooks reads only webhook-* names, so it is asked only
// where those are present.
func TestResignOfficialLibraries(t *testing.T) {
	needNpm(t)
	if got := libraryVerdicts(t, vectorSecret, resignCases()["svix"], []byte(vectorBody)); got["svix"] == "ok" {
		t.Fatalf("the libraries accepted a 2021 timestamp: %v", got) // proves they really check
	}
	edited := []byte(`{"type":"invoice.paid","data":{"amount":4200}}`)
	for name, h := range resignCases() {
		t.Run(name, func(t *testing.T) {
			if err := mustParse(t, "standardwebhooks:"+vectorSecret).Sign(h, edited, time.Now(), ""); err != nil {
				t.Fatal(err)
			}
			got := libraryVerdicts(t, vectorSecret, h, edited)
			if got["svix"] != "ok" {
				t.Errorf("svix library: %s (headers %v)", got["svix"], h)
			}
			if h.Get("Webhook-Signature") != "" && got["standardwebhooks"] != "ok" {
				t.Errorf("standardwebhooks library: %s", got["standardwebhooks"])
			}
		})
	}
}
