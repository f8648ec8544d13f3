package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgToken is the client token of the PostgreSQL tests.
const pgToken = "hr_pg_7c41e09b2d5a"

// pgBody holds every byte value, NUL and invalid UTF-8 included: it must come back
// from PostgreSQL exactly.
var pgBody = func() []byte {
	b := make([]byte, 0, 512)
	for i := range 512 {
		b = append(b, byte(i*7))
	}
	return b
}()

// TestPostgresDeliveries runs relay-server on PostgreSQL (--database-url and
// --database-schema) with a real client and app: a delivery is recorded byte-exact in
// PostgreSQL and shown by the API, and a restarted relay on the same database still
// has it.
func TestPostgresDeliveries(t *testing.T) {
	// The test server trusts local connections, so the password is ignored there; it
	// must show nowhere.
	const password = "hunter2-s3cret"
	dsn, schema := pgSchema(t, pgtest.DSN(t))
	dsn += " password=" + password
	args := []string{"--dev", "--addr", "127.0.0.1:0", "--token", pgToken, "--data", t.TempDir(),
		"--database-url", dsn, "--database-schema", schema}
	r, stop := startRelayStoppable(t, args...)
	defer stop()
	app := reverseApp(t)
	c := relaytest.StartClient(t, r.PublicURL, pgToken, client.Tunnel{Name: "pg", Target: relaytest.Target(t, app.URL)})

	id := deliverOK(t, r.PublicURL)
	var body, respBody []byte
	conn := pgConn(t, pgtest.WithSearchPath(dsn, schema))
	var err error
	waitUntil(t, "the response half in PostgreSQL", func() bool { // written as the sender is answered
		err = conn.QueryRow(context.Background(), `SELECT body, resp_body FROM record_state
			WHERE id = $1 AND outcome = 'ok'`, id).Scan(&body, &respBody)
		return err == nil
	})
	if !bytes.Equal(body, pgBody) || !bytes.Equal(respBody, reversed(pgBody)) {
		t.Fatalf("PostgreSQL holds body %x, response %x; want the bytes sent and answered", body, respBody)
	}
	checkAPIRecord(t, r.PublicURL, id)
	waitUntil(t, "the relay's node in the nodes table", func() bool { return countNodes(t, conn) == 1 })

	_ = c.Stop()
	stop()
	if n := countNodes(t, conn); n != 0 {
		t.Errorf("%d nodes after the relay stopped, want 0 (it left)", n)
	}
	r2 := startRelay(t, args...)
	checkAPIRecord(t, r2.PublicURL, id)

	// relay-server tokens finds the same database, and the running relay takes the token.
	out := new(syncBuffer)
	if err := run(context.Background(), []string{"tokens", "add", "--label", "pg", "--database-url", dsn,
		"--database-schema", schema}, noEnv, out, nil); err != nil {
		t.Fatalf("tokens add: %v\n%s", err, out)
	}
	added, _ := addedToken(t, out.String())
	waitUntil(t, "the added token accepted by the running relay", func() bool {
		status, _ := apiCall(t, http.MethodGet, r2.PublicURL+"/api/requests", added)
		return status == http.StatusOK
	})
	if out := r.out.String() + r2.out.String(); strings.Contains(out, password) || !strings.Contains(out, "store: PostgreSQL host=") {
		t.Errorf("the banner and log must name the database without its password:\n%s", out)
	}
}

