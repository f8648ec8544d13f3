package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// env is what every mode shares: a scratch directory, the built binaries, the backend
// process and the request body.
type env struct {
	tmp        string
	bin        *binaries
	backend    *proc
	backendURL string
	body       []byte
	out        io.Writer
}

func newEnv(ctx context.Context, o *options, out io.Writer) (*env, error) {
	tmp, err := os.MkdirTemp("", "hookrelay-bench-")
	if err != nil {
		return nil, fmt.Errorf("create scratch dir: %w", err)
	}
	e := &env{tmp: tmp, body: webhookBody(o.bodySize), out: out}
	e.logf("building relay-server and relay-client from %s into %s\n", orDot(o.src), tmp)
	if e.bin, err = build(ctx, tmp, o.src); err != nil {
		e.close()
		return nil, err
	}
	if e.backend, e.backendURL, err = startBackend(); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

func (e *env) logf(format string, args ...any) { fmt.Fprintf(e.out, format, args...) }

// close stops the backend and removes the scratch directory.
func (e *env) close() {
	if e.backend != nil {
		e.backend.stop()
	}
	_ = os.RemoveAll(e.tmp)
}

// machine describes where the figures were measured.
type machine struct {
	CPUs      int    `json:"cpus"`
	Model     string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	Kernel    string `json:"kernel"`
	Loader    string `json:"load_generator"`
}

func describeMachine(loader string) machine {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return machine{CPUs: runtime.NumCPU(), Model: cpuModel(), GoVersion: runtime.Version(),
		Kernel: strings.TrimSpace(string(kernel)), Loader: loader}
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// report is everything one bench run measured; it is written as JSON.
type report struct {
	Machine      machine       `json:"machine"`
	StartedAt    time.Time     `json:"started_at"`
	Seconds      float64       `json:"seconds"`
	LoadAvgStart float64       `json:"loadavg_start"`
	LoadAvgEnd   float64       `json:"loadavg_end"`
	Settings     settings      `json:"settings"`
	Runs         []run         `json:"runs,omitempty"`
	Rows         []row         `json:"rows,omitempty"`
	Idle         *idleResult   `json:"idle,omitempty"`
	Big          *bigResult    `json:"big,omitempty"`
	Replay       *replayResult `json:"replay,omitempty"`
	Checks       []check       `json:"checks"`
}

// settings are the options that shaped the figures.
type settings struct {
	Conns     []int    `json:"conns"`
	Rounds    int      `json:"rounds"`
	Duration  float64  `json:"duration_seconds"`
	Warmup    float64  `json:"warmup_seconds"`
	BodySize  int      `json:"body_bytes"`
	Source    string   `json:"source,omitempty"`     // --src: the tree the relay was built from
	RelayEnv  []string `json:"relay_env,omitempty"`  // --relay-env
	ClientEnv []string `json:"client_env,omitempty"` // --client-env
}

// measure runs the load table and each extra mode asked for.
func measure(ctx context.Context, e *env, o *options) (*report, error) {
	l, err := pickLoader(e, o.loadgen)
	if err != nil {
		return nil, err
	}
	rep := &report{Machine: describeMachine(l.name()), StartedAt: time.Now(), LoadAvgStart: loadAvg(),
		Settings: settings{Conns: o.conns, Rounds: o.rounds, Duration: o.dur.Seconds(), Warmup: o.warmup.Seconds(), BodySize: o.bodySize, Source: o.src, RelayEnv: o.relayEnv, ClientEnv: o.clientEnv}}
	if o.load {
		if rep.Runs, err = loadTable(ctx, e, o, l); err != nil {
			return nil, err
		}
		rep.Rows = summarizeRuns(rep.Runs)
	}
	if err := extraModes(ctx, e, o, rep); err != nil {
		return nil, err
	}
	rep.LoadAvgEnd, rep.Seconds = loadAvg(), time.Since(rep.StartedAt).Seconds()
	rep.Checks = checks(rep)
	return rep, nil
}

func extraModes(ctx context.Context, e *env, o *options, rep *report) error {
	var err error
	if o.replay > 0 {
		if rep.Replay, err = runReplay(ctx, e, o.replay); err != nil {
			return err
		}
	}
	if o.big {
		if rep.Big, err = runBig(ctx, e, o.bigSize); err != nil {
			return err
		}
	}
	if o.idle > 0 {
		if rep.Idle, err = runIdle(ctx, e, o.idle, o.hold); err != nil {
			return err
		}
	}
	return nil
}

func pickLoader(e *env, which string) (loader, error) {
	if which == "go" {
		return &goRunner{body: e.body}, nil
	}
	w, err := newWrk(e.tmp, e.body)
	if err != nil {
		return nil, err
	}
	if w != nil {
		return w, nil
	}
	if which == "wrk" {
		return nil, fmt.Errorf("--loadgen wrk: wrk not installed (apt-get install -y wrk)")
	}
	return &goRunner{body: e.body}, nil
}

// loadTable starts a recording and a non-recording relay, each with its client, and
// runs the interleaved load table against them and the backend.
func loadTable(ctx context.Context, e *env, o *options, l loader) ([]run, error) {
	rec, err := startRelay(e, serverOpts{})
	if err != nil {
		return nil, err
	}
	defer rec.stop()
	norec, err := startRelay(e, serverOpts{noRecord: true})
	if err != nil {
		return nil, err
	}
	defer norec.stop()
	m := &matrix{load: l, conns: o.conns, rounds: o.rounds, dur: o.dur, warmup: o.warmup, logf: e.logf,
		targets: []target{
			{name: targetDirect, url: e.backendURL + "/t/bench/hook", procs: []*proc{e.backend}},
			{name: targetRelay, url: rec.url, procs: []*proc{rec.server.proc, rec.client, e.backend}},
			{name: targetNoRecord, url: norec.url, procs: []*proc{norec.server.proc, norec.client, e.backend}},
		},
		all: []*proc{e.backend, rec.server.proc, rec.client, norec.server.proc, norec.client}}
	return m.runAll(ctx)
}

// relayPair is a relay-server with one client forwarding tunnel "bench" to the backend.
type relayPair struct {
	server *relayServer
	client *proc
	url    string // the tunnel's public URL for the load
}

func startRelay(e *env, o serverOpts) (*relayPair, error) {
	s, err := startServer(e.bin, e.tmp, o)
	if err != nil {
		return nil, err
	}
	c, err := startClient(e.bin, s, "bench", e.backendURL)
	if err != nil {
		s.stop()
		return nil, err
	}
	return &relayPair{server: s, client: c, url: s.url + "/t/bench/hook"}, nil
}

func (p *relayPair) stop() {
	p.client.stop()
	p.server.stop()
}
