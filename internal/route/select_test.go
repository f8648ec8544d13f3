package route

import (
	"slices"
	"testing"
)

func TestSelect(t *testing.T) {
	carol := []string{"json:data.object.metadata.dev=carol"}
	leads := []string{"path=/webhooks/leads*", "header:X-Github-Event=issues"}
	cases := []struct {
		name    string
		clients [][]string // routes per client, attach order
		want    Choice
	}{
		{"no clients", nil, Choice{}},
		{"no routes anywhere: share policy among all", [][]string{nil, nil, nil}, Choice{Clients: []int{0, 1, 2}}},
		{"routed match wins over unrouted", [][]string{nil, nil, carol}, Choice{Routed: true, Clients: []int{2}}},
		{"several routed matches: first attached is primary",
			[][]string{nil, {"method=POST"}, nil, carol}, Choice{Routed: true, Clients: []int{1, 3}}},
		{"no route matched: the unrouted ones", [][]string{leads, nil, {"method=GET"}, nil}, Choice{Clients: []int{1, 3}}},
		{"every client routed, none matched: nobody", [][]string{leads, {"method=GET"}}, Choice{Clients: []int{}}},
	}
	d := sampleDelivery(sampleBody)
	for _, c := range cases {
		clients := make([]Routes, len(c.clients))
		for i, exprs := range c.clients {
			clients[i] = mustRoutes(t, exprs...)
		}
		got := Select(clients, d)
		if got.Routed != c.want.Routed || !slices.Equal(got.Clients, c.want.Clients) {
			t.Errorf("%s: Select = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestAppendSelectReusesBuffer(t *testing.T) {
	clients := []Routes{nil, mustRoutes(t, "method=POST")}
	buf := make([]int, 0, 4)
	c := AppendSelect(buf, clients, sampleDelivery(sampleBody))
	if !c.Routed || &c.Clients[:1][0] != &buf[:1][0] {
		t.Fatalf("AppendSelect = %+v, not in the given buffer", c)
	}
}
