package samples_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/internal/webhook/samples"
)

var testNow = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// testSpecs configures one scheme per provider for signing samples.
var testSpecs = map[string]string{
	"boostgpt":         "boostgpt:bg-secret",
	"sitegpt":          "sitegpt:abc-messages-xyz",
	"mygptassistants":  "mygptassistants:mga-secret",
	"chatbase":         "chatbase:cb-secret",
	"nexusgpt":         "nexusgpt:nexus-signature=mysecret",
	"stripe":           "stripe:whsec_test",
	"github":           "github:gh-secret",
	"slack":            "slack:8f742231b10e8888abcd99yyyzzz85a5",
	"shopify":          "shopify:shpss_secret",
	"standardwebhooks": "standardwebhooks:whsec_" + base64.StdEncoding.EncodeToString([]byte("sw-secret")),
}

// idProviders carry an event id in every delivery.
var idProviders = []string{"mygptassistants", "stripe", "github", "shopify", "standardwebhooks"}

func TestList(t *testing.T) {
	events := samples.List()
	if len(events) != 28 {
		t.Errorf("List has %d events, want 28", len(events))
	}
	sorted := slices.IsSortedFunc(events, func(a, b samples.Event) int {
		return strings.Compare(a.Provider+"\x00"+a.Name, b.Provider+"\x00"+b.Name)
	})
	if !sorted {
		t.Error("List is not sorted by provider then name")
	}
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Provider] = true
		if e.Path != "/webhooks/"+e.Provider || e.Description == "" {
			t.Errorf("incomplete event %+v", e)
		}
	}
	for _, p := range webhook.Providers() {
		if !seen[p] {
			t.Errorf("provider %s has no sample", p)
		}
	}
}

// TestBuildSignVerify builds every sample, signs it and verifies it.
func TestBuildSignVerify(t *testing.T) {
	for _, e := range samples.List() {
		t.Run(e.Provider+"/"+e.Name, func(t *testing.T) {
			scheme, err := webhook.Parse(testSpecs[e.Provider])
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			body, h, err := samples.Build(e.Provider, e.Name, testNow, nil)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if err := scheme.Sign(h, body, testNow, ""); err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if v := scheme.Verify(h, body, testNow); !v.OK {
				t.Errorf("Verify = %+v", v)
			}
			if slices.Contains(idProviders, e.Provider) && scheme.EventID(h, body) == "" {
				t.Error("no event id")
			}
			checkCompactJSON(t, body)
		})
	}
}

// checkCompactJSON requires body to be valid compact JSON.
func checkCompactJSON(t *testing.T, body []byte) {
	t.Helper()
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if !bytes.Equal(compact.Bytes(), body) {
		t.Errorf("body is not compact: %s", body)
	}
}

func TestBuildFresh(t *testing.T) {
	a, ha, _ := samples.Build("stripe", "", testNow, nil)
	b, hb, _ := samples.Build("STRIPE", "payment_intent.succeeded", testNow.Add(time.Hour), nil)
	if bytes.Equal(a, b) {
		t.Error("two builds gave the same body")
	}
	if ha.Get("User-Agent") != hb.Get("User-Agent") || ha.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("headers differ: %v %v", ha, hb)
	}
	if !bytes.Contains(b, []byte(`"created":1735736400`)) {
		t.Errorf("created is not now: %s", b)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		provider, event string
		sets            []string
		want            error
	}{
		{"gitlab", "push", nil, samples.ErrUnknownProvider},
		{"github", "issues", nil, samples.ErrUnknownEvent},
		{"github", "push", []string{"ref"}, samples.ErrBadSet},
	} {
		t.Run(tc.provider+"/"+tc.event, func(t *testing.T) {
			if _, _, err := samples.Build(tc.provider, tc.event, testNow, tc.sets); !errors.Is(err, tc.want) {
				t.Errorf("Build = %v, want %v", err, tc.want)
			}
		})
	}
}
