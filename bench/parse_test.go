package main

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const wrkSample = `Running 5s test @ http://127.0.0.1:40000/t/bench/hook
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.94ms    1.32ms   9.73ms   86.72%
    Req/Sec     3.74k     1.75k    7.07k    63.64%
  Latency Distribution
     50%  334.00us
     75%    1.02ms
     90%    2.76ms
     99%    6.56ms
  4090 requests in 1.10s, 2.16MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   3720.19
Transfer/sec:      1.97MB
`

var wrkCases = []struct {
	name string
	in   string
	want loadResult
	err  bool
}{
	{"full report", wrkSample, loadResult{Requests: 4090, Seconds: 1.1, RPS: 3720.19, P50: 0.334, P75: 1.02, P90: 2.76, P99: 6.56, Errors: 10}, false},
	{"no errors, seconds and minutes", strings.NewReplacer("  Socket errors: connect 0, read 2, write 0, timeout 1\n", "",
		"  Non-2xx or 3xx responses: 7\n", "", "6.56ms", "1.50s", "1.10s", "1.00m").Replace(wrkSample),
		loadResult{Requests: 4090, Seconds: 60, RPS: 3720.19, P50: 0.334, P75: 1.02, P90: 2.76, P99: 1500}, false},
	{"without --latency", strings.Replace(wrkSample, "99%    6.56ms", "", 1), loadResult{}, true},
	{"no requests/sec", strings.Replace(wrkSample, "Requests/sec:", "Reqs:", 1), loadResult{}, true},
	{"bad duration", strings.Replace(wrkSample, "334.00us", "334.00xs", 1), loadResult{}, true},
	{"negative count", strings.Replace(wrkSample, "4090 requests", "-4090 requests", 1), loadResult{}, true},
	{"bad socket errors", strings.Replace(wrkSample, "read 2,", "read two,", 1), loadResult{}, true},
	{"NaN rate", strings.Replace(wrkSample, "3720.19", "NaN", 1), loadResult{}, true},
	{"empty", "", loadResult{}, true},
}

func TestParseWrk(t *testing.T) {
	for _, tc := range wrkCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWrk(tc.in)
			if tc.err {
				if !errors.Is(err, errWrkOutput) {
					t.Fatalf("err = %v, want errWrkOutput", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !closeResults(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func closeResults(a, b loadResult) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9*math.Max(1, math.Abs(y)) }
	return a.Requests == b.Requests && a.Errors == b.Errors && near(a.Seconds, b.Seconds) && near(a.RPS, b.RPS) &&
		near(a.P50, b.P50) && near(a.P75, b.P75) && near(a.P90, b.P90) && near(a.P99, b.P99)
}

func FuzzParseWrk(f *testing.F) {
	for _, tc := range wrkCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := parseWrk(in)
		if err != nil {
			return
		}
		for _, v := range []float64{r.Seconds, r.RPS, r.P50, r.P75, r.P90, r.P99} {
			if !finite(v) {
				t.Fatalf("accepted a non-finite or negative figure: %+v", r)
			}
		}
		if r.Requests < 0 || r.Errors < 0 {
			t.Fatalf("accepted a negative count: %+v", r)
		}
	})
}

var durationCases = []struct {
	in   string
	ms   float64
	fail bool
}{
	{"334.00us", 0.334, false}, {"1.02ms", 1.02, false}, {"5.00s", 5000, false}, {"1.50m", 90000, false},
	{"2h", 7.2e6, false}, {" 7ms ", 7, false}, {"ms", 0, true}, {"-1ms", 0, true}, {"1.0", 0, true},
	{"Infms", 0, true}, {"", 0, true}, {"1ns", 0, true},
}

func TestParseWrkDuration(t *testing.T) {
	for _, tc := range durationCases {
		got, err := parseWrkDuration(tc.in)
		if tc.fail != (err != nil) || math.Abs(got-tc.ms) > 1e-9 {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v (fail %v)", tc.in, got, err, tc.ms, tc.fail)
		}
	}
}

func FuzzParseWrkDuration(f *testing.F) {
	for _, tc := range durationCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if v, err := parseWrkDuration(in); err == nil && !finite(v) {
			t.Fatalf("%q gave %v", in, v)
		}
	})
}

