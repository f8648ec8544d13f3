package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// childEnv names the database of a server run as a child process (see TestMain).
const childEnv = "HOOKRELAY_TEST_CHILD_DB"

func TestMain(m *testing.M) {
	if spec := os.Getenv(memberEnv); spec != "" {
		if err := runMember(spec); err != nil {
			fmt.Fprintln(os.Stderr, "member:", err)
			os.Exit(1)
		}
		return
	}
	if path := os.Getenv(childEnv); path != "" {
		if err := runChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(pgtest.Main(m))
}

// runChild serves a recording relay on loopback until killed, printing its address.
func runChild(path string) error {
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tokens := new(server.Tokens)
	_ = tokens.Add(relaytest.Token)
	srv, err := server.New(server.Config{Domain: "localhost", PublicURL: "http://" + ln.Addr().String(),
		Tokens: tokens, Store: db})
	if err != nil {
		return err
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	return http.Serve(ln, srv.Handler())
}

// TestKill9LosesNoAnsweredRequest kills a recording server with SIGKILL under load: every
// request whose sender got a response is in the store afterwards, and the database passes
// its integrity check.
func TestKill9LosesNoAnsweredRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := t.TempDir() + "/hookrelay.db"
	url, cmd := startChild(t, path)
	be := backend(t)
	relaytest.StartClient(t, url, relaytest.Token, client.Tunnel{Name: "crash", Target: relaytest.Target(t, be.URL)})

	answered := loadUntilKill(t, url, cmd)
	t.Logf("%d requests answered before kill -9", len(answered))
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("integrity check after kill -9: %v", err)
	}
	stored := storedBodies(t, db)
	for sum := range answered {
		if !stored[sum] {
			t.Errorf("answered request with body sha %s is not in the store", sum)
		}
	}
}

// startChild runs a recording relay on the database at path in a child process and
// returns its URL once it serves.
func startChild(t *testing.T, path string) (string, *exec.Cmd) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child: %q %v", line, err)
	}
	return "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR ")), cmd
}

// loadUntilKill sends requests from 8 workers, kills the server once 300 were answered,
// and returns the body digests of every answered request.
func loadUntilKill(t *testing.T, url string, cmd *exec.Cmd) map[string]bool {
	var mu sync.Mutex
	answered := make(map[string]bool)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 5 * time.Second}
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"worker":%d,"i":%d,"t":%d}`, w, i, time.Now().UnixNano())
				resp, err := hc.Post(url+"/t/crash/load", "application/json", strings.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				sum := sha256.Sum256([]byte(body))
				mu.Lock()
				answered[hex.EncodeToString(sum[:])] = true
				n := len(answered)
				mu.Unlock()
				if n == 300 {
					_ = cmd.Process.Kill()
					close(stop)
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return answered
}

func storedBodies(t *testing.T, db *sqlite.DB) map[string]bool {
	out := make(map[string]bool)
	f := store.Filter{AllOwners: true, Limit: store.MaxLimit}
	for {
		page, err := db.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if r.Body.Size > 0 {
				out[r.Body.SHA256] = true
			}
		}
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
}
