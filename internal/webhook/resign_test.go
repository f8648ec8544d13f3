package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The published Standard Webhooks / Svix test vector (from the libraries' own tests).
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = "1614265330"
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// svixLibraryVerify reproduces the official svix library's Webhook.verify (svix 1.x
// webhook.ts delegating to standardwebhooks 1.x): header names lower-cased; id,
// timestamp and signature each read from svix-* first and from webhook-* only when the
// svix-* header is absent; the key is the base64 after "whsec_"; the signed content is
// "id.timestamp.body"; any space-separated "v1,<base64>" entry may match; the timestamp
// must lie within 5 minutes of now.
func svixLibraryVerify(secret string, h http.Header, body []byte, now time.Time) bool {
	lower := map[string]string{}
	for k, vs := range h {
		lower[strings.ToLower(k)] = vs[0]
	}
	pick := func(name string) string {
		if v, ok := lower["svix-"+name]; ok {
			return v
		}
		return lower["webhook-"+name]
	}
	id, ts, sigs := pick("id"), pick("timestamp"), pick("signature")
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	unix, tsErr := strconv.ParseInt(ts, 10, 64)
	if err != nil || tsErr != nil || id == "" {
		return false
	}
	if d := now.Unix() - unix; d > 300 || d < -300 {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

// TestSvixLibraryReproduction checks the reproduction against the published vector in
// both dialects, so that a pass below means what the library would say.
func TestSvixLibraryReproduction(t *testing.T) {
	at := time.Unix(1614265330, 0)
	for _, dialect := range []string{"webhook", "svix"} {
		h := headers(dialect+"-id", vectorID, dialect+"-timestamp", vectorTS, dialect+"-signature", vectorSig)
		if !svixLibraryVerify(vectorSecret, h, []byte(vectorBody), at) {
			t.Errorf("%s: published vector rejected by the reproduction", dialect)
		}
		if svixLibraryVerify(vectorSecret, h, []byte(vectorBody+" "), at) {
			t.Errorf("%s: tampered body accepted by the reproduction", dialect)
		}
	}
}

// resignCases are deliveries as senders send them, each signed with the vector secret
// at the vector's time: Svix's svix-* names, the standard webhook-* names, both, and
// lower-case names as a hand edit may leave them.
func resignCases() map[string]http.Header {
	return map[string]http.Header{
		"svix":    headers("Svix-Id", vectorID, "Svix-Timestamp", vectorTS, "Svix-Signature", vectorSig),
		"webhook": headers("Webhook-Id", vectorID, "Webhook-Timestamp", vectorTS, "Webhook-Signature", vectorSig),
		"both": headers("Svix-Id", vectorID, "Svix-Timestamp", vectorTS, "Svix-Signature", vectorSig,
			"Webhook-Id", vectorID, "Webhook-Timestamp", vectorTS, "Webhook-Signature", vectorSig),
		"lower-case svix": {"svix-id": {vectorID}, "svix-timestamp": {vectorTS}, "svix-signature": {vectorSig}},
	}
}

// TestResignKeepsDialect re-signs an edited body and checks the result the way the
// official svix library and the relay both would: no stale header of the family the
// delivery came with may survive.
func TestResignKeepsDialect(t *testing.T) {
	now := time.Unix(1614265330, 0).Add(time.Hour) // the original is an hour old
	edited := []byte(`{"test": 1}`)
	for name, h := range resignCases() {
		t.Run(name, func(t *testing.T) {
			had := familiesOf(h)
			scheme := mustParse(t, "standardwebhooks:"+vectorSecret)
			if err := scheme.Sign(h, edited, now, ""); err != nil {
				t.Fatal(err)
			}
			if !svixLibraryVerify(vectorSecret, h, edited, now) {
				t.Errorf("svix library would reject the re-signed delivery: %v", h)
			}
			if v := scheme.Verify(h, edited, now); !v.OK {
				t.Errorf("relay verdict %v", v)
			}
			if got := familiesOf(h); got != had {
				t.Errorf("header families %q, want %q (headers %v)", got, had, h)
			}
			for k, vs := range h {
				if len(vs) != 1 || strings.Contains(vs[0], vectorSig) || vs[0] == vectorTS {
					t.Errorf("stale or repeated %s: %q", k, vs)
				}
			}
		})
	}
}

// TestSignFreshUsesStandardNames: signing a delivery that has no Standard Webhooks
// header (trigger) writes the standard names only.
func TestSignFreshUsesStandardNames(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}}
	if err := mustParse(t, "standardwebhooks:"+vectorSecret).Sign(h, testBody, testNow, "msg_1"); err != nil {
		t.Fatal(err)
	}
	if got := familiesOf(h); got != "webhook" {
		t.Errorf("families %q, want webhook", got)
	}
}

// familiesOf names the Standard Webhooks header families present in h.
func familiesOf(h http.Header) string {
	var fams []string
	for _, f := range []string{"svix", "webhook"} {
		for k := range h {
			if strings.HasPrefix(strings.ToLower(k), f+"-") {
				fams = append(fams, f)
				break
			}
		}
	}
	return strings.Join(fams, "+")
}
