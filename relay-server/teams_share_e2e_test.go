package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

const daveToken = "hr_dave_0123456789abcdef"

// teamConfig is the Teams example of the README with real digests, and dave in a team
// of his own.
func teamConfig() string {
	return "teams:\n" +
		"  payments:\n" +
		"    tokens: [\"" + server.HashToken(aliceToken) + "\", \"" + server.HashToken(bobToken) + "\", \"" + server.HashToken(carolToken) + "\"]\n" +
		"    names: [stripe-test]\n" +
		"  leads:\n" +
		"    tokens: [\"" + server.HashToken(daveToken) + "\"]\n" +
		"tunnels:\n" +
		"  stripe-test: {share: mirror, handshake: [slack]}\n"
}

// memberApp is a team member's local app: it answers with its name and keeps the
// record ids it received.
type memberApp struct {
	name string
	url  string
	mu   sync.Mutex
	ids  []string
}

func newMemberApp(t *testing.T, name string) *memberApp {
	a := &memberApp{name: name}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		a.mu.Lock()
		a.ids = append(a.ids, r.Header.Get(proto.HeaderRequestID))
		a.mu.Unlock()
		w.Header().Set("X-Seen-Id", r.Header.Get(proto.HeaderRequestID))
		_, _ = io.WriteString(w, a.name)
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func (a *memberApp) got() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.ids)
}

// waitGot waits until the app received record id.
func (a *memberApp) waitGot(t *testing.T, id string) {
	t.Helper()
	for deadline := time.Now().Add(startTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if slices.Contains(a.got(), id) {
			return
		}
	}
	t.Fatalf("%s's app never got %s (got %v)", a.name, id, a.got())
}

// joinTunnel runs token's client on stripe-test under its own client id and label, and
// returns it with a channel of the clients frames it is sent.
func joinTunnel(t *testing.T, base, token string, a *memberApp, routes ...string) (*relaytest.Client, chan *proto.Clients) {
	t.Helper()
	frames := make(chan *proto.Clients, 64)
	c := relaytest.RunClientWith(t, base, token, func(c *client.Config) {
		c.ClientID, c.Label = "id-"+a.name, a.name
		c.OnClients = func(cl *proto.Clients) {
			select {
			case frames <- cl:
			default:
			}
		}
	}, client.Tunnel{Name: "stripe-test", Target: relaytest.Target(t, a.url), Routes: routes})
	c.WaitOnline(t)
	return c, frames
}

// waitFrame waits for a clients frame listing want (label:role), in order.
func waitFrame(t *testing.T, frames chan *proto.Clients, want ...string) {
	t.Helper()
	timeout := time.After(startTimeout)
	var got []string
	for {
		select {
		case cl := <-frames:
			got = got[:0]
			for _, c := range cl.Clients {
				got = append(got, c.Label+":"+c.Role)
			}
			if slices.Equal(got, want) {
				return
			}
		case <-timeout:
			t.Fatalf("last clients frame %v, want %v", got, want)
		}
	}
}

// sendStripe posts body to stripe-test and returns who answered and the record id.
func sendStripe(t *testing.T, base, body string) (from, id string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/t/stripe-test/webhooks", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery: %s %q", resp.Status, b)
	}
	return string(b), resp.Header.Get("X-Seen-Id")
}

// waitTries reads record id through the API with token until it has n tries.
func waitTries(t *testing.T, base, token, id string, n int) []api.Try {
	t.Helper()
	var rec api.Record
	for deadline := time.Now().Add(startTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		status, body := apiCall(t, http.MethodGet, base+"/api/requests/"+id, token)
		if status == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &rec); err != nil {
				t.Fatal(err)
			}
			if len(rec.Tries) >= n {
				return rec.Tries
			}
		}
	}
	t.Fatalf("record %s: tries %+v, want %d", id, rec.Tries, n)
	return nil
}

