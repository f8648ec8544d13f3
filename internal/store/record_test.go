package store

import "testing"

func TestOutcomeValid(t *testing.T) {
	tests := []struct {
		in   Outcome
		want bool
	}{
		{OutcomePending, true}, {OutcomeOK, true}, {OutcomeOffline, true},
		{OutcomeQueued, true}, {OutcomeTimeout, true}, {OutcomeRefused, true},
		{OutcomeTooLarge, true}, {OutcomeRejected, true}, {OutcomeError, true},
		{OutcomeExpired, true}, {"", false}, {"OK", false}, {"done", false},
	}
	for _, tt := range tests {
		if got := tt.in.Valid(); got != tt.want {
			t.Errorf("Outcome(%q).Valid() = %v, want %v", tt.in, got, tt.want)
		}
	}
}
