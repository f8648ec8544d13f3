package option

import (
	"strings"
	"testing"
	"time"
)

var sizeTests = []struct {
	in   string
	want int64
	err  string // substring; "" for none
}{
	{"0", 0, ""},
	{"65536", 65536, ""},
	{"512B", 512, ""},
	{"64KiB", 64 << 10, ""},
	{"64kib", 64 << 10, ""},
	{"64KB", 64 << 10, ""},
	{"10MiB", 10 << 20, ""},
	{"32MiB", 32 << 20, ""},
	{" 32 MiB ", 32 << 20, ""},
	{"1.5MiB", 3 << 19, ""},
	{"4GiB", 4 << 30, ""},
	{"1TiB", 1 << 40, ""},
	{"-5", -5, ""},
	{"-1MiB", -1 << 20, ""},
	{"", 0, "want bytes"},
	{"MiB", 0, "want bytes"},
	{"32MiBs", 0, "want bytes"},
	{"ten", 0, "want bytes"},
	{"0x10", 0, "want bytes"},
	{"NaN", 0, "want bytes"},
	{"Inf", 0, "want bytes"},
	{"1.5", 0, "whole number"},
	{"0.3KiB", 0, "whole number"},
	{"9999999TiB", 0, "too large"},
}

func TestParseSize(t *testing.T) {
	for _, tt := range sizeTests {
		got, err := ParseSize(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseSize(%q) = %d, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 1: "1", 1000: "1000", 1024: "1KiB", 65536: "64KiB", 32 << 20: "32MiB",
		10 << 20: "10MiB", 3 << 19: "1536KiB", 4 << 30: "4GiB", -1 << 20: "-1MiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDurations(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true}, {"168h", 168 * time.Hour, true}, {"7d", 7 * 24 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true}, {"-1s", -time.Second, true}, {"0", 0, true},
		{"30", 0, false}, {"d", 0, false}, {"1.5d", 0, false}, {"", 0, false}, {"99999999999d", 0, false},
	} {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 168 * time.Hour: "168h", 90 * time.Minute: "1h30m", 10 * time.Minute: "10m",
		time.Hour + time.Second: "1h0m1s", 0: "0s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzParseSize: whatever parses formats back to text that parses to the same size.
func FuzzParseSize(f *testing.F) {
	for _, tt := range sizeTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		back, err := ParseSize(FormatSize(n))
		if err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, formatted %q, parsed back %d, %v", s, n, FormatSize(n), back, err)
		}
	})
}

// FuzzParseDuration: whatever parses formats back to text that parses to the same.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "7d", "1h30m", "-1s", "0", "1.5h", "100ms", "d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v, formatted %q, parsed back %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}
