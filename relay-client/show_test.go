package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
)

// TestRequestsShowTries: requests show lists the delivery's attempt at the client.
func TestRequestsShowTries(t *testing.T) {
	e := newEnv(t, "")
	resp, err := http.Post(e.url+"/t/hook/attempted", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var rec api.Record
	for deadline := time.Now().Add(time.Minute); len(rec.Tries) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the record never got its attempt: %+v", rec)
		}
		rec = e.lastRecord(t)
	}
	out := e.cli(t, "requests", "show", rec.ID)
	if !strings.Contains(out, "Attempts:\n  #1 ") || !strings.Contains(out, ", primary, status 200, ") {
		t.Errorf("requests show does not list the attempt:\n%s", out)
	}
	var js map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.cli(t, "requests", "show", rec.ID, "--json")), &js); err != nil || js["tries"] == nil {
		t.Errorf("requests show --json has no tries: %v\n%s", err, js["tries"])
	}
}

func TestPrintTries(t *testing.T) {
	tests := []struct {
		name  string
		tries []api.Try
		want  string
	}{
		{"none", nil, ""},
		{"label, error", []api.Try{{N: 1, Label: "ana", ClientID: "c-1", Role: "primary", Status: 502, DurationMS: 12.34,
			Error: "local_unreachable"}}, "Attempts:\n  #1 ana, primary, status 502, 12.3 ms, local_unreachable\n"},
		{"client id, no status", []api.Try{{N: 2, ClientID: "c-1", Role: "mirror", DurationMS: 1}},
			"Attempts:\n  #2 c-1, mirror, status -, 1.0 ms\n"},
		{"control characters", []api.Try{{N: 1, Label: "a\x1b[2Jb", Role: "queue", Status: 200, Error: "x\r\ny\xff"}},
			"Attempts:\n  #1 a?[2Jb, queue, status 200, 0.0 ms, x??y?\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printTries(&b, tt.tries)
			if b.String() != tt.want {
				t.Errorf("printTries = %q, want %q", b.String(), tt.want)
			}
		})
	}
}
