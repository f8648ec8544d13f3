package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line settings.
type options struct {
	out       string
	from      string
	src       string
	relayEnv  []string
	clientEnv []string
	plotDir   string
	conns     []int
	rounds    int
	dur       time.Duration
	warmup    time.Duration
	loadgen   string
	load      bool
	idle      int
	hold      time.Duration
	big       bool
	bigSize   int64
	replay    int
	bodySize  int
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == backendArg {
		os.Exit(serveBackend())
	}
	if len(os.Args) > 1 && os.Args[1] == idleWorkerArg {
		os.Exit(serveIdleClients(os.Args[2:]))
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := execute(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	v := o.bind(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, o.finish(v)
}

// flagValues are the flags that finish turns into options.
type flagValues struct {
	conns, relayEnv, clientEnv *string
	all                        *bool
}

// bind declares the flags, storing into o where no conversion is needed.
func (o *options) bind(fs *flag.FlagSet) flagValues {
	fs.StringVar(&o.out, "out", "bench/results.json", "write the report as JSON here")
	fs.StringVar(&o.from, "from", "", "measure nothing: print and plot the report in this JSON file")
	fs.StringVar(&o.src, "src", "", "build the relay from this module tree instead of the current one (A/B runs of a change)")
	fs.StringVar(&o.plotDir, "plot", "", "draw bench-throughput.png and bench-latency.png into this directory (needs gnuplot)")
	fs.IntVar(&o.rounds, "rounds", 2, "rounds of the interleaved load table")
	fs.DurationVar(&o.dur, "duration", 5*time.Second, "length of each measured load run")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each run")
	fs.StringVar(&o.loadgen, "loadgen", "auto", "load generator: wrk, go, or auto (wrk if installed)")
	fs.BoolVar(&o.load, "load", true, "run the load table")
	fs.IntVar(&o.idle, "idle", 0, "connect this many idle tunnels and measure the server's cost of them")
	fs.DurationVar(&o.hold, "hold", 10*time.Second, "how long --idle holds the tunnels before measuring")
	fs.BoolVar(&o.big, "big", false, "stream one large POST (--big-size) through the relay")
	fs.Int64Var(&o.bigSize, "big-size", 100<<20, "body size of --big, in bytes")
	fs.IntVar(&o.replay, "replay", 0, "record this many deliveries, then bulk replay them")
	fs.IntVar(&o.bodySize, "body-size", 1024, "request body size of the load table, in bytes")
	return flagValues{
		conns:     fs.String("conns", "1,16,128", "connection counts of the load table, comma-separated"),
		relayEnv:  fs.String("relay-env", "", "extra environment for relay-server and relay-client, e.g. GOMAXPROCS=1 (comma-separated)"),
		clientEnv: fs.String("client-env", "", "extra environment for relay-client only (comma-separated)"),
		all:       fs.Bool("all", false, "also --idle 10000 --big --replay 10000"),
	}
}

// finish converts the flags bind could not store directly, then checks o.
func (o *options) finish(v flagValues) error {
	o.relayEnv, o.clientEnv = splitList(*v.relayEnv), splitList(*v.clientEnv)
	if *v.all {
		o.idle, o.big, o.replay = max(o.idle, 10000), true, max(o.replay, 10000)
	}
	var err error
	if o.conns, err = parseConns(*v.conns); err != nil {
		return err
	}
	return o.check()
}

// splitList splits a comma-separated flag value; nil when empty.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (o *options) check() error {
	switch {
	case o.rounds < 1 || o.dur < time.Second:
		return errors.New("--rounds must be >= 1 and --duration >= 1s")
	case o.loadgen != "auto" && o.loadgen != "wrk" && o.loadgen != "go":
		return fmt.Errorf("--loadgen %q: want wrk, go or auto", o.loadgen)
	case o.idle < 0 || o.replay < 0 || o.bigSize < 1 || o.bodySize < minBodySize:
		return fmt.Errorf("--idle and --replay must be >= 0, --big-size >= 1, --body-size >= %d", minBodySize)
	}
	return nil
}

// parseConns reads "1,16,128".
func parseConns(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 10000 {
			return nil, fmt.Errorf("--conns: %q is not a connection count from 1 to 10000", part)
		}
		out = append(out, n)
	}
	return out, nil
}

func execute(ctx context.Context, o *options, stdout io.Writer) error {
	if o.from != "" {
		return replot(o, stdout)
	}
	relayEnv, clientEnv = o.relayEnv, o.clientEnv
	e, err := newEnv(ctx, o, stdout)
	if err != nil {
		return err
	}
	defer e.close()
	rep, err := measure(ctx, e, o)
	if err != nil {
		return err
	}
	printReport(stdout, rep)
	if err := writeJSON(o.out, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nreport written to %s\n", o.out)
	if o.plotDir != "" && len(rep.Rows) > 0 {
		return plot(rep.Rows, o.plotDir, e.tmp)
	}
	return nil
}

// replot prints and plots a saved report.
func replot(o *options, stdout io.Writer) error {
	b, err := os.ReadFile(o.from)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("read report %s: %w", o.from, err)
	}
	rep.Checks = checks(&rep)
	printReport(stdout, &rep)
	if o.plotDir == "" {
		return nil
	}
	tmp, err := os.MkdirTemp("", "hookrelay-bench-")
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	defer os.RemoveAll(tmp)
	return plot(rep.Rows, o.plotDir, tmp)
}

func writeJSON(path string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
