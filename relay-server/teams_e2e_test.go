package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// Test tokens, strong enough for the server's check.
const (
	aliceToken = "hr_alice_0123456789abcdef"
	bobToken   = "hr_bob_0123456789abcdef"
	carolToken = "hr_carol_0123456789abcdef"
)

// apiCall sends an API request with token as bearer and returns the status and body.
func apiCall(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// listRecords returns the tunnel of each record token's API lists.
func listRecords(t *testing.T, base, token string) []string {
	t.Helper()
	status, body := apiCall(t, http.MethodGet, base+"/api/requests", token)
	if status != http.StatusOK {
		t.Fatalf("list records: %d %s", status, body)
	}
	var l api.List
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range l.Requests {
		out = append(out, s.Tunnel)
	}
	return out
}

// listTunnels returns the names token's API lists.
func listTunnels(t *testing.T, base, token string) []string {
	t.Helper()
	status, body := apiCall(t, http.MethodGet, base+"/api/tunnels", token)
	if status != http.StatusOK {
		t.Fatalf("list tunnels: %d %s", status, body)
	}
	var l struct{ Tunnels []api.Tunnel }
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tn := range l.Tunnels {
		out = append(out, tn.Name)
	}
	return out
}

// echoApp is a local app that answers "handled".
func echoApp(t *testing.T) *httptest.Server {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "handled")
	}))
	t.Cleanup(app.Close)
	return app
}

func deliver(t *testing.T, base, name string) {
	t.Helper()
	resp, body := do(t, http.DefaultClient, http.MethodPost, base+"/t/"+name+"/event", `{"n":1}`)
	if resp.StatusCode != http.StatusOK || body != "handled" {
		t.Fatalf("delivery to %s: %s %q", name, resp.Status, body)
	}
}

// TestTeamSharesNamesAndRecords: two members of a team see each other's tunnel names and
// records through the API; a token of another team sees none and cannot take the
// team's reserved name.
func TestTeamSharesNamesAndRecords(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte("tokens: [\""+server.HashToken(carolToken)+"\"]\n"+
		"teams:\n  payments:\n    tokens: [\""+server.HashToken(aliceToken)+"\", \""+server.HashToken(bobToken)+"\"]\n"+
		"    names: [stripe-test]\n"))
	r := startRelay(t, "--dev", "--config", cfgFile, "--addr", "127.0.0.1:0")
	app := echoApp(t)

	relaytest.StartClient(t, r.PublicURL, aliceToken, client.Tunnel{Name: "stripe-test", Target: relaytest.Target(t, app.URL)})
	relaytest.StartClient(t, r.PublicURL, bobToken, client.Tunnel{Name: "bob-hooks", Target: relaytest.Target(t, app.URL)})
	deliver(t, r.PublicURL, "stripe-test")
	deliver(t, r.PublicURL, "bob-hooks")

	for _, tok := range []string{aliceToken, bobToken} {
		if got := strings.Join(listTunnels(t, r.PublicURL, tok), ","); got != "bob-hooks,stripe-test" {
			t.Errorf("tunnels a member sees: %s, want bob-hooks,stripe-test", got)
		}
		if got := listRecords(t, r.PublicURL, tok); len(got) != 2 {
			t.Errorf("records a member sees: %v, want one of each tunnel", got)
		}
	}
	if got := listTunnels(t, r.PublicURL, carolToken); len(got) != 0 {
		t.Errorf("another team sees tunnels %v", got)
	}
	if got := listRecords(t, r.PublicURL, carolToken); len(got) != 0 {
		t.Errorf("another team sees records %v", got)
	}

	for _, name := range []string{"stripe-test", "bob-hooks"} {
		thief := relaytest.RunClient(t, r.PublicURL, carolToken, client.Tunnel{Name: name, Target: relaytest.Target(t, app.URL)})
		select {
		case <-thief.Done():
			if !errors.Is(thief.Err(), client.ErrPermanent) || !strings.Contains(thief.Err().Error(), "name_taken") {
				t.Errorf("another team asking for %s: %v, want a permanent name_taken", name, thief.Err())
			}
		case <-time.After(startTimeout):
			t.Fatalf("another team's client on %s neither failed nor stopped", name)
		}
	}
}

