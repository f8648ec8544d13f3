package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// TestClusterRejoinLeasesAgain: a relay reaped as dead while its client stays attached
// (its nodes row deleted, and its leases with it, as after a store outage longer than
// the node TTL) joins again and leases the session again with a new generation, so that
// another relay delivers to the client again.
func TestClusterRejoinLeasesAgain(t *testing.T) {
	dsn, schema, args := clusterArgs(t)
	a, b := startRelay(t, args...), startRelay(t, args...)
	relaytest.StartClient(t, a.PublicURL, pgToken, client.Tunnel{Name: "pg", Target: relaytest.Target(t, reverseApp(t).URL)})
	deliverOK(t, b.PublicURL)
	conn := pgConn(t, pgtest.WithSearchPath(dsn, schema))
	ctx := context.Background()
	var node string
	var gen int64
	if err := conn.QueryRow(ctx, `SELECT node_id, generation FROM tunnel_leases WHERE name = 'pg'`).Scan(&node, &gen); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM nodes WHERE node_id = $1`, node); err != nil { // as the reaper does
		t.Fatal(err)
	}
	var seen string
	waitUntil(t, "the session leased again by the rejoined relay", func() bool {
		var again int64
		err := conn.QueryRow(ctx, `SELECT generation FROM tunnel_leases l JOIN nodes n USING (node_id)
			WHERE l.name = 'pg' AND l.node_id = $1`, node).Scan(&again)
		seen = fmt.Sprintf("generation %d (was %d), err %v", again, gen, err)
		return err == nil && again > gen
	}, &seen)
	if resp, body := post(t, b.PublicURL); resp.StatusCode != http.StatusOK || body != string(reversed(pgBody)) {
		t.Fatalf("delivery through the other relay after the rejoin: %s", resp.Status)
	}
	if !strings.Contains(a.out.String(), "joining again") {
		t.Errorf("the reaped relay did not say it joined again:\n%s", a.out)
	}
}
