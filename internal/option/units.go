package option

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// units are the binary size units, largest first. KB, MB and GB are accepted as the
// same units: nobody configuring a body limit means 32,000,000 bytes.
var units = []struct {
	name  string
	alias string
	n     int64
}{
	{"TiB", "TB", 1 << 40}, {"GiB", "GB", 1 << 30}, {"MiB", "MB", 1 << 20}, {"KiB", "KB", 1 << 10},
}

// ParseSize reads a byte count: plain bytes (65536, 65536B) or a whole or decimal number
// of a binary unit (64KiB, 1.5MiB, 32MB). Negative sizes parse, for the checks to refuse
// with a clear message.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if num, ok := cutSuffixFold(t, u.name, u.alias); ok {
			t, mult = num, u.n
			break
		}
	}
	if mult == 1 {
		t, _ = cutSuffixFold(t, "B", "B")
	}
	t = strings.TrimSpace(t)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n > math.MaxInt64/mult || n < math.MinInt64/mult {
			return 0, fmt.Errorf("%q: too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || strings.ContainsAny(t, "xXpPnN_") {
		return 0, fmt.Errorf("%q: want bytes, e.g. 65536, 64KiB or 32MiB", s)
	}
	if b := f * float64(mult); b == math.Trunc(b) && math.Abs(b) < 1<<62 {
		return int64(b), nil
	}
	return 0, fmt.Errorf("%q: not a whole number of bytes", s)
}

// cutSuffixFold cuts either suffix, in any case, from s.
func cutSuffixFold(s, a, b string) (string, bool) {
	for _, suf := range []string{a, b} {
		if len(s) >= len(suf) && strings.EqualFold(s[len(s)-len(suf):], suf) {
			return s[:len(s)-len(suf)], true
		}
	}
	return s, false
}

// FormatSize writes n in the largest binary unit that divides it: 33554432 is 32MiB.
func FormatSize(n int64) string {
	for _, u := range units {
		if n != 0 && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// ParseDuration reads a Go duration (30s, 1h30m) or whole days (7d).
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(t, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err == nil && n <= math.MaxInt64/int64(24*time.Hour) && n >= math.MinInt64/int64(24*time.Hour) {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration, e.g. 30s, 10m, 24h or 7d", s)
	}
	return d, nil
}

// FormatDuration writes d as Go does, without zero trailing units: 168h, not 168h0m0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
