package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Target names.
const (
	targetDirect   = "direct"
	targetRelay    = "relay"
	targetNoRecord = "relay-norecord"
)

// target is one way to reach the backend, with the processes that serve it.
type target struct {
	name  string
	url   string
	procs []*proc // server, client, backend: their CPU is charged to this target
}

// run is one measured load run.
type run struct {
	Round  int    `json:"round"`
	Target string `json:"target"`
	Conns  int    `json:"conns"`
	loadResult
	// CPUPerReq is the CPU time of the target's processes (server, client, backend) per
	// answered request, in microseconds. The load generator is not included.
	CPUPerReq float64 `json:"cpu_per_req_us"`
	// Syscalls is the read and write system calls of the target's processes per
	// answered request (from /proc/PID/io).
	Syscalls float64 `json:"syscalls_per_req"`
	// ProcCPU is each of the target's processes' CPU time during the run, in seconds.
	ProcCPU map[string]float64 `json:"proc_cpu_s"`
	// ProcSyscalls is each process's read and write system calls per request.
	ProcSyscalls map[string]float64 `json:"proc_syscalls_per_req"`
	// RSS is each of the target's processes' resident memory at the end, in bytes.
	RSS map[string]int64 `json:"rss_bytes"`
	// Background is the CPU that other processes on the machine used during the run,
	// in cores (the machine is shared; a high value means noisy figures).
	Background float64 `json:"background_cores"`
}

// matrix runs every target at every connection count, round after round, interleaved
// so that ratios compare runs that were close in time.
type matrix struct {
	load    loader
	targets []target
	all     []*proc // every process of the bench, for the background figure
	conns   []int
	rounds  int
	dur     time.Duration
	warmup  time.Duration
	logf    func(format string, args ...any)
}

func (m *matrix) runAll(ctx context.Context) ([]run, error) {
	var runs []run
	for round := 1; round <= m.rounds; round++ {
		for _, c := range m.conns {
			for _, t := range m.targets {
				r, err := m.runOne(ctx, t, c)
				if err != nil {
					return nil, fmt.Errorf("%s at c=%d: %w", t.name, c, err)
				}
				r.Round = round
				m.logf("round %d  %-15s c=%-4d %9.0f req/s  p50 %6.3f ms  p99 %6.3f ms  cpu %5.1f us/req  bg %.2f cores\n",
					round, t.name, c, r.RPS, r.P50, r.P99, r.CPUPerReq, r.Background)
				runs = append(runs, r)
			}
		}
	}
	return runs, nil
}

// runOne warms the path up, then measures one run.
func (m *matrix) runOne(ctx context.Context, t target, conns int) (run, error) {
	if m.warmup > 0 {
		if _, err := m.load.run(ctx, t.url, conns, m.warmup); err != nil {
			return run{}, err
		}
	}
	before := snapshot(m.all)
	res, err := m.load.run(ctx, t.url, conns, m.dur)
	if err != nil {
		return run{}, err
	}
	after := snapshot(m.all)
	r := run{Target: t.name, Conns: conns, loadResult: res, ProcCPU: map[string]float64{},
		ProcSyscalls: map[string]float64{}, RSS: map[string]int64{}}
	r.charge(t.procs, before, after)
	r.Background = background(before, after, m.load, res)
	return r, nil
}

// charge fills the per-request CPU and system calls of procs from two snapshots.
func (r *run) charge(procs []*proc, before, after cpuSnapshot) {
	n := float64(max(r.Requests, 1))
	var cpu time.Duration
	for _, p := range procs {
		d := after.cpu[p.pid()] - before.cpu[p.pid()]
		calls := float64(after.syscalls[p.pid()]-before.syscalls[p.pid()]) / n
		cpu += d
		r.ProcCPU[p.name], r.ProcSyscalls[p.name] = d.Seconds(), calls
		r.RSS[p.name] = after.rss[p.pid()]
		r.Syscalls += calls
	}
	r.CPUPerReq = float64(cpu.Microseconds()) / n
}

// cpuSnapshot is the CPU time of the bench's processes and of the machine at one instant.
type cpuSnapshot struct {
	at       time.Time
	cpu      map[int]time.Duration // by pid, the bench itself included
	syscalls map[int]int64
	rss      map[int]int64
	machine  time.Duration
}

func snapshot(ps []*proc) cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), cpu: map[int]time.Duration{}, syscalls: map[int]int64{}, rss: map[int]int64{}}
	s.machine, _ = machineBusy()
	self := os.Getpid()
	s.cpu[self], _ = procCPU(self)
	for _, p := range ps {
		s.cpu[p.pid()], _ = procCPU(p.pid())
		s.syscalls[p.pid()], _ = procSyscalls(p.pid())
		if m, err := procMem(p.pid()); err == nil {
			s.rss[p.pid()] = m.RSS
		}
	}
	return s
}

// background is the CPU, in cores, that processes other than the bench's own (its
// children, itself and wrk) used between the two snapshots.
func background(before, after cpuSnapshot, l loader, res loadResult) float64 {
	ours := time.Duration(0)
	for pid, c := range after.cpu {
		ours += c - before.cpu[pid]
	}
	if l.name() == "wrk" {
		ours += time.Duration(res.CPU * float64(time.Second))
	}
	wall := after.at.Sub(before.at)
	if wall <= 0 {
		return 0
	}
	return max((after.machine-before.machine-ours).Seconds()/wall.Seconds(), 0)
}
