package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// errProcFormat reports a /proc file this command cannot parse.
var errProcFormat = errors.New("bench: unexpected /proc format")

// maxCounter bounds every /proc counter accepted, so that sums and unit conversions
// cannot overflow.
const maxCounter = 1 << 50

// counter parses a non-negative /proc counter.
func counter(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0 && n <= maxCounter
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ).
var clockTick = userHZ()

// userHZ asks getconf for CLK_TCK; Linux has used 100 everywhere for decades.
func userHZ() time.Duration {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 10 * time.Millisecond
	}
	hz, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || hz <= 0 {
		return 10 * time.Millisecond
	}
	return time.Second / time.Duration(hz)
}

// parseStat returns utime+stime, in clock ticks, from the text of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are counted from
// the last ')'.
func parseStat(s string) (int64, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: stat has no ')'", errProcFormat)
	}
	f := strings.Fields(s[i+1:])
	// After ')': state is field 3, so utime (14) and stime (15) are f[11] and f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: stat has %d fields after the name", errProcFormat, len(f))
	}
	utime, ok1 := counter(f[11])
	stime, ok2 := counter(f[12])
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("%w: stat utime %q stime %q", errProcFormat, f[11], f[12])
	}
	return utime + stime, nil
}

// procCPU is the CPU time (user+system) process pid has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read cpu time: %w", err)
	}
	ticks, err := parseStat(string(b))
	if err != nil {
		return 0, err
	}
	return time.Duration(ticks) * clockTick, nil
}

// memInfo is the memory of one process, from /proc/PID/status.
type memInfo struct {
	RSS     int64 // VmRSS, bytes
	HWM     int64 // VmHWM, the peak RSS so far, bytes
	Threads int   // OS threads (not goroutines)
}

// parseStatus reads VmRSS, VmHWM and Threads from the text of /proc/PID/status.
func parseStatus(s string) (memInfo, error) {
	var m memInfo
	var seen int
	for _, line := range strings.Split(s, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch key {
		case "VmRSS", "VmHWM", "Threads":
			if err := m.set(key, strings.TrimSpace(val)); err != nil {
				return memInfo{}, err
			}
			seen++
		}
	}
	if seen < 3 {
		return memInfo{}, fmt.Errorf("%w: status lacks VmRSS, VmHWM or Threads", errProcFormat)
	}
	return m, nil
}

func (m *memInfo) set(key, val string) error {
	n, ok := counter(strings.TrimSuffix(val, " kB"))
	if !ok {
		return fmt.Errorf("%w: %s %q", errProcFormat, key, val)
	}
	switch key {
	case "VmRSS":
		m.RSS = n << 10
	case "VmHWM":
		m.HWM = n << 10
	default:
		m.Threads = int(n)
	}
	return nil
}

// procMem reads the memory of process pid.
func procMem(pid int) (memInfo, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memInfo{}, fmt.Errorf("read memory: %w", err)
	}
	return parseStatus(string(b))
}

// parseCPUTotal returns the busy and total ticks of all CPUs from the text of
// /proc/stat ("cpu  user nice system idle iowait irq softirq steal ...").
func parseCPUTotal(s string) (busy, total int64, err error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("%w: /proc/stat first line %q", errProcFormat, line)
	}
	for i, v := range f[1:] {
		n, ok := counter(v)
		if !ok {
			return 0, 0, fmt.Errorf("%w: /proc/stat field %q", errProcFormat, v)
		}
		if i >= 8 { // guest time is already counted in user
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, nil
}

// machineBusy is the CPU time all CPUs spent busy so far, every process counted.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read machine cpu: %w", err)
	}
	busy, _, err := parseCPUTotal(string(b))
	return time.Duration(busy) * clockTick, err
}

// loadAvg returns the first field of /proc/loadavg, or -1.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// parseIO returns syscr+syscw, the read and write system calls so far, from the text of
// /proc/PID/io.
func parseIO(s string) (int64, error) {
	var n int64
	var seen int
	for _, line := range strings.Split(s, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "syscr" && key != "syscw") {
			continue
		}
		v, ok := counter(strings.TrimSpace(val))
		if !ok {
			return 0, fmt.Errorf("%w: io %s %q", errProcFormat, key, val)
		}
		n += v
		seen++
	}
	if seen != 2 {
		return 0, fmt.Errorf("%w: io lacks syscr or syscw", errProcFormat)
	}
	return n, nil
}

// procSyscalls is how many read and write system calls process pid has made.
func procSyscalls(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, fmt.Errorf("read io counters: %w", err)
	}
	return parseIO(string(b))
}