// TestPostgresDownAndBack stops the relay's PostgreSQL under it: deliveries are
// refused 503 store_unavailable and /readyz says why, then both recover by themselves
// once PostgreSQL is back, with no traffic needed for /readyz.
func TestPostgresDownAndBack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts, kills and restarts a PostgreSQL cluster")
	}
	pg := pgtest.NewCluster(t, pgtest.Config{Durable: true})
	r := startRelay(t, "--dev", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--token", pgToken,
		"--database-url", pgtest.SchemaOn(t, pg.DSN()))
	app := reverseApp(t)
	relaytest.StartClient(t, r.PublicURL, pgToken, client.Tunnel{Name: "pg", Target: relaytest.Target(t, app.URL)})
	deliverOK(t, r.PublicURL)

	pg.Crash()
	waitUntil(t, "a delivery refused with store_unavailable", func() bool {
		resp, body := post(t, r.PublicURL)
		return resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(body, string(proto.CodeStoreUnavailable))
	})
	if resp, body := do(t, http.DefaultClient, http.MethodPost, r.PublicURL+"/t/unclaimed/x", "{}"); resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(body, string(proto.CodeStoreUnavailable)) {
		t.Errorf("a name only the store knows, store down: %s %q; want 503 store_unavailable", resp.Status, body)
	}
	waitUntil(t, "/readyz to answer 503 with the store's failure", func() bool {
		code, body := readyz(t, r.AdminAddr)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "store")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := pg.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	var last string
	waitUntil(t, "/readyz to answer 200 again, with no traffic", func() bool {
		code, body := readyz(t, r.AdminAddr)
		last = body
		return code == http.StatusOK
	}, &last)
	deliverOK(t, r.PublicURL)

	// A database that reads but refuses writes (as a standby does after a failover).
	readOnly(t, pg.DSN(), "on")
	t.Cleanup(func() { readOnly(t, pg.DSN(), "off") }) // even if the test fails, for the schema's drop
	waitUntil(t, "/readyz to answer 503 on a read-only database", func() bool {
		code, body := readyz(t, r.AdminAddr)
		last = body
		return code == http.StatusServiceUnavailable && strings.Contains(body, "read-only")
	}, &last)
	if resp, body := post(t, r.PublicURL); resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(body, string(proto.CodeStoreUnavailable)) {
		t.Errorf("delivery on a read-only database: %s %q; want 503 store_unavailable", resp.Status, body)
	}
	readOnly(t, pg.DSN(), "off")
	waitUntil(t, "/readyz to answer 200 once the database writes", func() bool {
		code, body := readyz(t, r.AdminAddr)
		last = body
		return code == http.StatusOK
	}, &last)
	deliverOK(t, r.PublicURL)
}

// readOnly sets the database's default_transaction_read_only and ends every other
// connection, so that the relay's pool reconnects with it.
func readOnly(t *testing.T, dsn, mode string) {
	t.Helper()
	conn := pgConn(t, dsn)
	for _, q := range []string{`SET default_transaction_read_only = off`, `ALTER DATABASE postgres SET default_transaction_read_only = ` + mode,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = 'postgres'`} {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// pgSchema creates a schema on the server of dsn and returns dsn itself and the name.
func pgSchema(t *testing.T, dsn string) (string, string) {
	t.Helper()
	return dsn, schemaOf(pgtest.SchemaOn(t, dsn))
}

// schemaOf is the search_path a pgtest DSN sets.
func schemaOf(dsn string) string {
	return dsn[strings.LastIndex(dsn, "=")+1:]
}

func pgConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func countNodes(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM nodes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// reverseApp answers every request with its body reversed.
func reverseApp(t *testing.T) *httptest.Server {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(reversed(b))
	}))
	t.Cleanup(app.Close)
	return app
}

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}

// post sends pgBody into tunnel pg.
func post(t *testing.T, publicURL string) (*http.Response, string) {
	t.Helper()
	return do(t, http.DefaultClient, http.MethodPost, publicURL+"/t/pg/hook?x=1", string(pgBody))
}

// deliverOK delivers pgBody and returns the record's id, the newest the API lists.
func deliverOK(t *testing.T, publicURL string) string {
	t.Helper()
	resp, body := post(t, publicURL)
	if resp.StatusCode != http.StatusOK || body != string(reversed(pgBody)) {
		t.Fatalf("delivery: %s %q", resp.Status, body)
	}
	var page api.List
	apiGet(t, publicURL+"/api/requests?tunnel=pg&limit=1", &page)
	if len(page.Requests) != 1 {
		t.Fatalf("the API lists %d records, want the delivery", len(page.Requests))
	}
	return page.Requests[0].ID
}

// apiGet reads a JSON answer of the API into v.
func apiGet(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+pgToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
}

// checkAPIRecord reads record id through the API and checks both bodies.
func checkAPIRecord(t *testing.T, publicURL, id string) {
	t.Helper()
	var rec api.Record
	apiGet(t, publicURL+"/api/requests/"+id, &rec)
	if !bytes.Equal(rec.Request.Body, pgBody) || !bytes.Equal(rec.Response.Body, reversed(pgBody)) ||
		rec.Path != "/hook" || rec.Outcome != "ok" {
		t.Fatalf("API record %+v; want the bodies sent and answered, path /hook, outcome ok", rec)
	}
}

func readyz(t *testing.T, adminAddr string) (int, string) {
	t.Helper()
	resp, body := do(t, &http.Client{Timeout: startTimeout}, http.MethodGet, "http://"+adminAddr+"/readyz", "")
	return resp.StatusCode, body
}

// waitUntil polls cond for up to a minute; on failure it shows the last of seen.
func waitUntil(t *testing.T, what string, cond func() bool, seen ...*string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	var last string
	if len(seen) > 0 {
		last = *seen[0]
	}
	t.Fatalf("no %s within a minute; last seen: %q", what, last)
}
