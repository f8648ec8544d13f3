package webhook_test

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/webhook"
)

// verifyCase is one row: a delivery and the verdict reason it must get
// ("" means OK).
type verifyCase struct {
	name   string
	header http.Header
	body   []byte
	reason string
}

// verifyCases expands a vector into its rows.
func verifyCases(v vector) []verifyCase {
	ts := testNow.Unix()
	tamperReason := webhook.ReasonBadSignature
	if !v.coversBody {
		tamperReason = ""
	}
	cases := []verifyCase{
		{"valid", v.sign(secretOld, testBody, ts), testBody, ""},
		{"wrong secret", v.sign(secretWrong, testBody, ts), testBody, webhook.ReasonBadSignature},
		{"tampered body", v.sign(secretOld, testBody, ts), flipByte(testBody), tamperReason},
		{"missing header", http.Header{}, testBody, webhook.ReasonMissingHeader},
		{"lowercase header map", lowercaseKeys(v.sign(secretOld, testBody, ts)), testBody, ""},
	}
	if v.stamped {
		cases = append(cases,
			verifyCase{"within tolerance", v.sign(secretOld, testBody, ts-90), testBody, ""},
			verifyCase{"stale", v.sign(secretOld, testBody, ts-600), testBody, webhook.ReasonTimestampTooOld},
			verifyCase{"future", v.sign(secretOld, testBody, ts+600), testBody, webhook.ReasonTimestampTooOld},
			verifyCase{"stale and wrong", v.sign(secretWrong, testBody, ts-600), testBody, webhook.ReasonBadSignature})
	}
	if v.badTS != nil {
		cases = append(cases, verifyCase{"bad timestamp", v.badTS(secretOld, testBody), testBody, webhook.ReasonBadTimestamp})
	}
	if v.malformed != nil {
		cases = append(cases, verifyCase{"malformed", v.malformed, testBody, webhook.ReasonMalformedHeader})
	}
	return cases
}

// lowercaseKeys rebuilds h with non-canonical keys, as a hand-built or
// recorded header map may have.
func lowercaseKeys(h http.Header) http.Header {
	out := http.Header{}
	for k, vs := range h {
		out[strings.ToLower(k)] = vs
	}
	return out
}

func TestVerify(t *testing.T) {
	for _, v := range vectors {
		scheme := mustParse(t, v.spec(secretOld))
		for _, tc := range verifyCases(v) {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				got := scheme.Verify(tc.header, tc.body, testNow)
				want := webhook.Verdict{Provider: v.provider, OK: tc.reason == "", Reason: tc.reason}
				if got != want {
					t.Errorf("Verify = %+v, want %+v", got, want)
				}
			})
		}
	}
}

func TestVerifyRotation(t *testing.T) {
	for _, v := range vectors {
		set := webhook.NewSet(mustParse(t, v.spec(secretOld)), mustParse(t, v.spec(secretNew)))
		for _, tc := range []struct {
			secret string
			ok     bool
		}{{secretOld, true}, {secretNew, true}, {secretWrong, false}} {
			t.Run(v.name+"/"+tc.secret, func(t *testing.T) {
				got := set.Verify(v.sign(tc.secret, testBody, testNow.Unix()), testBody, testNow)
				if got.OK != tc.ok || got.Provider != v.provider {
					t.Errorf("Verify = %+v, want ok=%v", got, tc.ok)
				}
			})
		}
	}
}

func TestSignRoundTrip(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			scheme := mustParse(t, v.spec(secretOld))
			h := http.Header{}
			if err := scheme.Sign(h, testBody, testNow, "given-id"); err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got := scheme.Verify(h, testBody, testNow.Add(time.Minute)); !got.OK {
				t.Errorf("Verify after Sign = %+v (headers %v)", got, h)
			}
		})
	}
}

func TestEventID(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			scheme := mustParse(t, v.spec(secretOld))
			h := v.sign(secretOld, testBody, testNow.Unix())
			if got := scheme.EventID(h, testBody); got != v.eventID {
				t.Errorf("EventID = %q, want %q", got, v.eventID)
			}
		})
	}
}

func TestEventIDBodies(t *testing.T) {
	stripe := mustParse(t, "stripe:k")
	for _, tc := range []struct {
		name, body, want string
	}{
		{"string id", `{"id":"evt_1","object":"event"}`, "evt_1"},
		{"nested id ignored", `{"data":{"id":"x"}}`, ""},
		{"numeric id", `{"id":42}`, ""},
		{"not json", `id=evt_1`, ""},
		{"array", `[{"id":"evt_1"}]`, ""},
		{"empty", ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stripe.EventID(http.Header{}, []byte(tc.body)); got != tc.want {
				t.Errorf("EventID = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPublishedVectors checks example signatures published in the senders'
// own documentation.
func TestPublishedVectors(t *testing.T) {
	const slackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V" +
		"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" +
		"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
		"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	for _, tc := range []struct {
		name, spec, body string
		header           http.Header
		now              time.Time
	}{
		{"github", "github:It's a Secret to Everybody", "Hello, World!",
			headers("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
			testNow},
		{"slack", "slack:8f742231b10e8888abcd99yyyzzz85a5", slackBody,
			headers("X-Slack-Request-Timestamp", "1531420618",
				"X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
			time.Unix(1531420618, 0)},
		{"standardwebhooks", "standardwebhooks:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `{"test": 2432232314}`,
			headers("Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "Webhook-Timestamp", "1614265330",
				"Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
			time.Unix(1614265330, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustParse(t, tc.spec).Verify(tc.header, []byte(tc.body), tc.now); !got.OK {
				t.Errorf("Verify = %+v", got)
			}
		})
	}
}

// TestBoostGPTRawBody shows why boostgpt is verified over the raw bytes: a
// pretty-printed body re-serialised compactly no longer matches.
func TestBoostGPTRawBody(t *testing.T) {
	pretty := []byte("{\n  \"event\": \"chat.message\"\n}")
	compact := []byte(`{"event":"chat.message"}`)
	scheme := mustParse(t, "boostgpt:k")
	h := headers("X-Boostgpt-Signature", hexMAC(sha256.New, "k", string(pretty)))
	if got := scheme.Verify(h, pretty, testNow); !got.OK {
		t.Errorf("raw body: %+v", got)
	}
	if got := scheme.Verify(h, compact, testNow); got.OK {
		t.Errorf("re-serialised body verified: %+v", got)
	}
}
