package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// mirrorDelay is how long the slow mirror's app takes over each copy: the 10 s.
const mirrorDelay = 10 * time.Second

// slowApp answers every request after mirrorDelay (or at once when the test ends) and
// keeps when each answer left.
type slowApp struct {
	memberApp
	ended []time.Time
}

func newSlowApp(t *testing.T, name string) *slowApp {
	a := &slowApp{memberApp: memberApp{name: name}}
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		a.mu.Lock()
		a.ids = append(a.ids, r.Header.Get(proto.HeaderRequestID))
		a.mu.Unlock()
		select {
		case <-time.After(mirrorDelay):
		case <-stop:
		}
		_, _ = io.WriteString(w, a.name)
		a.mu.Lock()
		a.ended = append(a.ended, time.Now())
		a.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(stop) }) }) // runs first: the server waits for its handlers
	a.url = srv.URL
	return a
}

// firstEnd is when the app first answered (zero while none has).
func (a *slowApp) firstEnd() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.ended) == 0 {
		return time.Time{}
	}
	return a.ended[0]
}

// TestTeamSlowMirrorAddsNothing: in a team of three in mirror mode, a mirror whose app
// takes 10 s over every copy adds nothing to the sender's wait: five deliveries, one
// after the other, are all answered by the primary before the slow app has answered its
// first copy, and then each record holds all three attempts, the slow one's included.
func TestTeamSlowMirrorAddsNothing(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte(teamConfig()))
	r := startRelay(t, "--dev", "--config", cfgFile, "--addr", "127.0.0.1:0")
	alice, carol, bob := newMemberApp(t, "alice"), newMemberApp(t, "carol"), newSlowApp(t, "bob")
	_, frames := joinTunnel(t, r.PublicURL, aliceToken, alice)
	joinTunnel(t, r.PublicURL, bobToken, &bob.memberApp)
	joinTunnel(t, r.PublicURL, carolToken, carol)
	waitFrame(t, frames, "alice:primary", "bob:mirror", "carol:mirror")

	var ids []string
	var waits []time.Duration
	for range 5 {
		start := time.Now()
		from, id := sendStripe(t, r.PublicURL, `{"type":"charge.succeeded"}`)
		waits = append(waits, time.Since(start))
		if from != "alice" {
			t.Fatalf("the sender got %q's answer, want alice's", from)
		}
		ids = append(ids, id)
	}
	answered := time.Now()
	t.Logf("the sender's waits with a 10 s mirror: %v", waits)
	if end := bob.firstEnd(); !end.IsZero() && end.Before(answered) {
		t.Fatalf("the slow mirror answered a copy at %v, before the fifth delivery was answered at %v", end, answered)
	}
	for _, id := range ids {
		bob.waitGot(t, id)
		got := triesOf(waitTries(t, r.PublicURL, carolToken, id, 3))
		if want := []string{"alice:primary:200", "bob:mirror:200", "carol:mirror:200"}; !slices.Equal(got, want) {
			t.Errorf("tries of %s: %v, want %v", id, got, want)
		}
	}
}
