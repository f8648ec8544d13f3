package main

import (
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// TestClusterClientIDIsPerToken: a teammate who sends another member's client id
// through another node attaches beside her, as on one node: the lease of a client is
// its token's and id's, so her session on the first node stands and stays primary.
func TestClusterClientIDIsPerToken(t *testing.T) {
	_, _, args := clusterArgs(t)
	args = append(args, "--config", writeFile(t, "relay.yaml", []byte(teamConfig())))
	a, b := startRelay(t, args...), startRelay(t, args...)
	alice, mallory := newMemberApp(t, "alice"), newMemberApp(t, "mallory")
	_, aliceFrames := joinTunnel(t, a.PublicURL, aliceToken, alice)
	relaytest.RunClientWith(t, b.PublicURL, bobToken, func(c *client.Config) {
		c.ClientID, c.Label = "id-alice", "mallory" // alice's client id, bob's token
	}, client.Tunnel{Name: "stripe-test", Target: relaytest.Target(t, mallory.url)}).WaitOnline(t)
	waitFrame(t, aliceFrames, "alice:primary", "mallory:mirror")
	time.Sleep(6 * time.Second) // a reconcile round (every 5 s) would end a superseded session
	for _, r := range []*relayRun{a, b} {
		if from, _ := sendStripe(t, r.PublicURL, `{"type":"charge.succeeded"}`); from != "alice" {
			t.Errorf("the sender got %q's answer, want alice's: her session must stand", from)
		}
	}
}
