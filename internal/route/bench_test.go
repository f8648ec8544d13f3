package route

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// benchBody is a Stripe-like event of about 2 KiB.
func benchBody() []byte {
	var items []string
	for i := range 19 {
		items = append(items, fmt.Sprintf(`{"id":"li_%04d","price":{"id":"price_%d","unit_amount":%d,"currency":"usd"},"quantity":%d}`, i, i, 100*i, i%3+1))
	}
	b := `{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2023-10-16","created":1686089970,` +
		`"type":"checkout.session.completed","livemode":false,"pending_webhooks":1,` +
		`"data":{"object":{"id":"cs_test_a1","amount_total":2000,"currency":"usd","customer":"cus_123",` +
		`"metadata":{"dev":"carol","order":"ord_42"},"line_items":[` + strings.Join(items, ",") + `]}}}`
	return []byte(b)
}

// Three clients with three routes each; only the last route of the last client
// matches, so every route is tried and the body is decoded once.
func benchClients(b *testing.B) []Routes {
	specs := [][]string{
		{"path=/webhooks/github*", "header:X-Github-Event=push", "json:data.object.metadata.dev=alice"},
		{"method=PUT", "json:type=invoice.*", "json:data.object.line_items.18.price.id=price_99"},
		{"header:Stripe-Signature=nope*", "path=*/leads", "json:data.object.metadata.dev=carol"},
	}
	clients := make([]Routes, len(specs))
	for i, s := range specs {
		rs, err := ParseRoutes(s)
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = rs
	}
	return clients
}

func BenchmarkSelect3x3JSON(b *testing.B) {
	body, clients := benchBody(), benchClients(b)
	h := http.Header{"Stripe-Signature": {"t=1,v1=abc"}, "Content-Type": {"application/json"}}
	buf := make([]int, 0, 8)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		c := AppendSelect(buf, clients, NewDelivery("POST", "/webhooks/stripe", h, body))
		if !c.Routed || len(c.Clients) != 1 || c.Clients[0] != 2 {
			b.Fatalf("Select = %+v", c)
		}
	}
}

// No json routes: the body is never decoded.
func BenchmarkSelect3x3NoJSON(b *testing.B) {
	body := benchBody()
	var clients []Routes
	for _, s := range [][]string{{"path=/a*", "method=PUT", "header:X-A=1"}, {"path=/b*", "header:X-B=*", "path=*/c"}, {"path=/webhooks/*", "method=GET", "header:X-C=?"}} {
		rs, _ := ParseRoutes(s)
		clients = append(clients, rs)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	b.ReportAllocs()
	for b.Loop() {
		if c := Select(clients, NewDelivery("POST", "/webhooks/stripe", h, body)); !c.Routed {
			b.Fatal("no match")
		}
	}
}

func BenchmarkGlobMatch(b *testing.B) {
	g, _ := ParseGlob("*checkout.session.?ompleted*")
	s := strings.Repeat("checkout.session.", 60) + "completed"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if !g.Match(s) {
			b.Fatal("no match")
		}
	}
}

// The body decoder alone, and encoding/json's decoding of the same body into
// interface values for comparison.
func BenchmarkDecode(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := parseJSON(body); !ok {
			b.Fatal("not JSON")
		}
	}
}

func BenchmarkDecodeEncodingJSON(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if valid, _, _ := refLookup(body, nil); !valid {
			b.Fatal("not JSON")
		}
	}
}

// A pattern that almost matches at every position of a 1 MiB value: the
// cost per byte stays that of the typical case.
func BenchmarkGlobWorst(b *testing.B) {
	for name, p := range map[string]string{
		"literal":  "*" + strings.Repeat("a", 100) + "b*",
		"question": "*" + strings.Repeat("a", 31) + "?" + strings.Repeat("a", 31) + "b*",
	} {
		g, _ := ParseGlob(p)
		s := strings.Repeat("a", MaxBody)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if g.Match(s) {
					b.Fatal("matched")
				}
			}
		})
	}
}
