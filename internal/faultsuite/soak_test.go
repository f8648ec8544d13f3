package faultsuite

import (
	"testing"
	"time"
)

// TestSoak runs the suite's traffic mix at -soak-rate for -soak through a queueing
// tunnel, restarting the client every -soak-restart (SIGKILL and SIGTERM in turn),
// then lets the queue drain and holds the whole run to the oracle. It runs only when
// -soak is given:
//
//	go test ./internal/faultsuite -run Soak -soak=10m -soak-rate=100 -timeout 0
func TestSoak(t *testing.T) {
	if *soakFor <= 0 {
		t.Skip("the soak runs only with -soak=DURATION")
	}
	r := newRig(t, rigOpts{clientArgs: []string{"--offline", "queue"},
		serverArgs: []string{"--tunnel-record-quota", "1000000000000", "--token-record-quota", "1000000000000"}}) // the soak records GBs a day
	r.startClient()
	s := r.sender("soak")
	stop := background(s, *soakRate, mixedSpec)
	start := time.Now()
	for n := 1; time.Since(start)+*soakEvery < *soakFor; n++ {
		time.Sleep(*soakEvery)
		restartClient(r, n%2 == 1)
		t.Logf("%s: client restart %d (kill -9: %v); answers so far: %s",
			time.Since(start).Round(time.Second), n, n%2 == 1, statusSummary(mustResults(s)))
	}
	time.Sleep(*soakFor - time.Since(start))
	stop()
	r.awaitQueue(s)
	r.verdict(s)
}

// restartClient stops the client (SIGKILL or SIGTERM), waits a second and starts it
// again.
func restartClient(r *rig, kill bool) {
	r.t.Helper()
	if kill {
		r.client.kill()
	} else if _, err := r.client.term(scaled(60 * time.Second)); err != nil {
		r.t.Error(err)
	}
	time.Sleep(time.Second)
	r.startClient()
}
