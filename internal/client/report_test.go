package client

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

func TestReporterJSONLines(t *testing.T) {
	var out bytes.Buffer
	r := &reporter{out: &out, json: true}
	target, _ := url.Parse("http://localhost:3000")
	r.online(&proto.Welcome{Tunnels: []proto.TunnelInfo{{Name: "hook", URLs: []string{"http://x/t/hook/"}, Missed: 2}}},
		[]string{target.String()})
	r.request(time.Unix(0, 0), "hook", "POST", "/w", 200, 1500*time.Microsecond)
	r.reconnecting(time.Second, errors.New("connection lost"))
	var events []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		events = append(events, m["event"].(string))
	}
	if got := strings.Join(events, ","); got != "online,tunnel,request,reconnecting" {
		t.Fatalf("events = %s", got)
	}
}

func TestReporterText(t *testing.T) {
	var out bytes.Buffer
	r := &reporter{out: &out}
	target, _ := url.Parse("http://localhost:3000")
	r.online(&proto.Welcome{Tunnels: []proto.TunnelInfo{{Name: "hook", URLs: []string{"a", "b"}, Missed: 3, Queued: 2}}},
		[]string{target.String()})
	want := "Session status: online\nForwarding  a  and  b  ->  http://localhost:3000\n" +
		"Missed 3 deliveries on hook while offline; 2 queued, delivering them now. Replay the other 1: relay-client replay --missed --name hook\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestMissedLine(t *testing.T) {
	for _, tt := range []struct {
		missed, queued int
		want           string
	}{
		{1, 0, "Missed 1 delivery on hook while offline. Replay them: relay-client replay --missed --name hook"},
		{2, 0, "Missed 2 deliveries on hook while offline. Replay them: relay-client replay --missed --name hook"},
		{1, 1, "Missed 1 delivery on hook while offline; queued, delivering now."},
		{3, 3, "Missed 3 deliveries on hook while offline; all 3 queued, delivering now."},
		{3, 1, "Missed 3 deliveries on hook while offline; 1 queued, delivering them now. Replay the other 2: relay-client replay --missed --name hook"},
	} {
		if got := missedLine(proto.TunnelInfo{Name: "hook", Missed: tt.missed, Queued: tt.queued}); got != tt.want {
			t.Errorf("missed %d queued %d:\n got %s\nwant %s", tt.missed, tt.queued, got, tt.want)
		}
	}
}

// TestDevHostFormFirst: a *.localhost host-form URL (relay-server --dev) is printed
// first: single-page apps with absolute asset paths work only there.
func TestDevHostFormFirst(t *testing.T) {
	var out bytes.Buffer
	r := &reporter{out: &out}
	target, _ := url.Parse("http://localhost:5173")
	r.online(&proto.Welcome{Tunnels: []proto.TunnelInfo{{Name: "web",
		URLs: []string{"http://127.0.0.1:8080/t/web/", "http://web.localhost:8080/"}}}}, []string{target.String()})
	if want := "Forwarding  http://web.localhost:8080/  and  http://127.0.0.1:8080/t/web/  ->  http://localhost:5173\n"; !strings.Contains(out.String(), want) {
		t.Fatalf("got\n%s\nwant a line\n%s", out.String(), want)
	}
}
