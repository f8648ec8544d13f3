package main

import (
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

func TestCheckCluster(t *testing.T) {
	const db = "postgres://h/db"
	for _, tc := range []struct {
		name, db, listen, secret, err string
	}{
		{"off", "", "", "", ""},
		{"on", db, "10.0.0.5:7000", "/s", ""},
		{"any port", db, "node-a.internal:0", "/s", ""},
		{"secret alone", db, "", "/s", "needs --cluster-listen"},
		{"no database", "", "10.0.0.5:7000", "/s", "needs --database-url"},
		{"no secret", db, "10.0.0.5:7000", "", "needs --cluster-secret-file"},
		{"wildcard", db, "0.0.0.0:7000", "/s", "not a wildcard"},
		{"no host", db, ":7000", "/s", "not a wildcard"},
		{"ipv6 wildcard", db, "[::]:7000", "/s", "not a wildcard"},
		{"no port", db, "10.0.0.5", "/s", "--cluster-listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &config{DatabaseURL: tc.db, ClusterListen: tc.listen, ClusterSecretFile: tc.secret}
			err := c.checkCluster()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("checkCluster: %v, want %q", err, tc.err)
			}
		})
	}
}

// TestClusterListen runs two relays on one PostgreSQL with --cluster-listen: a delivery
// sent to the relay without the client reaches the app through the other one, and is
// recorded once, readable on both.
func TestClusterListen(t *testing.T) {
	_, _, args := clusterArgs(t)
	a, b := startRelay(t, args...), startRelay(t, args...)
	app := reverseApp(t)
	relaytest.StartClient(t, a.PublicURL, pgToken, client.Tunnel{Name: "pg", Target: relaytest.Target(t, app.URL)})
	id := deliverOK(t, b.PublicURL)
	checkAPIRecord(t, a.PublicURL, id)
	checkAPIRecord(t, b.PublicURL, id)
}

// clusterArgs makes a fresh schema and a cluster secret file, and returns the schema's
// DSN and name with the arguments of a --dev relay that joins the cluster on them (on
// an ephemeral --cluster-listen port).
func clusterArgs(t *testing.T) (dsn, schema string, args []string) {
	t.Helper()
	dsn, schema = pgSchema(t, pgtest.DSN(t))
	secret := writeFile(t, "cluster-secret", []byte("a cluster secret of some length\n"))
	return dsn, schema, []string{"--dev", "--addr", "127.0.0.1:0", "--token", pgToken, "--database-url", dsn,
		"--database-schema", schema, "--cluster-listen", "127.0.0.1:0", "--cluster-secret-file", secret}
}
