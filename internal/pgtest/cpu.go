package pgtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on
// Linux).
const clockTick = 10 * time.Millisecond

// CPU returns the processor time the cluster's server processes have used
// so far (user and system, the postmaster and its children, finished
// children included), read from /proc; Linux only. Benchmarks report it per
// operation, which varies far less with a neighbour's load than a rate.
func (c *Cluster) CPU() (time.Duration, error) {
	pidFile, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("postgres cpu: %w", err)
	}
	line, _, _ := strings.Cut(string(pidFile), "\n")
	parent, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("postgres cpu: bad postmaster.pid")
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, path := range stats {
		f, err := procStat(path)
		if err != nil {
			continue // gone meanwhile
		}
		switch {
		case f.pid == parent:
			ticks += f.utime + f.stime + f.cutime + f.cstime
		case f.ppid == parent:
			ticks += f.utime + f.stime
		}
	}
	return time.Duration(ticks) * clockTick, nil
}

type statFields struct{ pid, ppid, utime, stime, cutime, cstime int64 }

// procStat reads the fields of /proc/PID/stat CPU needs. The command name
// (field 2) is in parentheses and may hold spaces, so fields are counted
// after its closing parenthesis.
func procStat(path string) (statFields, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return statFields{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return statFields{}, fmt.Errorf("%s: no command", path)
	}
	rest := strings.Fields(string(b[i+1:])) // rest[0] is field 3 (state)
	if len(rest) < 15 {
		return statFields{}, fmt.Errorf("%s: short", path)
	}
	num := func(field int) int64 { n, _ := strconv.ParseInt(rest[field-3], 10, 64); return n }
	pid, _ := strconv.ParseInt(strings.Fields(string(b[:i]))[0], 10, 64)
	return statFields{pid: pid, ppid: num(4), utime: num(14), stime: num(15), cutime: num(16), cstime: num(17)}, nil
}

// Shared returns the cluster started for this test binary, nil when
// tests use HOOKRELAY_TEST_PG_DSN or it has not started.
func Shared() *Cluster {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return shared.cluster
}
