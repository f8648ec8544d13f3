package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// BenchmarkShareMirror is BenchmarkRelayRequest's delivery (recorded, with attempts)
// on a tunnel mirrored to 1 or 3 clients of one token, each with its own app: what the
// sender waits for with two mirrors copying every delivery, against one client alone.
func BenchmarkShareMirror(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run("clients="+strconv.Itoa(n), func(b *testing.B) {
			srv, _ := shareServer(b, func(c *server.Config) { c.Logger = quiet })
			for i := range n {
				benchMember(b, srv, "m"+strconv.Itoa(i), benchBackend(b))
			}
			loadBench(b, srv.URL+"/t/bench/hook")
		})
	}
}

// BenchmarkShareMirrorPaced is the latency one sender sees at c=1 when deliveries are
// not back to back (a webhook sender, not a load test), with 1 or 3 clients mirrored:
// before each timed delivery the previous one is settled (its record complete, with
// the attempts of all its clients, see settle), and only the sender's wait is timed.
// It reports the median (p50-ms) and p90-ms.
//
// The clients and their apps run in this process (inproc) or each client with its app
// in a process of its own (procs), as in a deployment where each developer's client is
// on their own machine: inproc, the copies' round trips through the clients and apps
// also cost this process's garbage collector and scheduler, which the sender's delivery
// then shares.
func BenchmarkShareMirrorPaced(b *testing.B) {
	for _, mode := range []string{"inproc", "procs"} {
		for _, n := range []int{1, 3} {
			b.Run(mode+"/clients="+strconv.Itoa(n), func(b *testing.B) {
				obs := new(answerTimes)
				srv, st := shareServer(b, func(c *server.Config) { c.Logger, c.Observer = quiet, obs })
				for i := range n {
					id := "m" + strconv.Itoa(i)
					if mode == "procs" {
						memberProcess(b, srv.URL, id)
					} else {
						benchMember(b, srv, id, idBackend(b))
					}
				}
				pacedBench(b, srv.URL+"/t/bench/hook", st, obs, n)
			})
		}
	}
}

// pacedBench times single deliveries to u, settling each before the next. Besides the
// sender's wait (p50-ms, p90-ms) it reports the relay's own time to the answer, from
// receipt to the end of the response as the server's Observer has it (relay-p50-ms,
// relay-p90-ms): the sender's wait less the network and the sender's own side, which
// here share the two cores with whatever the relay starts once it answered.
func pacedBench(b *testing.B, u string, st *attemptStore, obs *answerTimes, clients int) {
	c := sender(b)
	id := deliverID(b, c, u)
	obs.take()
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		settle(b, st, id, clients)
		b.StartTimer()
		start := time.Now()
		id = deliverID(b, c, u)
		took = append(took, time.Since(start))
	}
	settle(b, st, id, clients)
	reportPercentiles(b, "", took)
	reportPercentiles(b, "relay-", obs.take())
}

// reportPercentiles reports the median and 90th percentile of took, in ms.
func reportPercentiles(b *testing.B, prefix string, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, prefix+"p50-ms")
	b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, prefix+"p90-ms")
}

// answerTimes is an Observer that keeps the time each delivery took the relay.
type answerTimes struct {
	mu   sync.Mutex
	took []time.Duration
}

func (o *answerTimes) Delivery(_ string, _ int, _ string, d time.Duration, _, _ int64) {
	o.mu.Lock()
	o.took = append(o.took, d)
	o.mu.Unlock()
}

func (o *answerTimes) StoreError(string) {}

// take returns the times kept and forgets them.
func (o *answerTimes) take() []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.took
	o.took = nil
	return t
}

// settle waits until record id has the attempts of all its clients and its outcome in
// the store (at most 10 s): the attempts as the store is given them (see attemptStore),
// then the outcome read back with Get, so that the wait itself costs little.
func settle(tb testing.TB, st *attemptStore, id string, clients int) {
	deadline := time.Now().Add(10 * time.Second)
	for st.count(id) < clients && time.Now().Before(deadline) {
		time.Sleep(20 * time.Microsecond)
	}
	var rec *store.Record
	var err error
	for ; time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
		rec, err = st.Get(context.Background(), tokenOwner, id)
		if err == nil && rec.Outcome != store.OutcomePending && len(rec.Tries) >= clients {
			return
		}
	}
	tb.Fatalf("record %s not settled: %+v, %v", id, rec, err)
}

// deliverID delivers benchBody to u through c and returns the record id the app saw.
func deliverID(tb testing.TB, c *http.Client, u string) string {
	resp, err := c.Post(u, "application/json", strings.NewReader(string(benchBody)))
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("status %d", resp.StatusCode)
	}
	return resp.Header.Get("X-Seen-Id")
}

// idHandler is benchBackend's app, which also echoes the record id it got in X-Seen-Id.
func idHandler(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	body := `{"received":true,"bytes":` + strconv.FormatInt(n, 10) + "}\n"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("X-Seen-Id", r.Header.Get(proto.HeaderRequestID))
	_, _ = io.WriteString(w, body)
}

func idBackend(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(idHandler)}
	go func() { _ = hs.Serve(ln) }()
	tb.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// memberEnv makes the test binary a bench member (see TestMain): "server-url client-id".
const memberEnv = "HOOKRELAY_BENCH_MEMBER"

// memberProcess runs a client of tunnel "bench" with its own app (idHandler) in a child
// process: this test binary, in member mode. It returns once the client is online and
// stops it at cleanup.
func memberProcess(tb testing.TB, serverURL, id string) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), memberEnv+"="+serverURL+" "+id)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // closed at cleanup: the child's cue to go
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	online := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		online <- line == "ONLINE\n"
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case ok := <-online:
		if !ok {
			tb.Fatal("member process failed")
		}
	case <-time.After(15 * time.Second):
		tb.Fatal("member process did not connect")
	}
}

// runMember is a member process: a client of tunnel "bench" and its app, until stdin
// closes.
func runMember(spec string) error {
	serverURL, id, _ := strings.Cut(spec, " ")
	su, err := url.Parse(serverURL)
	if err != nil {
		return fmt.Errorf("parse server url: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	go func() { _ = http.Serve(ln, http.HandlerFunc(idHandler)) }()
	target, _ := url.Parse("http://" + ln.Addr().String())
	online := make(chan struct{}, 1)
	c, err := client.New(client.Config{Server: su, Token: relaytest.Token, Out: io.Discard, Logger: quiet,
		ClientID: id, Label: id, Tunnels: []client.Tunnel{{Name: "bench", Target: target}},
		OnConnect: func(*proto.Welcome) {
			select {
			case online <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		return fmt.Errorf("new client: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	go func() { <-online; fmt.Println("ONLINE") }()
	return c.Run(ctx)
}

// benchMember attaches a quiet client of tunnel "bench" under client id id ("" sends
// none, as clients older than shared tunnels).
func benchMember(tb testing.TB, srv *relaytest.Server, id, backend string) {
	su, _ := url.Parse(srv.URL)
	online := make(chan struct{}, 1)
	c, err := client.New(client.Config{Server: su, Token: relaytest.Token, Out: io.Discard, Logger: quiet,
		ClientID: id, Label: id,
		Tunnels:   []client.Tunnel{{Name: "bench", Target: relaytest.Target(tb, backend)}},
		OnConnect: func(*proto.Welcome) { online <- struct{}{} }})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	select {
	case <-online:
	case <-time.After(15 * time.Second):
		tb.Fatal("client did not connect")
	}
}
