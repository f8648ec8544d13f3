package handshake_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

// passStatus marks a request the test handler would have delivered.
const passStatus = http.StatusTeapot

// handlerFor answers r's handshakes the way an ingress does: read the body
// (bounded), ask the Responder, write its answer or deliver.
func handlerFor(r *handshake.Responder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, handshake.MaxBody+1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		head := handshake.Head{Method: req.Method, RawQuery: req.URL.RawQuery, Header: req.Header}
		res := r.Answer(head, body, testNow)
		if res.Outcome == handshake.Pass {
			w.WriteHeader(passStatus)
			return
		}
		_ = res.Write(w, "req_1")
	})
}

// TestOverHTTP sends every vector through a real listener and compares what
// arrives on the wire with the expected answer.
func TestOverHTTP(t *testing.T) {
	for _, v := range vectors {
		if len(v.body) > handshake.MaxBody {
			continue // the test handler reads no further; an ingress decides that itself
		}
		t.Run(v.name, func(t *testing.T) {
			srv := httptest.NewServer(handlerFor(mustNew(t, v.cfg)))
			defer srv.Close()
			resp := send(t, srv.URL, v)
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			switch v.outcome {
			case handshake.Pass:
				if resp.StatusCode != passStatus {
					t.Fatalf("status %d, want the request delivered", resp.StatusCode)
				}
			case handshake.Answered:
				if resp.StatusCode != v.status || string(got) != v.answer || resp.Header.Get("Content-Type") != v.ctype {
					t.Fatalf("got %d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), got, v.status, v.ctype, v.answer)
				}
			case handshake.Refused:
				if resp.StatusCode != v.status || !strings.Contains(string(got), `"code":"`+string(v.code)+`"`) {
					t.Fatalf("got %d %q, want %d %s", resp.StatusCode, got, v.status, v.code)
				}
			}
		})
	}
}

func send(t *testing.T, base string, v vector) *http.Response {
	t.Helper()
	url := base + "/hook"
	if v.query != "" {
		url += "?" + v.query
	}
	var body io.Reader
	if v.body != "" {
		body = strings.NewReader(v.body)
	}
	req, err := http.NewRequest(v.method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range v.header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
