package cluster

import (
	"maps"
	"slices"
	"testing"
)

func TestReconcile(t *testing.T) {
	a, b, c := Key{"t", "", "a"}, Key{"t", "tok", "a"}, Key{"u", "", ""}
	tests := []struct {
		name                     string
		stored, current, serving map[Key]int64
		want                     Plan
	}{
		{name: "in agreement", stored: map[Key]int64{a: 1}, current: map[Key]int64{a: 1, b: 2}, serving: map[Key]int64{a: 1}},
		{name: "stale lease of an ended session", stored: map[Key]int64{a: 1, c: 4}, current: map[Key]int64{a: 1, c: 4},
			serving: map[Key]int64{a: 1}, want: Plan{Release: map[Key]int64{c: 4}}},
		{name: "client re-attached on another node", stored: map[Key]int64{}, current: map[Key]int64{a: 7},
			serving: map[Key]int64{a: 3}, want: Plan{Superseded: []Key{a}}},
		{name: "reaped during an outage", stored: map[Key]int64{}, current: map[Key]int64{},
			serving: map[Key]int64{c: 2, a: 1}, want: Plan{Lost: []Key{a, c}}},
		{name: "re-attached on this node", stored: map[Key]int64{a: 9}, current: map[Key]int64{a: 9},
			serving: map[Key]int64{a: 3}, want: Plan{Superseded: []Key{a}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Reconcile(tt.stored, tt.current, tt.serving)
			if !maps.Equal(got.Release, tt.want.Release) || !slices.Equal(got.Superseded, tt.want.Superseded) ||
				!slices.Equal(got.Lost, tt.want.Lost) {
				t.Errorf("Reconcile = %+v, want %+v", got, tt.want)
			}
		})
	}
}