var statCases = []struct {
	name  string
	in    string
	ticks int64
	fail  bool
}{
	{"plain", "4242 (relay-server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 37 0 0 20 0 9 0 100 1 2", 187, false},
	{"name with spaces and parens", "7 (a) b) (c) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1", 11, false},
	{"too short", "7 (x) R 1 2 3", 0, true},
	{"no name", "7 x R 1 2 3 4 5 6 7 8 9 10 11 12 13", 0, true},
	{"negative", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 -5 6 0 0", 0, true},
	{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 five 6 0 0", 0, true},
}

func TestParseStat(t *testing.T) {
	for _, tc := range statCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.in)
			if tc.fail {
				if !errors.Is(err, errProcFormat) {
					t.Fatalf("err = %v, want errProcFormat", err)
				}
				return
			}
			if err != nil || got != tc.ticks {
				t.Fatalf("parseStat = %d, %v; want %d", got, err, tc.ticks)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	for _, tc := range statCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if n, err := parseStat(in); err == nil && n < 0 {
			t.Fatalf("%q gave %d ticks", in, n)
		}
	})
}

const statusSample = "Name:\trelay-server\nState:\tS (sleeping)\nVmHWM:\t   30000 kB\nVmRSS:\t   20480 kB\nThreads:\t9\n"

var statusCases = []struct {
	name string
	in   string
	want memInfo
	fail bool
}{
	{"typical", statusSample, memInfo{RSS: 20480 << 10, HWM: 30000 << 10, Threads: 9}, false},
	{"missing VmHWM", strings.Replace(statusSample, "VmHWM", "VmPeak", 1), memInfo{}, true},
	{"bad number", strings.Replace(statusSample, "20480", "20x80", 1), memInfo{}, true},
	{"negative", strings.Replace(statusSample, "Threads:\t9", "Threads:\t-9", 1), memInfo{}, true},
	{"empty", "", memInfo{}, true},
}

func TestParseStatus(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatus(tc.in)
			if tc.fail != (err != nil) || got != tc.want {
				t.Fatalf("parseStatus = %+v, %v; want %+v (fail %v)", got, err, tc.want, tc.fail)
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, tc := range statusCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if m, err := parseStatus(in); err == nil && (m.RSS < 0 || m.HWM < 0 || m.Threads < 0) {
			t.Fatalf("%q gave %+v", in, m)
		}
	})
}

var ioCases = []struct {
	in   string
	want int64
	fail bool
}{
	{"rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 4\nread_bytes: 0\n", 14, false},
	{"syscr: 10\n", 0, true},
	{"syscr: 10\nsyscw: x\n", 0, true},
	{"syscr: -1\nsyscw: 1\n", 0, true},
	{"", 0, true},
}

func TestParseIO(t *testing.T) {
	for _, tc := range ioCases {
		got, err := parseIO(tc.in)
		if tc.fail != (err != nil) || got != tc.want {
			t.Errorf("parseIO(%q) = %d, %v; want %d (fail %v)", tc.in, got, err, tc.want, tc.fail)
		}
	}
}

func FuzzParseIO(f *testing.F) {
	for _, tc := range ioCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if n, err := parseIO(in); err == nil && n < 0 {
			t.Fatalf("%q gave %d", in, n)
		}
	})
}

var cpuTotalCases = []struct {
	in          string
	busy, total int64
	fail        bool
}{
	{"cpu  100 5 50 1000 20 1 2 3 7 0\ncpu0 1 2 3 4\n", 161, 1181, false},
	{"cpu  1 2 3 4\n", 6, 10, false},
	{"cpu0 1 2 3 4 5\n", 0, 0, true},
	{"cpu 1 2\n", 0, 0, true},
	{"cpu 1 2 x 4 5\n", 0, 0, true},
	{"", 0, 0, true},
}

func TestParseCPUTotal(t *testing.T) {
	for _, tc := range cpuTotalCases {
		busy, total, err := parseCPUTotal(tc.in)
		if tc.fail != (err != nil) || busy != tc.busy || total != tc.total {
			t.Errorf("parseCPUTotal(%q) = %d, %d, %v; want %d, %d (fail %v)", tc.in, busy, total, err, tc.busy, tc.total, tc.fail)
		}
	}
}

func FuzzParseCPUTotal(f *testing.F) {
	for _, tc := range cpuTotalCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if busy, total, err := parseCPUTotal(in); err == nil && (busy < 0 || busy > total) {
			t.Fatalf("%q gave busy %d of %d", in, busy, total)
		}
	})
}
