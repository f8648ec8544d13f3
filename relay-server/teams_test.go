package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/server"
)

// clearTeamToken is a token in clear that passes the strength check; errors must never
// show it.
const clearTeamToken = "team-token-in-clear-0123456789"

var teamsTests = []struct {
	name    string
	file    string
	want    map[string]team // with wantErr ""
	wantErr string          // a part of the error
}{
	{name: "two teams", file: "teams:\n  payments:\n    tokens: [\"" + digestTest + "\", \"" + clearTeamToken + "\"]\n    names: [stripe-test]\n" +
		"  ops:\n    tokens: [\"" + digestTest2 + "\"]\n",
		want: map[string]team{"payments": {Tokens: []string{digestTest, clearTeamToken}, Names: []string{"stripe-test"}},
			"ops": {Tokens: []string{digestTest2}}}},
	{name: "names only, members added later", file: "teams:\n  payments:\n    names: [a, b]\n",
		want: map[string]team{"payments": {Names: []string{"a", "b"}}}},
	{name: "empty team", file: "teams:\n  payments:\n", want: map[string]team{"payments": {}}},
	{name: "empty teams", file: "teams:\n", want: nil},
	{name: "team beside a token", file: "tokens: [\"" + digestTest + "\"]\nteams:\n  ops:\n    tokens: [\"" + digestTest2 + "\"]\n",
		want: map[string]team{"ops": {Tokens: []string{digestTest2}}}},
	{name: "not a mapping", file: "teams: [payments]\n", wantErr: "want a mapping of team names"},
	{name: "bad team name", file: "teams:\n  Pay_ments: {}\n", wantErr: "team name"},
	{name: "team twice", file: "teams:\n  a: {}\n  a: {}\n", wantErr: "line"},
	{name: "team not a mapping", file: "teams:\n  a: [x]\n", wantErr: "want {tokens, names}"},
	{name: "unknown key", file: "teams:\n  a:\n    token: x\n", wantErr: `unknown key "token"`},
	{name: "tokens not a list", file: "teams:\n  a:\n    tokens: {x: y}\n", wantErr: "want {tokens: [list]"},
	{name: "bad digest", file: "teams:\n  a:\n    tokens: [\"sha256:abcd\"]\n", wantErr: "team a token 1"},
	{name: "empty token", file: "teams:\n  a:\n    tokens: [\"\"]\n", wantErr: "empty token"},
	{name: "weak token", file: "teams:\n  a:\n    tokens: [changeme]\n", wantErr: "team a token 1 is weak"},
	{name: "token in two teams", file: "teams:\n  a:\n    tokens: [\"" + clearTeamToken + "\"]\n  b:\n    tokens: [\"" + server.HashToken(clearTeamToken) + "\"]\n",
		wantErr: "team b token 1: the same token is team a token 1 already"},
	{name: "token in tokens and a team", file: "tokens: [\"" + digestTest + "\"]\nteams:\n  a:\n    tokens: [\"" + digestTest + "\"]\n",
		wantErr: "team a token 1: the same token is token 1 already"},
	{name: "name of a token and a team", file: "tokens:\n  - {token: \"" + digestTest + "\", names: [shop]}\nteams:\n  a:\n    names: [shop]\n",
		wantErr: `team a: name "shop" is already reserved by token 1`},
	{name: "name of two teams", file: "teams:\n  a:\n    names: [shop]\n  b:\n    names: [shop]\n",
		wantErr: `team b: name "shop" is already reserved by team a`},
	{name: "bad reserved name", file: "teams:\n  a:\n    names: [\"-x\"]\n", wantErr: "team a: reserved name"},
	{name: "admin host label", file: "teams:\n  a:\n    names: [inspect]\n", wantErr: `"inspect" is reserved`},
}

func TestTeamsConfig(t *testing.T) {
	for _, tt := range teamsTests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte("domain: relay.test\n"+tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := load([]string{"--config", path}, noEnv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), clearTeamToken) {
					t.Fatalf("error %q shows a token", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Teams, tt.want) {
				t.Errorf("teams = %+v, want %+v", c.Teams, tt.want)
			}
		})
	}
}

// A team's members speak for the team's owner id, reserve its names for it, and keep
// their own token ids; a token outside any team keeps today's owner id.
func TestTeamIdentities(t *testing.T) {
	c := &config{Tokens: []tokenEntry{{Spec: "test"}},
		Teams: map[string]team{"payments": {Tokens: []string{digestTest2, clearTeamToken}, Names: []string{"stripe-test"}}}}
	tokens, err := tokensFor(c)
	if err != nil {
		t.Fatal(err)
	}
	solo, _ := ownerOf("test")
	bob, _ := ownerOf(digestTest2)
	for _, tt := range []struct {
		token string
		want  server.Identity
	}{
		{"test", server.Identity{Owner: solo, TokenID: solo}},
		{"test2", server.Identity{Owner: "team:payments", TokenID: bob}},
	} {
		if got, ok := tokens.Lookup(tt.token); !ok || got != tt.want {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", tt.token, got, ok, tt.want)
		}
	}
	if got := c.reservations(); len(got) != 1 || got[0].owner != "team:payments" || got[0].name != "stripe-test" {
		t.Errorf("reservations = %+v, want stripe-test for team:payments", got)
	}
	if strings.Contains(server.TeamOwner("payments"), solo) || len(solo) != 16 || strings.Contains(solo, ":") {
		t.Errorf("owner ids %q and %q could collide", solo, server.TeamOwner("payments"))
	}
}

// FuzzDecodeTeams checks the teams: decoder never panics, and that whatever it accepts
// passes or fails the token checks without panicking either.
func FuzzDecodeTeams(f *testing.F) {
	for _, tt := range teamsTests {
		f.Add([]byte(tt.file))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := new(config)
		c.bind(pflag.NewFlagSet("fuzz", pflag.ContinueOnError))
		if err := c.applyFile(b, noEnv); err != nil {
			return
		}
		for name := range c.Teams {
			if name == "" || strings.ContainsAny(name, ": .") {
				t.Fatalf("accepted team name %q", name)
			}
		}
		_ = c.checkTokens()
		_ = c.reservations()
	})
}
