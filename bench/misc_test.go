package main

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var listeningCases = []struct {
	line, want string
	ok         bool
}{
	{"hookrelay relay-server listening on http://127.0.0.1:44935 (tunnels: http://127.0.0.1:44935/t/NAME/ and NAME.localhost)", "http://127.0.0.1:44935", true},
	{"hookrelay relay-server listening on https://relay.example.com (tunnels: x)", "https://relay.example.com", true},
	{"hookrelay relay-server listening on ftp://x (y)", "", false},
	{"admin on http://127.0.0.1:41361: /metrics /healthz /readyz", "", false},
	{"", "", false},
}

func TestParseListening(t *testing.T) {
	for _, tc := range listeningCases {
		got, ok := parseListening(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseListening(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseListening(f *testing.F) {
	for _, tc := range listeningCases {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if u, ok := parseListening(line); ok && u == "" {
			t.Fatalf("%q: ok with an empty URL", line)
		}
	})
}

var adminCases = []struct {
	line, want string
	ok         bool
}{
	{"admin on http://127.0.0.1:41361: /metrics /healthz /readyz", "http://127.0.0.1:41361", true},
	{"admin on http://[::1]:9090: /metrics", "http://[::1]:9090", true},
	{"admin on 127.0.0.1:9090: /metrics", "", false},
	{"admin on http://127.0.0.1:9090", "", false},
	{"hookrelay relay-server listening on http://127.0.0.1:1 (x)", "", false},
}

func TestParseAdmin(t *testing.T) {
	for _, tc := range adminCases {
		got, ok := parseAdmin(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseAdmin(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseAdmin(f *testing.F) {
	for _, tc := range adminCases {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if u, ok := parseAdmin(line); ok && len(u) <= len("http://") {
			t.Fatalf("%q: ok with URL %q", line, u)
		}
	})
}

const metricsPage = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 50014
go_goroutines_extra 3
go_memstats_heap_inuse_bytes 1.0921e+09
go_memstats_stack_inuse_bytes 2.7e+08
hookrelay_requests_total{tunnel="a"} 5
process_resident_memory_bytes 8.31e+08 1700000000000
`

var metricCases = []struct {
	name string
	want float64
	fail bool
}{
	{"go_goroutines", 50014, false},
	{"go_memstats_heap_inuse_bytes", 1.0921e9, false},
	{"process_resident_memory_bytes", 8.31e8, false},
	{"hookrelay_requests_total", 0, true}, // labelled samples are not read
	{"go_threads", 0, true},
}

func TestParseMetric(t *testing.T) {
	for _, tc := range metricCases {
		got, err := parseMetric(metricsPage, tc.name)
		if tc.fail {
			if !errors.Is(err, errNoMetric) {
				t.Errorf("%s: err = %v, want errNoMetric", tc.name, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	st, err := parseStats(metricsPage)
	if err != nil || st.Goroutines != 50014 || st.StackInuse != 2.7e8 || st.RSS != 8.31e8 {
		t.Errorf("parseStats = %+v, %v", st, err)
	}
}

func FuzzParseMetric(f *testing.F) {
	f.Add(metricsPage, "go_goroutines")
	f.Add("go_goroutines NaN\n", "go_goroutines")
	f.Add("go_goroutines -Inf\n", "go_goroutines")
	f.Fuzz(func(t *testing.T, page, name string) {
		if v, err := parseMetric(page, name); err == nil && !finite(v) {
			t.Fatalf("accepted %v", v)
		}
	})
}

var connsCases = []struct {
	in   string
	want []int
	fail bool
}{
	{"1,16,128", []int{1, 16, 128}, false},
	{" 4 , 8", []int{4, 8}, false},
	{"0", nil, true},
	{"1,,2", nil, true},
	{"99999", nil, true},
	{"x", nil, true},
}

func TestParseConns(t *testing.T) {
	for _, tc := range connsCases {
		got, err := parseConns(tc.in)
		if tc.fail != (err != nil) || len(got) != len(tc.want) {
			t.Errorf("parseConns(%q) = %v, %v; want %v (fail %v)", tc.in, got, err, tc.want, tc.fail)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("parseConns(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}

func FuzzParseConns(f *testing.F) {
	for _, tc := range connsCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cs, err := parseConns(in)
		for _, c := range cs {
			if err == nil && (c < 1 || c > 10000) {
				t.Fatalf("%q gave %v", in, cs)
			}
		}
	})
}

var idleStatsCases = []struct {
	line             string
	online, connects int
	fail             bool
}{
	{"stats 10000 10003", 10000, 10003, false},
	{"stats 1 1", 1, 1, false},
	{"stats 1", 0, 0, true},
	{"stats a b", 0, 0, true},
	{"stats -1 2", 0, 0, true},
}

func TestParseIdleStats(t *testing.T) {
	for _, tc := range idleStatsCases {
		on, co, err := parseIdleStats(tc.line)
		if tc.fail != (err != nil) || on != tc.online || co != tc.connects {
			t.Errorf("parseIdleStats(%q) = %d, %d, %v; want %d, %d (fail %v)", tc.line, on, co, err, tc.online, tc.connects, tc.fail)
		}
	}
}

func FuzzParseIdleStats(f *testing.F) {
	for _, tc := range idleStatsCases {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if on, co, err := parseIdleStats(line); err == nil && (on < 0 || co < 0) {
			t.Fatalf("%q gave %d %d", line, on, co)
		}
	})
}

func TestWebhookBody(t *testing.T) {
	for _, size := range []int{minBodySize, 1024, 4096} {
		b := webhookBody(size)
		if len(b) != size || !json.Valid(b) {
			t.Errorf("webhookBody(%d) is %d bytes, valid JSON %v", size, len(b), json.Valid(b))
		}
	}
	if got := len(webhookBody(1)); got != minBodySize {
		t.Errorf("webhookBody(1) is %d bytes, want the envelope alone (%d)", got, minBodySize)
	}
}

func TestPercentile(t *testing.T) {
	cases := []struct {
		n, p int
		want float64
	}{{100, 50, 50}, {100, 99, 99}, {1, 99, 1}, {0, 50, 0}, {10, 75, 8}}
	for _, tc := range cases {
		lat := make([]time.Duration, tc.n)
		for i := range lat {
			lat[i] = time.Duration(i+1) * time.Millisecond
		}
		if got := pct(lat, tc.p); got != tc.want {
			t.Errorf("pct(%d samples, %d) = %v, want %v", tc.n, tc.p, got, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		check func(*options) bool
		fail  bool
	}{
		{"defaults", nil, func(o *options) bool {
			return o.rounds == 2 && len(o.conns) == 3 && o.idle == 0 && !o.big && o.load && o.out == "bench/results.json"
		}, false},
		{"all", []string{"--all"}, func(o *options) bool { return o.idle == 10000 && o.big && o.replay == 10000 }, false},
		{"all keeps larger sizes", []string{"--all", "--idle", "20000"}, func(o *options) bool { return o.idle == 20000 }, false},
		{"environment", []string{"--relay-env", "GOMAXPROCS=1,GOGC=50", "--client-env", "GOGC=200"}, func(o *options) bool {
			return len(o.relayEnv) == 2 && o.relayEnv[1] == "GOGC=50" && len(o.clientEnv) == 1
		}, false},
		{"bad load generator", []string{"--loadgen", "ab"}, nil, true},
		{"no rounds", []string{"--rounds", "0"}, nil, true},
		{"short runs", []string{"--duration", "100ms"}, nil, true},
		{"small body", []string{"--body-size", "10"}, nil, true},
		{"bad conns", []string{"--conns", "1,x"}, nil, true},
		{"extra argument", []string{"now"}, nil, true},
		{"unknown flag", []string{"--fast"}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args)
			if tc.fail {
				if err == nil {
					t.Fatalf("parseFlags(%q) accepted", tc.args)
				}
				return
			}
			if err != nil || !tc.check(o) {
				t.Fatalf("parseFlags(%q) = %+v, %v", tc.args, o, err)
			}
		})
	}
}
