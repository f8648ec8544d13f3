package route

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

const sampleBody = `{"id":"evt_1","type":"checkout.session.completed","livemode":false,
"data":{"object":{"amount":100,"ratio":1.50,"metadata":{"dev":"carol","a.b":"dotted","k=v":"eq"},
"items":[{"id":"it_0"},{"id":"it_1"}],"none":null,"empty":"","nested":{"x":1},"tags":["a"]}},
"dup":1,"dup":2,"0":"zero-key","esc":"a\"b\u00e9"}`

func sampleDelivery(body string) *Delivery {
	h := http.Header{"X-Github-Event": {"push", "pull_request"}, "Content-Type": {"application/json"}, "X-Empty": {""}}
	return NewDelivery("POST", "/webhooks/stripe/events", h, []byte(body))
}

var matchCases = []struct {
	expr string
	want bool
}{
	{"method=POST", true},
	{"method=post", false},
	{"method=GET", false},
	{"path=/webhooks/*", true},
	{"path=/webhooks/stripe/events", true},
	{"path=/webhooks", false},
	{"path=*/events", true},
	{"path=/webhooks/?tripe/*", true},
	{"header:x-github-event=pull_request", true}, // any value of a repeated header
	{"header:X-GITHUB-EVENT=push", true},
	{"header:X-Github-Event=PUSH", false}, // values are case-sensitive
	{"header:X-Empty=*", true},
	{"header:X-Missing=*", false},
	{"json:type=checkout.session.completed", true},
	{"json:type=checkout.*", true},
	{"json:type=*.created", false},
	{"json:data.object.metadata.dev=carol", true},
	{"json:data.object.metadata.dev=bob", false},
	{"json:data.object.amount=100", true},
	{"json:data.object.amount=1*", true},
	{"json:data.object.amount=100.0", false},
	{"json:data.object.ratio=1.50", true}, // the number's text as sent
	{"json:data.object.ratio=1.5", false},
	{"json:livemode=false", true},
	{"json:data.object.none=null", true},
	{"json:data.object.empty=*", true},
	{"json:data.object.items.1.id=it_1", true},
	{"json:data.object.items.01.id=it_1", false},
	{"json:data.object.items.2.id=*", false},
	{"json:data.object.items.x=*", false},
	{"json:data.object.nested=*", false}, // objects match nothing
	{"json:data.object.tags=*", false},   // arrays neither
	{"json:data.object.missing=*", false},
	{"json:type.x=*", false},
	{`json:data.object.metadata.a\.b=dotted`, true},
	{`json:data.object.metadata.k\=v=eq`, true},
	{"json:dup=2", true}, // the last of repeated keys
	{"json:0=zero-key", true},
	{`json:esc=a"bé`, true}, // strings compare decoded
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.expr, err)
		}
		if got := e.Match(sampleDelivery(sampleBody)); got != c.want {
			t.Errorf("%q matched = %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestMatchBodyNotJSON(t *testing.T) {
	e, _ := Parse("json:a=*")
	for name, body := range map[string]string{
		"empty":      "",
		"form":       "a=1",
		"truncated":  `{"a":"x"`,
		"two values": `{"a":1} {"a":2}`,
		"over cap":   `{"a":1,"pad":"` + strings.Repeat("x", MaxBody) + `"}`,
		"top array":  `[{"a":1}]`,
	} {
		if e.Match(sampleDelivery(body)) {
			t.Errorf("%s body matched json:a=*", name)
		}
	}
	at := `{"a":1,"pad":"` + strings.Repeat("x", MaxBody-16) + `"}`
	if len(at) > MaxBody || !e.Match(sampleDelivery(at)) {
		t.Errorf("a body of %d bytes (cap %d) did not match", len(at), MaxBody)
	}
}

// The body is decoded once for all routes of all clients, and not at all
// when no route looks into it.
func TestDeliveryDecodesOnce(t *testing.T) {
	d := sampleDelivery(sampleBody)
	clients := []Routes{mustRoutes(t, "path=/x", "method=PUT"), mustRoutes(t, "header:X-A=1")}
	if Select(clients, d).Routed || d.Parsed() {
		t.Fatal("decoded a body no route looks into")
	}
	clients = append(clients, mustRoutes(t, "json:id=x", "json:type=*"), mustRoutes(t, "json:data.object.amount=100"))
	if c := Select(clients, d); !c.Routed || !d.Parsed() {
		t.Fatalf("Select = %+v, parsed %v", c, d.Parsed())
	}
	d.body = []byte("not json any more") // a second decode would see this
	if !clients[3].Match(d) {
		t.Fatal("decoded the body a second time")
	}
}

func mustRoutes(t *testing.T, exprs ...string) Routes {
	t.Helper()
	rs, err := ParseRoutes(exprs)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestRecordDelivery(t *testing.T) {
	body := []byte(`{"type":"invoice.paid"}`)
	rec := &store.Record{Method: "POST", Path: "/hooks/a",
		Headers: []store.Header{{Name: "x-github-event", Value: "push"}, {Name: "X-GitHub-Event", Value: "issues"}},
		Body:    store.Body{Data: body, Size: int64(len(body))}}
	rs := mustRoutes(t, "header:X-Github-Event=issues")
	json := mustRoutes(t, "json:type=invoice.*")
	path := mustRoutes(t, "path=/hooks/*")
	if d := RecordDelivery(rec); !rs.Match(d) || !json.Match(d) || !path.Match(d) {
		t.Fatal("a recorded delivery did not match its header, body and path")
	}
	rec.Body = store.Body{Data: body[:10], Size: int64(len(body)), Truncated: true}
	if json.Match(RecordDelivery(rec)) {
		t.Fatal("a json route matched a body recorded in part")
	}
	rec.Body = store.Body{Data: body, Size: int64(len(body)) + 5} // cut without the flag
	if json.Match(RecordDelivery(rec)) {
		t.Fatal("a json route matched a body shorter than its size")
	}
}
