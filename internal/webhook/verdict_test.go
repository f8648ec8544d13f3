package webhook_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

var verdictCases = []struct {
	v    webhook.Verdict
	text string
	json string
}{
	{webhook.Verdict{}, "", `{"provider":"","ok":false}`},
	{webhook.Verdict{Provider: "github", OK: true}, "github; ok", `{"provider":"github","ok":true}`},
	{webhook.Verdict{Provider: "stripe", Reason: webhook.ReasonTimestampTooOld},
		"stripe; failed=timestamp_too_old", `{"provider":"stripe","ok":false,"reason":"timestamp_too_old"}`},
	{webhook.Verdict{Provider: "hmac", Reason: webhook.ReasonMissingHeader},
		"hmac; failed=missing_header", `{"provider":"hmac","ok":false,"reason":"missing_header"}`},
}

func TestVerdictString(t *testing.T) {
	for _, tc := range verdictCases {
		t.Run(tc.text, func(t *testing.T) {
			if got := tc.v.String(); got != tc.text {
				t.Errorf("String = %q, want %q", got, tc.text)
			}
			b, err := json.Marshal(tc.v)
			if err != nil || string(b) != tc.json {
				t.Errorf("Marshal = %s, %v; want %s", b, err, tc.json)
			}
			back, err := webhook.ParseVerdict(tc.text)
			if err != nil || back != tc.v {
				t.Errorf("ParseVerdict = %+v, %v; want %+v", back, err, tc.v)
			}
		})
	}
}

var badVerdicts = []string{"github", "github; maybe", "github; failed=", " github; ok",
	"github; failed=a b", "github; failed=a;b"}

func TestParseVerdictErrors(t *testing.T) {
	for _, s := range badVerdicts {
		t.Run(s, func(t *testing.T) {
			if v, err := webhook.ParseVerdict(s); !errors.Is(err, webhook.ErrBadVerdict) {
				t.Errorf("ParseVerdict = %+v, %v; want ErrBadVerdict", v, err)
			}
		})
	}
}

func FuzzParseVerdict(f *testing.F) {
	for _, tc := range verdictCases {
		f.Add(tc.text)
	}
	for _, s := range badVerdicts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := webhook.ParseVerdict(s)
		if err != nil {
			return
		}
		again, err := webhook.ParseVerdict(v.String())
		if err != nil || again != v {
			t.Errorf("round trip of %q: %+v -> %q -> %+v, %v", s, v, v.String(), again, err)
		}
	})
}
