package cluster_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/cluster"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// lockedBuffer is a log destination safe for the node loop and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestConfigCheck: a node warns once of live nodes whose configuration digest differs
// from its own, naming them, and says when they are gone; nodes with the same digest,
// or with none, are never named.
func TestConfigCheck(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	same := open(t, dsn, postgres.Options{ConfigHash: "aaaa"})
	other := open(t, dsn, postgres.Options{ConfigHash: "bbbb"})
	none := open(t, dsn, postgres.Options{})
	for i, db := range []*postgres.DB{same, other, none} {
		if err := db.Join(ctx, "10.0.0."+string(rune('1'+i))+":7443"); err != nil {
			t.Fatal(err)
		}
	}
	me := open(t, dsn, postgres.Options{ConfigHash: "aaaa"})
	if ids, err := me.ConfigDiffers(ctx); err != nil || len(ids) != 1 || ids[0] != other.NodeID() {
		t.Fatalf("ConfigDiffers: %q, %v; want only %s", ids, err, other.NodeID())
	}
	if ids, err := none.ConfigDiffers(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("a node without a digest compares with nothing: %q, %v", ids, err)
	}
	logs := new(lockedBuffer)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- cluster.Run(rctx, me, cluster.Config{Addr: "10.0.0.9:7443", HeartbeatEvery: 50 * time.Millisecond,
			ReapEvery: 50 * time.Millisecond, Log: slog.New(slog.NewTextHandler(logs, nil))})
	}()
	waitFor(t, "the warning", func() bool { return strings.Contains(logs.String(), "another configuration") })
	if err := other.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the all-clear", func() bool { return strings.Contains(logs.String(), "runs this node's configuration again") })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if n := strings.Count(out, "another configuration"); n != 1 || !strings.Contains(out, other.NodeID()) ||
		strings.Contains(out, same.NodeID()) || strings.Contains(out, none.NodeID()) {
		t.Fatalf("want one warning naming %s only:\n%s", other.NodeID(), out)
	}
}
