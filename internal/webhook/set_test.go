package webhook_test

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

func TestSetDisabled(t *testing.T) {
	var nilSet *webhook.Set
	for name, s := range map[string]*webhook.Set{
		"nil": nilSet, "empty": webhook.NewSet(), "nil scheme": webhook.NewSet(nil),
	} {
		t.Run(name, func(t *testing.T) {
			if s.Enabled() {
				t.Error("Enabled = true")
			}
			if v := s.Verify(http.Header{}, testBody, testNow); v != (webhook.Verdict{}) {
				t.Errorf("Verify = %+v, want zero", v)
			}
			if err := s.Sign(http.Header{}, testBody, testNow, ""); !errors.Is(err, webhook.ErrNoScheme) {
				t.Errorf("Sign = %v, want ErrNoScheme", err)
			}
			if id := s.EventID(http.Header{}, testBody); id != "" {
				t.Errorf("EventID = %q", id)
			}
			if s.String() != "" {
				t.Errorf("String = %q", s.String())
			}
		})
	}
}

func TestSetVerdictChoice(t *testing.T) {
	github := mustParse(t, "github:gh")
	stripe := mustParse(t, "stripe:st")
	slack := mustParse(t, "slack:sl")
	wrongStripe := stripeHeader("nope", testBody, itoa(testNow.Unix()))
	staleSlack := slackHeaders("sl", testBody, itoa(testNow.Unix()-3600))
	both := headers("X-Hub-Signature-256", "sha256=00",
		"X-Slack-Request-Timestamp", itoa(testNow.Unix()-3600),
		"X-Slack-Signature", staleSlack.Get("X-Slack-Signature"))
	for _, tc := range []struct {
		name    string
		schemes []webhook.Scheme
		header  http.Header
		want    webhook.Verdict
	}{
		{"bad signature beats missing header", []webhook.Scheme{github, stripe}, wrongStripe,
			webhook.Verdict{Provider: "stripe", Reason: webhook.ReasonBadSignature}},
		{"order does not matter", []webhook.Scheme{stripe, github}, wrongStripe,
			webhook.Verdict{Provider: "stripe", Reason: webhook.ReasonBadSignature}},
		{"all missing: first scheme", []webhook.Scheme{github, stripe}, http.Header{},
			webhook.Verdict{Provider: "github", Reason: webhook.ReasonMissingHeader}},
		{"stale beats malformed", []webhook.Scheme{github, slack}, both,
			webhook.Verdict{Provider: "slack", Reason: webhook.ReasonTimestampTooOld}},
		{"ok wins", []webhook.Scheme{github, stripe, slack}, slackHeaders("sl", testBody, itoa(testNow.Unix())),
			webhook.Verdict{Provider: "slack", OK: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := webhook.NewSet(tc.schemes...).Verify(tc.header, testBody, testNow); got != tc.want {
				t.Errorf("Verify = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSetSignAndEventID(t *testing.T) {
	set := webhook.NewSet(mustParse(t, "standardwebhooks:"+whsec("k")), mustParse(t, "github:g"))
	h := headers("X-GitHub-Delivery", githubID)
	if err := set.Sign(h, testBody, testNow, ""); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if v := set.Verify(h, testBody, testNow); v != (webhook.Verdict{Provider: "standardwebhooks", OK: true}) {
		t.Errorf("Verify = %+v", v)
	}
	if id := set.EventID(h, testBody); id != h.Get("Webhook-Id") || id == "" {
		t.Errorf("EventID = %q, want webhook-id %q", id, h.Get("Webhook-Id"))
	}
	if got, want := set.String(), "standardwebhooks:*** github:***"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestSignNilHeader(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			err := mustParse(t, v.spec(secretOld)).Sign(nil, testBody, testNow, "")
			if !errors.Is(err, webhook.ErrNilHeader) {
				t.Errorf("Sign(nil) = %v, want ErrNilHeader", err)
			}
		})
	}
}

func TestSetConcurrent(t *testing.T) {
	set := webhook.NewSet(mustParse(t, "github:a"), mustParse(t, "github:b"))
	h := headers("X-Hub-Signature-256", "sha256="+hexMAC(sha256.New, "b", string(testBody)))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v := set.Verify(h, testBody, testNow); !v.OK {
				t.Errorf("Verify = %+v", v)
			}
		})
	}
	wg.Wait()
}
