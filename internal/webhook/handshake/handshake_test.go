package handshake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
	"github.com/hookrelay/hookrelay/proto"
)

func mustNew(t testing.TB, c handshake.Config) *handshake.Responder {
	t.Helper()
	r, err := handshake.New(c)
	if err != nil {
		t.Fatalf("New(%v): %v", c, err)
	}
	return r
}

func (v vector) head() handshake.Head {
	return handshake.Head{Method: v.method, RawQuery: v.query, Header: v.header}
}

func TestAnswer(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			res := mustNew(t, v.cfg).Answer(v.head(), []byte(v.body), testNow)
			if res.Outcome != v.outcome || res.Kind != v.kind {
				t.Fatalf("Answer = %v %v (%q), want %v %v", res.Outcome, res.Kind, res.Reason, v.outcome, v.kind)
			}
			checkNoSecret(t, res.Reason)
			switch v.outcome {
			case handshake.Answered:
				checkAnswer(t, v, res.Render("req_1"))
			case handshake.Refused:
				checkRefusal(t, v, res.Render("req_1"))
			default:
				if v.kind != 0 && res.Reason == "" {
					t.Errorf("a declined %v handshake has no reason", v.kind)
				}
			}
		})
	}
}

func checkAnswer(t *testing.T, v vector, resp handshake.Response) {
	t.Helper()
	if resp.Status != v.status || string(resp.Body) != v.answer {
		t.Fatalf("answer = %d %q, want %d %q", resp.Status, resp.Body, v.status, v.answer)
	}
	want := map[string]string{
		"Content-Type": v.ctype, "X-Content-Type-Options": "nosniff",
		"Cache-Control": "no-store", "Content-Length": strconv.Itoa(len(v.answer)),
	}
	checkHeader(t, resp.Header, want)
}

func checkRefusal(t *testing.T, v vector, resp handshake.Response) {
	t.Helper()
	checkHeader(t, resp.Header, map[string]string{
		"Content-Type": "application/json", proto.HeaderError: string(v.code),
		proto.HeaderRequestID: "req_1", "Content-Length": strconv.Itoa(len(resp.Body)),
	})
	var body struct {
		Error struct{ Code, Message, RequestID string } `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("refusal body %q: %v", resp.Body, err)
	}
	e := body.Error
	if resp.Status != v.status || e.Code != string(v.code) || e.Message == "" {
		t.Fatalf("refusal = %d %+v, want %d %s", resp.Status, e, v.status, v.code)
	}
	checkNoSecret(t, string(resp.Body))
}

func checkHeader(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got := h.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

// checkNoSecret fails when s repeats any of the test tunnels' secrets.
func checkNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{slackSecret, metaToken, zoomSecret, twitterSecret} {
		if strings.Contains(s, secret) {
			t.Errorf("%q repeats a secret", s)
		}
	}
}

// TestWrite checks the http.ResponseWriter form against Render.
func TestWrite(t *testing.T) {
	r := mustNew(t, allKinds)
	for _, v := range vectors[:1] {
		res := r.Answer(v.head(), []byte(v.body), testNow)
		rec := httptest.NewRecorder()
		if err := res.Write(rec, "req_1"); err != nil {
			t.Fatal(err)
		}
		want := res.Render("req_1")
		if rec.Code != want.Status || rec.Body.String() != string(want.Body) ||
			rec.Header().Get("Content-Type") != want.Header.Get("Content-Type") {
			t.Fatalf("Write = %d %q %v, want %+v", rec.Code, rec.Body, rec.Header(), want)
		}
	}
	rec := httptest.NewRecorder()
	if err := (handshake.Result{}).Write(rec, "req_1"); err != nil || rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Fatalf("a Pass wrote %d %q", rec.Code, rec.Body)
	}
}

// TestAnswerDoesNotKeepBody checks that the echo owns its bytes: a caller
// reusing its body buffer cannot change an answer already made.
func TestAnswerDoesNotKeepBody(t *testing.T) {
	body := []byte(slackVerify)
	res := mustNew(t, allKinds).Answer(handshake.Head{Method: "POST"}, body, testNow)
	for i := range body {
		body[i] = 'x'
	}
	if got := string(res.Answer.Body); got != slackChallenge {
		t.Fatalf("answer changed with the body buffer: %q", got)
	}
}

// TestOrder checks that kinds are tried in the configured order.
func TestOrder(t *testing.T) {
	head := handshake.Head{Method: "GET", RawQuery: metaQuery + "&challenge=abc123"}
	for _, tc := range []struct {
		first handshake.Kind
		kinds []handshake.Kind
	}{
		{handshake.Meta, []handshake.Kind{handshake.Meta, handshake.Dropbox}},
		{handshake.Dropbox, []handshake.Kind{handshake.Dropbox, handshake.Meta}},
	} {
		c := handshake.Config{Kinds: tc.kinds, MetaVerifyToken: metaToken}
		if got := mustNew(t, c).Answer(head, nil, testNow).Kind; got != tc.first {
			t.Errorf("%v answered by %v, want %v", tc.kinds, got, tc.first)
		}
	}
}

func TestNilResponder(t *testing.T) {
	r := mustNew(t, handshake.Config{})
	if r != nil {
		t.Fatalf("New of no kinds = %v, want nil", r)
	}
	if res := r.Answer(handshake.Head{Method: "GET", RawQuery: dropboxQuery}, nil, testNow); res.Outcome != handshake.Pass || res.Kind != 0 {
		t.Fatalf("nil Responder answered %+v", res)
	}
}

// TestResponderString checks that formatting a Responder never prints a secret.
func TestResponderString(t *testing.T) {
	r := mustNew(t, signedAll)
	for _, s := range []string{fmt.Sprintf("%v", r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), r.String()} {
		checkNoSecret(t, s)
		if !strings.Contains(s, "meta:***") {
			t.Errorf("Responder renders as %q", s)
		}
	}
}