// TestTeamMirrorAcrossTokens: three members of a team, each with a token of their own,
// serve one tunnel side by side in mirror mode. The first on answers, the others get
// copies, the record holds every attempt and any member reads it; a token of another
// team cannot take the name; a member's route takes only the deliveries it matches.
func TestTeamMirrorAcrossTokens(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte(teamConfig()))
	r := startRelay(t, "--dev", "--config", cfgFile, "--addr", "127.0.0.1:0")
	alice, bob, carol := newMemberApp(t, "alice"), newMemberApp(t, "bob"), newMemberApp(t, "carol")

	_, aliceFrames := joinTunnel(t, r.PublicURL, aliceToken, alice)
	joinTunnel(t, r.PublicURL, bobToken, bob)
	carolClient, _ := joinTunnel(t, r.PublicURL, carolToken, carol)
	waitFrame(t, aliceFrames, "alice:primary", "bob:mirror", "carol:mirror")

	from, id := sendStripe(t, r.PublicURL, `{"type":"charge.succeeded"}`)
	if from != "alice" || id == "" {
		t.Fatalf("the sender got %q (record %q), want alice's answer", from, id)
	}
	bob.waitGot(t, id)
	carol.waitGot(t, id)
	tries := triesOf(waitTries(t, r.PublicURL, bobToken, id, 3))
	if want := []string{"alice:primary:200", "bob:mirror:200", "carol:mirror:200"}; !slices.Equal(tries, want) {
		t.Errorf("tries bob reads: %v, want %v", tries, want)
	}

	resp, body := do(t, http.DefaultClient, http.MethodPost, r.PublicURL+"/t/stripe-test/slack",
		`{"type":"url_verification","token":"x","challenge":"ch4llenge"}`)
	if resp.StatusCode != http.StatusOK || body != "ch4llenge" {
		t.Errorf("slack url_verification: %s %q, want the challenge from the relay", resp.Status, body)
	}

	dave := relaytest.RunClient(t, r.PublicURL, daveToken, client.Tunnel{Name: "stripe-test", Target: relaytest.Target(t, alice.url)})
	select {
	case <-dave.Done():
		if !errors.Is(dave.Err(), client.ErrPermanent) || !strings.Contains(dave.Err().Error(), string(proto.CodeNameTaken)) {
			t.Errorf("dave asking for stripe-test: %v, want a permanent name_taken", dave.Err())
		}
	case <-time.After(startTimeout):
		t.Fatal("dave's client on stripe-test neither failed nor stopped")
	}

	if err := carolClient.Stop(); err != nil {
		t.Fatalf("carol's client: %v", err)
	}
	joinTunnel(t, r.PublicURL, carolToken, carol, "json:data.object.metadata.dev=carol")
	waitFrame(t, aliceFrames, "alice:primary", "bob:mirror", "carol:routed")
	before := len(carol.got())
	from, other := sendStripe(t, r.PublicURL, `{"data":{"object":{"metadata":{"dev":"bob"}}}}`)
	if from != "alice" {
		t.Errorf("a delivery for bob was answered by %q, want alice", from)
	}
	bob.waitGot(t, other)
	from, mine := sendStripe(t, r.PublicURL, `{"data":{"object":{"metadata":{"dev":"carol"}}}}`)
	if from != "carol" {
		t.Errorf("a delivery for carol was answered by %q, want carol", from)
	}
	if got := triesOf(waitTries(t, r.PublicURL, aliceToken, mine, 1)); !slices.Equal(got, []string{"carol:routed:200"}) {
		t.Errorf("tries of carol's delivery: %v, want carol's alone", got)
	}
	if got := triesOf(waitTries(t, r.PublicURL, carolToken, other, 2)); !slices.Equal(got, []string{"alice:primary:200", "bob:mirror:200"}) {
		t.Errorf("tries of bob's delivery: %v, want alice's and bob's", got)
	}
	if got := carol.got()[before:]; !slices.Equal(got, []string{mine}) {
		t.Errorf("carol's routed client got %v, want only %s", got, mine)
	}
	if slices.Contains(alice.got(), mine) || slices.Contains(bob.got(), mine) {
		t.Errorf("carol's delivery %s also reached alice or bob", mine)
	}
}

// triesOf is each try as label:role:status, the first (who answered) first and the
// others sorted: mirror copies end in any order.
func triesOf(ts []api.Try) []string {
	out := make([]string, len(ts))
	for i, tr := range ts {
		out[i] = tr.Label + ":" + tr.Role + ":" + strconv.Itoa(tr.Status)
	}
	if len(out) > 1 {
		slices.Sort(out[1:])
	}
	return out
}

// A team member sending a teammate's client id attaches alongside that teammate: the id
// names a client instance of one token, so nobody can push a teammate off a tunnel.
func TestTeamClientIDIsPerToken(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte(teamConfig()))
	r := startRelay(t, "--dev", "--config", cfgFile, "--addr", "127.0.0.1:0")
	alice, mallory := newMemberApp(t, "alice"), newMemberApp(t, "mallory")
	_, aliceFrames := joinTunnel(t, r.PublicURL, aliceToken, alice)
	frames := make(chan *proto.Clients, 64)
	relaytest.RunClientWith(t, r.PublicURL, bobToken, func(c *client.Config) {
		c.ClientID, c.Label = "id-alice", "mallory" // alice's client id, bob's token
		c.OnClients = func(cl *proto.Clients) {
			select {
			case frames <- cl:
			default:
			}
		}
	}, client.Tunnel{Name: "stripe-test", Target: relaytest.Target(t, mallory.url)}).WaitOnline(t)
	waitFrame(t, aliceFrames, "alice:primary", "mallory:mirror")
	if from, _ := sendStripe(t, r.PublicURL, `{"type":"charge.succeeded"}`); from != "alice" {
		t.Errorf("the sender got %q's answer, want alice's: her session must stand", from)
	}
}
