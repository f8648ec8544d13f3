package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

const crashEnv = "HOOKRELAY_STORE_CRASH_DB"

// TestMain lets the test binary act as the crashing child of TestKill9.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		os.Exit(crashChild(path))
	}
	os.Exit(m.Run())
}

// crashChild inserts records, printing each ID once Insert has returned,
// then waits to be killed.
func crashChild(path string) int {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for range 20 {
		r := &store.Record{Tunnel: "t", Owner: "o", Body: store.Body{Data: []byte("survive"), Size: 7}}
		if err := db.Insert(ctx, r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(r.ID)
	}
	select {} // never closes the store
}

// TestKill9 checks that every insert that returned survives a SIGKILL of
// the process (the default synchronous=NORMAL guarantee).
func TestKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for sc := bufio.NewScanner(out); len(ids) < 20 && sc.Scan(); {
		ids = append(ids, sc.Text())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed on purpose
	if len(ids) != 20 {
		t.Fatalf("child reported %d inserts", len(ids))
	}
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, id := range ids {
		r, err := db.Get(context.Background(), "o", id)
		if err != nil || string(r.Body.Data) != "survive" {
			t.Fatalf("record %s after kill -9: %+v, %v", id, r, err)
		}
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}
