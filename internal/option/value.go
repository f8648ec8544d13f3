package option

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Value is an option's typed destination: a pflag.Value that also knows its default.
// Set parses text in the option's unit and stores it in the bound field.
type Value interface {
	pflag.Value
	// Reset stores the default.
	Reset()
	// Default is the default as text in the option's unit, without storing it.
	Default() string
}

// number is a Value holding a number, for the numeric checks.
type number interface {
	Float() float64
}

// String binds a string field.
func String(p *string, def string) Value { return &stringValue{p, def} }

type stringValue struct {
	p   *string
	def string
}

func (v *stringValue) Set(s string) error { *v.p = s; return nil }
func (v *stringValue) String() string     { return *v.p }
func (v *stringValue) Type() string       { return "string" }
func (v *stringValue) Reset()             { *v.p = v.def }
func (v *stringValue) Default() string    { return v.def }

// Bool binds a boolean field. As a flag it needs no argument (--dev).
func Bool(p *bool, def bool) Value { return &boolValue{p, def} }

type boolValue struct {
	p   *bool
	def bool
}

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q: want true or false", s)
	}
	*v.p = b
	return nil
}
func (v *boolValue) String() string   { return strconv.FormatBool(*v.p) }
func (v *boolValue) Type() string     { return "bool" }
func (v *boolValue) Reset()           { *v.p = v.def }
func (v *boolValue) Default() string  { return strconv.FormatBool(v.def) }
func (v *boolValue) IsBoolFlag() bool { return true }

// Int binds a count.
func Int(p *int, def int) Value { return &intValue{p, def} }

type intValue struct {
	p   *int
	def int
}

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q: want a whole number", s)
	}
	*v.p = n
	return nil
}
func (v *intValue) String() string  { return strconv.Itoa(*v.p) }
func (v *intValue) Type() string    { return "int" }
func (v *intValue) Reset()          { *v.p = v.def }
func (v *intValue) Default() string { return strconv.Itoa(v.def) }
func (v *intValue) Float() float64  { return float64(*v.p) }

// Size binds a byte count written with an optional binary unit (32MiB).
func Size(p *int64, def int64) Value { return &sizeValue{p, def} }

type sizeValue struct {
	p   *int64
	def int64
}

func (v *sizeValue) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}
func (v *sizeValue) String() string  { return FormatSize(*v.p) }
func (v *sizeValue) Type() string    { return "size" }
func (v *sizeValue) Reset()          { *v.p = v.def }
func (v *sizeValue) Default() string { return FormatSize(v.def) }
func (v *sizeValue) Float() float64  { return float64(*v.p) }

// ByteRate binds bytes a second, written as a size with an optional "/s" (8KiB/s).
func ByteRate(p *int64, def int64) Value { return &byteRateValue{sizeValue{p, def}} }

type byteRateValue struct{ sizeValue }

func (v *byteRateValue) Set(s string) error {
	return v.sizeValue.Set(strings.TrimSuffix(strings.TrimSpace(s), "/s"))
}
func (v *byteRateValue) String() string  { return FormatSize(*v.p) + "/s" }
func (v *byteRateValue) Type() string    { return "rate" }
func (v *byteRateValue) Default() string { return FormatSize(v.def) + "/s" }

// Duration binds a duration (30s, 168h, 7d).
func Duration(p *time.Duration, def time.Duration) Value { return &durationValue{p, def} }

type durationValue struct {
	p   *time.Duration
	def time.Duration
}

func (v *durationValue) Set(s string) error {
	d, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*v.p = d
	return nil
}
func (v *durationValue) String() string  { return FormatDuration(*v.p) }
func (v *durationValue) Type() string    { return "duration" }
func (v *durationValue) Reset()          { *v.p = v.def }
func (v *durationValue) Default() string { return FormatDuration(v.def) }
func (v *durationValue) Float() float64  { return float64(*v.p) }

// PerSecond binds a rate of events a second (1000 or 1000/s).
func PerSecond(p *float64, def float64) Value { return &perSecondValue{p, def} }

type perSecondValue struct {
	p   *float64
	def float64
}

func (v *perSecondValue) Set(s string) error {
	t := strings.TrimSuffix(strings.TrimSpace(s), "/s")
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != f { // NaN compares unequal to itself
		return fmt.Errorf("%q: want a number a second, e.g. 1000 or 12.5/s", s)
	}
	*v.p = f
	return nil
}
func (v *perSecondValue) String() string { return strconv.FormatFloat(*v.p, 'g', -1, 64) + "/s" }
func (v *perSecondValue) Type() string   { return "rate" }
func (v *perSecondValue) Reset()         { *v.p = v.def }
func (v *perSecondValue) Default() string {
	return strconv.FormatFloat(v.def, 'g', -1, 64) + "/s"
}
func (v *perSecondValue) Float() float64 { return *v.p }

// List binds a repeatable string option. On the command line each flag adds one item;
// in the environment the items are separated by sep (blanks around items dropped).
func List(p *[]string, sep string) Value { return &listValue{p: p, sep: sep} }

type listValue struct {
	p     *[]string
	sep   string
	added bool // Set has replaced the default since the last Reset
}

func (v *listValue) Set(s string) error {
	if !v.added {
		*v.p, v.added = nil, true
	}
	*v.p = append(*v.p, s)
	return nil
}
func (v *listValue) String() string  { return strings.Join(*v.p, v.sep) }
func (v *listValue) Type() string    { return "stringArray" }
func (v *listValue) Reset()          { *v.p, v.added = nil, false }
func (v *listValue) Default() string { return "" }

// setAll replaces the list with the items of an environment value.
func (v *listValue) setAll(s string) {
	v.Reset()
	for _, item := range strings.Split(s, v.sep) {
		if item = strings.TrimSpace(item); item != "" {
			_ = v.Set(item)
		}
	}
}
