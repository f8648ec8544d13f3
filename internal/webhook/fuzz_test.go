package webhook_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

func FuzzParse(f *testing.F) {
	for _, tc := range parseGood {
		f.Add(tc.in)
	}
	for _, tc := range parseBad {
		f.Add(tc.in)
	}
	for _, v := range vectors {
		f.Add(v.spec(secretOld))
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := webhook.Parse(in)
		if err != nil {
			return
		}
		spec := webhook.Spec(s)
		if !strings.HasSuffix(spec, "***") {
			t.Fatalf("Spec %q does not end in the redacted secret", spec)
		}
		checkSignVerify(t, s)
		if s.Provider() == "standardwebhooks" {
			return // "***" is not a base64 key
		}
		again, err := webhook.Parse(spec)
		if err != nil || webhook.Spec(again) != spec {
			t.Fatalf("Spec round trip: %q -> %v, %v", spec, again, err)
		}
	})
}

// checkSignVerify signs a body with s and expects s to accept it.
func checkSignVerify(t *testing.T, s webhook.Scheme) {
	t.Helper()
	h := http.Header{}
	if err := s.Sign(h, testBody, testNow, ""); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if v := s.Verify(h, testBody, testNow); !v.OK {
		t.Fatalf("%s: Verify after Sign = %+v", webhook.Spec(s), v)
	}
}

// Header names the fuzzed values are written to, by role.
var (
	fuzzSigHeaders = []string{"X-Boostgpt-Signature", "X-Webhook-Token", "X-Mga-Signature",
		"X-Chatbase-Signature", "Nexus-Signature", "Stripe-Signature", "X-Hub-Signature-256",
		"X-Slack-Signature", "X-Shopify-Hmac-Sha256", "Webhook-Signature", "Svix-Signature",
		"X-Sig", "X-Api-Token"}
	fuzzTSHeaders = []string{"X-Slack-Request-Timestamp", "Webhook-Timestamp", "Svix-Timestamp", "X-Ts"}
	fuzzIDHeaders = []string{"Webhook-Id", "Svix-Id", "X-Id", "X-Github-Delivery", "X-Shopify-Webhook-Id"}
)

// firstOf returns the first of names present in h.
func firstOf(h http.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

func FuzzVerify(f *testing.F) {
	var schemes []webhook.Scheme
	for _, v := range vectors {
		schemes = append(schemes, mustParse(f, v.spec(secretOld)))
		for _, tc := range verifyCases(v) {
			h := tc.header
			f.Add(firstOf(h, fuzzSigHeaders), firstOf(h, fuzzTSHeaders), firstOf(h, fuzzIDHeaders), tc.body)
		}
	}
	f.Fuzz(func(t *testing.T, sig, ts, id string, body []byte) {
		h := http.Header{}
		setAll(h, fuzzSigHeaders, sig)
		setAll(h, fuzzTSHeaders, ts)
		setAll(h, fuzzIDHeaders, id)
		for _, s := range schemes {
			checkVerdict(t, s, s.Verify(h, body, testNow))
			_ = s.EventID(h, body)
		}
	})
}

func setAll(h http.Header, names []string, value string) {
	for _, n := range names {
		h.Set(n, value)
	}
}

// checkVerdict requires a verdict of s's provider that is either OK or
// carries a known reason.
func checkVerdict(t *testing.T, s webhook.Scheme, v webhook.Verdict) {
	t.Helper()
	known := map[string]bool{webhook.ReasonMissingHeader: true, webhook.ReasonMalformedHeader: true,
		webhook.ReasonBadTimestamp: true, webhook.ReasonBadSignature: true, webhook.ReasonTimestampTooOld: true}
	if v.Provider != s.Provider() || v.OK == known[v.Reason] || (v.OK && v.Reason != "") {
		t.Fatalf("%s: odd verdict %+v", webhook.Spec(s), v)
	}
}