// runTokens runs relay-server tokens with args against the data dir of r and returns
// what it printed.
func runTokens(t *testing.T, r *relayRun, args ...string) string {
	t.Helper()
	out := new(syncBuffer)
	args = append(append([]string{"tokens"}, args...), "--data", r.data)
	if err := run(context.Background(), args, noEnv, out, nil); err != nil {
		t.Fatalf("relay-server %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out.String()
}

// addedToken is the token tokens add printed: the line of its own starting with hr_.
func addedToken(t *testing.T, out string) (token, id string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "hr_") {
			token = line
		}
		if rest, ok := strings.CutPrefix(line, "added token "); ok {
			id, _, _ = strings.Cut(rest, " ")
		}
	}
	if token == "" || id == "" {
		t.Fatalf("tokens add printed no token and id:\n%s", out)
	}
	return token, id
}

// TestTokensAddRevokeLive: a token added with relay-server tokens add works at once on
// the running server, as a member of its team; tokens list never prints it; tokens
// revoke ends its live session with token_revoked within seconds, and the API refuses
// it from then on.
func TestTokensAddRevokeLive(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte("teams:\n  payments:\n    tokens: [\""+server.HashToken(aliceToken)+"\"]\n"))
	r := startRelay(t, "--dev", "--config", cfgFile, "--addr", "127.0.0.1:0")
	app := echoApp(t)
	relaytest.StartClient(t, r.PublicURL, aliceToken, client.Tunnel{Name: "alice-hooks", Target: relaytest.Target(t, app.URL)})
	deliver(t, r.PublicURL, "alice-hooks")

	dana, id := addedToken(t, runTokens(t, r, "add", "--team", "payments", "--label", "dana"))
	if weakToken(dana) {
		t.Errorf("tokens add printed a weak token")
	}
	c := relaytest.StartClient(t, r.PublicURL, dana, client.Tunnel{Name: "dana-hooks", Target: relaytest.Target(t, app.URL)})
	if got := listRecords(t, r.PublicURL, dana); len(got) != 1 || got[0] != "alice-hooks" {
		t.Errorf("records the new member sees: %v, want alice's", got)
	}

	list := runTokens(t, r, "list")
	if strings.Contains(list, dana) || strings.Contains(list, strings.TrimPrefix(server.HashToken(dana), "sha256:")) {
		t.Fatalf("tokens list shows the token or its digest:\n%s", list)
	}
	if !strings.Contains(list, id) || !strings.Contains(list, "payments") || !strings.Contains(list, "dana") {
		t.Errorf("tokens list lacks the token's id, team or label:\n%s", list)
	}

	start := time.Now()
	runTokens(t, r, "revoke", id)
	select {
	case <-c.Done():
		t.Logf("session of the revoked token ended %v after tokens revoke", time.Since(start).Round(time.Millisecond))
		if !errors.Is(c.Err(), client.ErrPermanent) || !strings.Contains(c.Err().Error(), "token_revoked") {
			t.Errorf("client of the revoked token: %v, want a permanent token_revoked", c.Err())
		}
	case <-time.After(4 * startTimeout / 3):
		t.Fatalf("the revoked token's session is still open %v after tokens revoke", time.Since(start))
	}
	if status, body := apiCall(t, http.MethodGet, r.PublicURL+"/api/requests", dana); status != http.StatusUnauthorized {
		t.Errorf("API with the revoked token: %d %s, want 401", status, body)
	}
	if got := listRecords(t, r.PublicURL, aliceToken); len(got) != 1 {
		t.Errorf("the team's records after the revocation: %v, want alice's", got)
	}
	if row := tokenRow(runTokens(t, r, "list"), id); len(row) != 5 || row[4] == "-" {
		t.Errorf("tokens list row of the revoked token: %q, want its revocation time last", row)
	}
}

// tokenRow is the fields of the tokens list row of id.
func tokenRow(list, id string) []string {
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == id {
			return f
		}
	}
	return nil
}
