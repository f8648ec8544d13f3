package handshake_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

// signedAll answers every kind, Slack only when signed.
var signedAll = func() handshake.Config {
	c := allKinds
	c.SlackSigningSecret = slackSecret
	return c
}()

// FuzzAnswer feeds arbitrary requests to tunnels answering every kind and
// checks that nothing panics and that every answer is one the provider's
// documented shape calls for, recomputed here independently.
func FuzzAnswer(f *testing.F) {
	for _, v := range vectors {
		h := v.header
		if h == nil {
			h = http.Header{}
		}
		f.Add(v.method, v.query, h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature"), v.body)
	}
	tunnels := []*handshake.Responder{mustNew(f, allKinds), mustNew(f, signedAll)}
	f.Fuzz(func(t *testing.T, method, query, ts, sig, body string) {
		h := http.Header{}
		h.Set("X-Slack-Request-Timestamp", ts)
		h.Set("X-Slack-Signature", sig)
		head := handshake.Head{Method: method, RawQuery: query, Header: h}
		for _, r := range tunnels {
			res := r.Answer(head, []byte(body), testNow)
			checkFuzzResult(t, head, body, res)
		}
	})
}

func checkFuzzResult(t *testing.T, head handshake.Head, body string, res handshake.Result) {
	switch res.Outcome {
	case handshake.Pass:
		if res.Kind == 0 && res.Reason != "" {
			t.Fatalf("a plain pass has a reason: %q", res.Reason)
		}
	case handshake.Answered:
		want, ok := expected(res.Kind, head, body)
		resp := res.Render("")
		if !ok || !bytes.Equal(resp.Body, want) || resp.Status != http.StatusOK {
			t.Fatalf("%v answered %q to %s ?%s %q; its shape gives %q, %v", res.Kind, resp.Body, head.Method, head.RawQuery, body, want, ok)
		}
		if resp.Header.Get("Content-Length") != strconv.Itoa(len(resp.Body)) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("answer header %v", resp.Header)
		}
	case handshake.Refused:
		if res.Kind != handshake.Slack && res.Kind != handshake.Meta {
			t.Fatalf("%v refused a request", res.Kind)
		}
		if _, ok := expected(res.Kind, head, body); res.Kind == handshake.Slack && !ok {
			t.Fatalf("slack refused a request that is no url_verification: %q", body)
		}
	default:
		t.Fatalf("outcome %v", res.Outcome)
	}
	checkNoSecret(t, res.Reason)
}

// expected is the answer kind k's documented shape gives to a request, or
// false when the request does not have that shape. For meta it also checks
// the verify token.
func expected(k handshake.Kind, head handshake.Head, body string) ([]byte, bool) {
	q, qerr := url.ParseQuery(head.RawQuery)
	one := func(key string) (string, bool) {
		return q.Get(key), qerr == nil && len(q[key]) == 1 && q[key][0] != ""
	}
	get := head.Method == http.MethodGet && body == ""
	post := head.Method == http.MethodPost
	switch k {
	case handshake.Slack:
		obj, ok := fuzzObject(post, body)
		challenge, isString := obj["challenge"].(string)
		return []byte(challenge), ok && obj["type"] == "url_verification" && isString
	case handshake.Zoom:
		obj, ok := fuzzObject(post, body)
		payload, _ := obj["payload"].(map[string]any)
		plain, isString := payload["plainToken"].(string)
		m := hmac.New(sha256.New, []byte(zoomSecret))
		m.Write([]byte(plain))
		answer, _ := json.Marshal(map[string]string{"encryptedToken": hex.EncodeToString(m.Sum(nil)), "plainToken": plain})
		return reorderZoom(answer), ok && obj["event"] == "endpoint.url_validation" && isString
	case handshake.Meta:
		challenge, ok := one("hub.challenge")
		mode, _ := one("hub.mode")
		token, tokenOK := one("hub.verify_token")
		return []byte(challenge), get && ok && mode == "subscribe" && tokenOK && token == metaToken
	case handshake.Twitter:
		token, ok := one("crc_token")
		m := hmac.New(sha256.New, []byte(twitterSecret))
		m.Write([]byte(token))
		answer := `{"response_token":"sha256=` + base64.StdEncoding.EncodeToString(m.Sum(nil)) + `"}`
		return []byte(answer), get && ok
	case handshake.MSGraph:
		token, ok := one("validationToken")
		return []byte(token), post && ok
	case handshake.Dropbox:
		challenge, ok := one("challenge")
		return []byte(challenge), get && ok
	}
	return nil, false
}

// fuzzObject decodes a POST body of at most MaxBody bytes as a JSON object.
func fuzzObject(post bool, body string) (map[string]any, bool) {
	var obj map[string]any
	ok := post && len(body) <= handshake.MaxBody && json.Unmarshal([]byte(body), &obj) == nil && obj != nil
	return obj, ok
}

// reorderZoom puts plainToken first, as Zoom's documented answer has it
// (json.Marshal sorts map keys).
func reorderZoom(sorted []byte) []byte {
	var m map[string]string
	if json.Unmarshal(sorted, &m) != nil {
		return nil
	}
	p, _ := json.Marshal(m["plainToken"])
	e, _ := json.Marshal(m["encryptedToken"])
	return []byte(`{"plainToken":` + string(p) + `,"encryptedToken":` + string(e) + `}`)
}
