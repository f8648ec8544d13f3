package postgres_test

import (
	"context"
	"crypto/rand"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
)

// BenchmarkDeliveries measures deliveries per second recorded by each
// backend: one delivery is an Insert with a 1 KiB request body, then a
// Complete with a 2-byte answer, each waited for, from c concurrent senders
// (c=1: no group commit possible). Backends:
//
//   - sqlite: a file in a temporary directory, default options (WAL,
//     synchronous=NORMAL: durable against a crash of the process, not of the
//     machine);
//   - postgres: a schema on the test PostgreSQL (HOOKRELAY_TEST_PG_DSN, or the
//     throwaway test cluster, which runs with fsync off);
//   - postgres-durable: a throwaway cluster of its own with fsync and
//     synchronous_commit on, as a production server runs (skipped when
//     HOOKRELAY_TEST_PG_DSN names the server to use);
//   - postgres-durable-async: the same with Options.AsyncCommit.
//
// PostgreSQL runs on the same cores as the benchmark, as it would on a small
// single-machine deployment.
func BenchmarkDeliveries(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) (store.Store, *pgtest.Cluster)
	}{
		{"sqlite", func(b *testing.B) (store.Store, *pgtest.Cluster) { return sqlitetest.MustOpen(b), nil }},
		{"postgres", func(b *testing.B) (store.Store, *pgtest.Cluster) {
			return mustOpen(b, pgtest.Schema(b), postgres.Options{}), pgtest.Shared()
		}},
		{"postgres-durable", func(b *testing.B) (store.Store, *pgtest.Cluster) {
			return openDurable(b, postgres.Options{})
		}},
		{"postgres-durable-async", func(b *testing.B) (store.Store, *pgtest.Cluster) {
			return openDurable(b, postgres.Options{AsyncCommit: true})
		}},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			for _, c := range []int{1, 16, 64} {
				b.Run("c="+strconv.Itoa(c), func(b *testing.B) {
					s, cluster := be.open(b)
					cpu := startCPU(b, cluster)
					deliver(b, s, c)
					cpu.report(b)
				})
			}
		})
	}
}

// cpuMeter measures the processor time of this process and of the
// PostgreSQL server, when it runs here, over a benchmark.
type cpuMeter struct {
	cluster      *pgtest.Cluster
	self, server time.Duration
}

func startCPU(b *testing.B, c *pgtest.Cluster) cpuMeter {
	m := cpuMeter{cluster: c, self: selfCPU(b)}
	if c != nil {
		m.server, _ = c.CPU()
	}
	return m
}

// report adds the CPU per delivery: "client-us/op" for this process (which
// is all of it for SQLite), "server-us/op" for PostgreSQL's processes.
func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64((selfCPU(b)-m.self).Microseconds())/float64(b.N), "client-us/op")
	if m.cluster == nil {
		return
	}
	if server, err := m.cluster.CPU(); err == nil {
		b.ReportMetric(float64((server-m.server).Microseconds())/float64(b.N), "server-us/op")
	}
}

func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// durable is the durable cluster, started on first use and stopped after
// the last benchmark by pgtest.Main.
var durable struct {
	once    sync.Once
	cluster *pgtest.Cluster
	err     error
}

// openDurable opens a store on a schema of a cluster started with
// production durability, once per benchmark run.
func openDurable(b *testing.B, opts postgres.Options) (store.Store, *pgtest.Cluster) {
	if os.Getenv(pgtest.EnvDSN) != "" {
		b.Skip("postgres-durable starts its own cluster; " + pgtest.EnvDSN + " is set")
	}
	durable.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		c, err := pgtest.Start(ctx, pgtest.Config{Durable: true})
		if err != nil {
			durable.err = err
			return
		}
		pgtest.StopAtExit(c)
		durable.cluster = c
	})
	if durable.err != nil {
		b.Skipf("no durable cluster: %v", durable.err)
	}
	return mustOpen(b, pgtest.SchemaOn(b, durable.cluster.DSN()), opts), durable.cluster
}

// deliver records b.N deliveries from c goroutines and reports the rate.
func deliver(b *testing.B, s store.Store, c int) {
	ctx := context.Background()
	body := make([]byte, 1024)
	rand.Read(body)
	var once sync.Once
	fail := func(err error) { once.Do(func() { b.Error(err) }) }
	b.ReportAllocs()
	b.ResetTimer()
	if c == 1 {
		for range b.N {
			if err := delivery(ctx, s, body); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		return
	}
	b.SetParallelism(max(c/runtime.GOMAXPROCS(0), 1))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := delivery(ctx, s, body); err != nil {
				fail(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

func delivery(ctx context.Context, s store.Store, body []byte) error {
	r := &store.Record{Tunnel: "bench", Owner: "owner", Method: "POST", Path: "/hook", Proto: "HTTP/1.1",
		Host: "bench.relay.test", RemoteAddr: "192.0.2.1:4321",
		Headers: []store.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Signature", Value: "t=1,v1=abc"}},
		Body:    store.Body{Data: body, Size: int64(len(body)), SHA256: "0123456789abcdef"}}
	if err := s.Insert(ctx, r); err != nil {
		return err
	}
	r.Status, r.Outcome, r.Duration = 200, store.OutcomeOK, time.Millisecond
	r.RespHeaders = []store.Header{{Name: "Content-Length", Value: "2"}}
	r.RespBody = store.Body{Data: []byte("ok"), Size: 2, SHA256: "2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df"}
	return s.Complete(ctx, r)
}
