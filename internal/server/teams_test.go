package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// storedToken adds token to db as relay-server tokens add does, and returns its id.
func storedToken(t *testing.T, db *sqlite.DB, token, team, label string) string {
	t.Helper()
	d := sha256.Sum256([]byte(token))
	id := server.OwnerID(d)
	if err := db.AddToken(context.Background(), store.Token{ID: id, Digest: hex.EncodeToString(d[:]), Team: team, Label: label}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestTokensFromStore: a stored token is accepted at once, speaks for its team, and
// once revoked ends its inspector session and its live API feed and is refused.
func TestTokensFromStore(t *testing.T) {
	var db *sqlite.DB
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, &db))
	const tok = "hr_stored_token_0123456789"
	id := storedToken(t, db, tok, "payments", "erin")

	origin := adminOrigin(srv)
	b := inspectBrowser(t, srv)
	if resp := inspectPost(t, b, origin, origin+"/login", url.Values{"secret": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with a token added a moment ago: %d", resp.StatusCode)
	}
	if status, _ := inspectGet(t, b, origin+"/"); status != http.StatusOK {
		t.Fatalf("inspector: %d", status)
	}
	feedDone := make(chan error, 1)
	req := mustRequest(t, http.MethodGet, srv.URL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %v %v", resp, err)
	}
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		feedDone <- err
	}()

	start := time.Now()
	if err := db.RevokeToken(context.Background(), id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-feedDone:
		t.Logf("live feed ended %v after the revocation", time.Since(start).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatal("the revoked token's live feed is still open")
	}
	if status, _ := inspectGet(t, b, origin+"/"); status != http.StatusSeeOther {
		t.Errorf("inspector after the revocation: %d, want a redirect to the login form", status)
	}
	if resp := inspectPost(t, b, origin, origin+"/login", url.Values{"secret": {tok}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with a revoked token: %d", resp.StatusCode)
	}
}

// TestTokensIdentity: a token of its own keeps its digest's owner id, team members share
// the team's and keep their own token ids and labels (stored tokens: TestTokensFromStore).
func TestTokensIdentity(t *testing.T) {
	tokens := new(server.Tokens)
	for _, m := range []struct{ spec, team, label string }{
		{"solo-token", "", ""}, {server.HashToken("alice-token"), "payments", "alice"}, {"bob-token", "payments", ""},
	} {
		if err := tokens.AddMember(m.spec, m.team, m.label); err != nil {
			t.Fatal(err)
		}
	}
	idOf := func(tok string) string { return server.OwnerID(sha256.Sum256([]byte(tok))) }
	tests := []struct {
		token string
		want  server.Identity
		ok    bool
	}{
		{"solo-token", server.Identity{Owner: idOf("solo-token"), TokenID: idOf("solo-token")}, true},
		{"alice-token", server.Identity{Owner: "team:payments", TokenID: idOf("alice-token"), Label: "alice"}, true},
		{"bob-token", server.Identity{Owner: "team:payments", TokenID: idOf("bob-token")}, true},
		{"unknown", server.Identity{}, false},
		{"", server.Identity{}, false},
	}
	for _, tt := range tests {
		if got, ok := tokens.Lookup(tt.token); got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, %v", tt.token, got, ok, tt.want, tt.ok)
		}
		if owner, ok := tokens.Owner(tt.token); owner != tt.want.Owner || ok != tt.ok {
			t.Errorf("Owner(%q) = %q, %v", tt.token, owner, ok)
		}
		if tt.ok && !tokens.Active(tt.want.TokenID) {
			t.Errorf("Active(%s) = false for a config token", tt.want.TokenID)
		}
		if got, ok := tokens.ByID(tt.want.TokenID); tt.ok && (got != tt.want || !ok) {
			t.Errorf("ByID(%s) = %+v, %v; want %+v", tt.want.TokenID, got, ok, tt.want)
		}
	}
}
