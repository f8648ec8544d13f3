package main

import (
	"strings"
	"testing"
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
