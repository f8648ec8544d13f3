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
		[]*url.URL{target})
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
		[]*url.URL{target})
	want := "Session status: online\nForwarding  a  and  b  ->  http://localhost:3000\n" +
		"Missed 3 deliveries on hook while offline; 2 queued, delivering them now. Replay the rest: relay-client replay --missed --name hook\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}
