package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// errWrkOutput reports wrk output this command cannot parse.
var errWrkOutput = errors.New("bench: unexpected wrk output")

// loadResult is what one load run measured. Latencies are in milliseconds.
type loadResult struct {
	Requests int64   `json:"requests"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P75      float64 `json:"p75_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Errors   int64   `json:"errors"` // non-2xx/3xx answers and socket errors
	// CPU is the load generator's own CPU time, in seconds.
	CPU float64 `json:"loadgen_cpu_s"`
}

// wrkRunner drives load with wrk and a Lua script that POSTs the body file.
type wrkRunner struct {
	path, script string
}

// newWrk finds wrk and writes its script into dir; nil when wrk is not installed.
func newWrk(dir string, body []byte) (*wrkRunner, error) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return nil, nil
	}
	bodyFile := filepath.Join(dir, "body.json")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		return nil, fmt.Errorf("write wrk body: %w", err)
	}
	script := filepath.Join(dir, "post.lua")
	lua := "local f = assert(io.open(" + strconv.Quote(bodyFile) + ", \"rb\"))\n" +
		"wrk.method = \"POST\"\nwrk.body = f:read(\"*a\")\nf:close()\n" +
		"wrk.headers[\"Content-Type\"] = \"application/json\"\n" +
		"wrk.headers[\"User-Agent\"] = \"hookrelay-bench\"\n"
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return nil, fmt.Errorf("write wrk script: %w", err)
	}
	return &wrkRunner{path: path, script: script}, nil
}

func (w *wrkRunner) name() string { return "wrk" }

// run loads url with conns connections for d.
func (w *wrkRunner) run(ctx context.Context, url string, conns int, d time.Duration) (loadResult, error) {
	threads := min(conns, 2)
	secs := strconv.Itoa(max(int(d.Round(time.Second)/time.Second), 1))
	cmd := exec.CommandContext(ctx, w.path, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", secs+"s", "--timeout", "10s", "--latency", "-s", w.script, url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("run wrk: %w: %s", err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return loadResult{}, err
	}
	st := cmd.ProcessState
	res.CPU = (st.UserTime() + st.SystemTime()).Seconds()
	return res, nil
}

// parseWrk reads the figures of a wrk --latency report.
func parseWrk(out string) (loadResult, error) {
	var r loadResult
	var haveRPS, haveCount bool
	for _, raw := range strings.Split(out, "\n") {
		line := strings.TrimSpace(raw)
		var err error
		switch {
		case strings.HasPrefix(line, "Requests/sec:"):
			r.RPS, err = parseFloatField(strings.TrimPrefix(line, "Requests/sec:"))
			haveRPS = true
		case strings.Contains(line, " requests in "):
			err = r.parseCount(line)
			haveCount = true
		case strings.HasPrefix(line, "Socket errors:"):
			err = r.parseSocketErrors(strings.TrimPrefix(line, "Socket errors:"))
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			err = r.addErrors(strings.TrimPrefix(line, "Non-2xx or 3xx responses:"))
		case len(line) > 2 && strings.Contains(line[:min(len(line), 4)], "%"):
			err = r.parsePercentile(line)
		}
		if err != nil {
			return loadResult{}, err
		}
	}
	if !haveRPS || !haveCount || r.P50 == 0 || r.P99 == 0 {
		return loadResult{}, fmt.Errorf("%w: no Requests/sec, request count or latency distribution (ran with --latency?)", errWrkOutput)
	}
	return r, nil
}

// parseCount reads "293851 requests in 5.00s, 40.35MB read".
func (r *loadResult) parseCount(line string) error {
	n, rest, _ := strings.Cut(line, " requests in ")
	count, ok := counter(n)
	if !ok {
		return fmt.Errorf("%w: request count in %q", errWrkOutput, line)
	}
	dur, _, _ := strings.Cut(rest, ",")
	ms, err := parseWrkDuration(dur)
	if err != nil {
		return err
	}
	r.Requests, r.Seconds = count, ms/1000
	return nil
}

// parseSocketErrors reads "connect 0, read 0, write 0, timeout 0".
func (r *loadResult) parseSocketErrors(s string) error {
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return fmt.Errorf("%w: socket errors %q", errWrkOutput, s)
		}
		if err := r.addErrors(f[1]); err != nil {
			return err
		}
	}
	return nil
}

// addErrors adds a count of failed requests.
func (r *loadResult) addErrors(s string) error {
	n, ok := counter(strings.TrimSpace(s))
	if !ok {
		return fmt.Errorf("%w: error count %q", errWrkOutput, s)
	}
	r.Errors = min(r.Errors+n, maxCounter) // saturates: both are at most maxCounter
	return nil
}

// parsePercentile reads a latency distribution line such as "99%    6.56ms".
func (r *loadResult) parsePercentile(line string) error {
	f := strings.Fields(line)
	if len(f) != 2 {
		return nil // not a distribution line (the thread stats have a % column too)
	}
	ms, err := parseWrkDuration(f[1])
	if err != nil {
		return err
	}
	switch f[0] {
	case "50%":
		r.P50 = ms
	case "75%":
		r.P75 = ms
	case "90%":
		r.P90 = ms
	case "99%":
		r.P99 = ms
	}
	return nil
}

// wrkUnits are the time units wrk prints, in milliseconds.
var wrkUnits = []struct {
	suffix string
	ms     float64
}{{"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}}

// parseWrkDuration reads a wrk time such as "334.00us", "1.02ms" or "5.00s" into
// milliseconds.
func parseWrkDuration(s string) (float64, error) {
	s = strings.TrimSpace(s)
	for _, u := range wrkUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || !finite(v) {
			break
		}
		return v * u.ms, nil
	}
	return 0, fmt.Errorf("%w: duration %q", errWrkOutput, s)
}

func parseFloatField(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !finite(v) {
		return 0, fmt.Errorf("%w: number %q", errWrkOutput, strings.TrimSpace(s))
	}
	return v, nil
}

// finite reports whether v is a usable non-negative measurement (not NaN or Inf).
func finite(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
