package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// TestPurgeFollowsJobLease: on a store shared by several relays, a relay purges only
// while it holds the purge job: nothing while another node holds it, and once that
// node lets go, this relay takes the job and purges.
func TestPurgeFollowsJobLease(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	other := openPG(t, dsn)
	if lead, err := other.LeadJob(ctx, "purge", time.Hour); !lead || err != nil {
		t.Fatalf("the other node takes the purge job: %v, %v", lead, err)
	}
	db := openPG(t, dsn)
	srv := relaytest.StartServer(t, "", func(c *server.Config) {
		c.Store, c.Retention, c.PurgeEvery = db, 300*time.Millisecond, 50*time.Millisecond
	})
	rec, be := newRecorder(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "old", Target: relaytest.Target(t, be)})
	post(t, srv.URL+"/t/old/x", "{}")
	rec.wait(t, 1)
	c := apiClient(t, srv, relaytest.Token)
	count := func() int {
		page, err := c.List(ctx, store.Filter{Tunnel: "old"})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Requests)
	}
	time.Sleep(time.Second) // three retentions, twenty purge intervals
	if n := count(); n != 1 {
		t.Fatalf("%d records after their retention while another node holds the purge job, want 1 (kept)", n)
	}
	if err := other.DropJob(ctx, "purge"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); count() != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("record still there after the other node dropped the purge job")
		}
	}
	if lead, err := other.LeadJob(ctx, "purge", time.Hour); lead || err != nil {
		t.Fatalf("the other node takes the job from the purging relay: %v, %v; want false", lead, err)
	}
}

func openPG(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	// Sealed as relay-server seals them: the cluster tests' --verify specs go through it.
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{SealSecret: clusterSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
