package store

import (
	"errors"
	"testing"
)

var cursorCases = []struct {
	name string
	in   string
	want Cursor
	ok   bool
}{
	{"newest", Cursor{Seq: 42}.String(), Cursor{Seq: 42}, true},
	{"oldest", Cursor{Seq: 7, Oldest: true}.String(), Cursor{Seq: 7, Oldest: true}, true},
	{"max", Cursor{Seq: 1<<63 - 1}.String(), Cursor{Seq: 1<<63 - 1}, true},
	{"zero seq", Cursor{}.String(), Cursor{}, false},
	{"negative seq", Cursor{Seq: -1}.String(), Cursor{}, false},
	{"empty", "", Cursor{}, false},
	{"short", "AQAAAAAAAAA", Cursor{}, false},
	{"long", "AQAAAAAAAAAqA", Cursor{}, false},
	{"bad flag", "AwAAAAAAAAAq", Cursor{}, false},
	{"not base64", "AQAAAAAAAA!q", Cursor{}, false},
	{"padded std", "AQAAAAAAAA+q", Cursor{}, false},
	{"decimal", "42", Cursor{}, false},
	{"line breaks", "AX00\r\r\r\r\r\r\r\r", Cursor{}, false},
}

func TestParseCursor(t *testing.T) {
	for _, tt := range cursorCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCursor(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseCursor(%q) = %v, %v; want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCursor(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, tt := range cursorCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseCursor(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if c.Seq <= 0 {
			t.Fatalf("ParseCursor(%q) accepted seq %d", s, c.Seq)
		}
		if back := c.String(); back != s {
			t.Fatalf("ParseCursor(%q) round-trips to %q", s, back)
		}
	})
}
