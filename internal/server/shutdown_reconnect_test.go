package server_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// TestShutdownSendsClientsOnAtOnce: a server that stops tells each session's client
// (shutting_down, proto's step 7), which reconnects after at most
// proto.ShutdownReconnect instead of its 1 s backoff: here to a server started on the
// same address, as a balancer would send it to another node.
func TestShutdownSendsClientsOnAtOnce(t *testing.T) {
	first := relaytest.StartServer(t, "", nil)
	a := newApp(t, "a", 0)
	out := new(syncBuffer)
	c := relaytest.RunClientWith(t, first.URL, relaytest.Token, func(c *client.Config) { c.Out = out },
		client.Tunnel{Name: "moving", Target: relaytest.Target(t, a.url)})
	c.WaitOnline(t)
	stopped := time.Now()
	first.Stop()
	relaytest.StartServer(t, first.Addr, nil)
	c.WaitOnline(t)
	t.Logf("online again %s after the first server stopped", time.Since(stopped).Round(time.Millisecond))
	m := regexp.MustCompile(`reconnecting in (\S+) \((.*)\)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the client printed no reconnect: %s", out.String())
	}
	wait, err := time.ParseDuration(m[1])
	if err != nil || wait > proto.ShutdownReconnect+50*time.Millisecond || !regexp.MustCompile(string(proto.CodeShuttingDown)).MatchString(m[2]) {
		t.Fatalf("first reconnect: in %s (%s), want within %s after %s", m[1], m[2], proto.ShutdownReconnect, proto.CodeShuttingDown)
	}
}
