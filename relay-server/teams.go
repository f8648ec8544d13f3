package main

import (
	"errors"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// errTeamEntry reports a malformed entry under teams: in the config file. Its messages
// never include a token.
var errTeamEntry = errors.New("relay-server: bad team entry")

// team is one entry under teams: in the config file:
//
//	teams:
//	  payments:
//	    tokens: ["sha256:<hex>", "sha256:<hex>"]
//	    names: [stripe-test]
//
// Its members share one owner (server.TeamOwner of the team's name): tunnel names,
// records, API results and the team inspector's view. Its names are reserved for it
// from startup on, as a token's are. tokens may be empty: members can be added while
// the server runs (relay-server tokens add --team NAME).
type team struct {
	Tokens []string
	Names  []string
}

// decodeTeams decodes teams:, a mapping of team names to {tokens, names}.
func decodeTeams(n *yaml.Node) (map[string]team, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil // "teams:" with nothing under it
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: line %d: want a mapping of team names to {tokens, names}", errTeamEntry, n.Line)
	}
	out := make(map[string]team)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if err := proto.ValidName(k.Value); err != nil {
			return nil, fmt.Errorf("%w: line %d: team name: %w", errTeamEntry, k.Line, err)
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("%w: line %d: team %q given twice", errTeamEntry, k.Line, k.Value)
		}
		t, err := decodeTeam(n.Content[i+1])
		if err != nil {
			return nil, fmt.Errorf("team %s: %w", k.Value, err)
		}
		out[k.Value] = t
	}
	return out, nil
}

// decodeTeam decodes one team's {tokens, names}, refusing other keys.
func decodeTeam(n *yaml.Node) (team, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return team{}, nil
	}
	if n.Kind != yaml.MappingNode {
		return team{}, fmt.Errorf("%w: line %d: want {tokens, names}", errTeamEntry, n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "tokens" && k != "names" {
			return team{}, fmt.Errorf("%w: line %d: unknown key %q (want tokens, names)", errTeamEntry, n.Content[i].Line, k)
		}
	}
	var m struct {
		Tokens []string `yaml:"tokens"`
		Names  []string `yaml:"names"`
	}
	if err := n.Decode(&m); err != nil {
		return team{}, fmt.Errorf("%w: line %d: want {tokens: [list], names: [list]}", errTeamEntry, n.Line)
	}
	return team{Tokens: m.Tokens, Names: m.Names}, nil
}

// teamNames are the configured teams' names in order, so that checks and errors are
// the same on every run.
func teamNames(teams map[string]team) []string {
	names := make([]string, 0, len(teams))
	for name := range teams {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// member is one accepted token spec, where it came from and the team it belongs to ("" for
// a token of its own).
type member struct {
	spec  string
	team  string
	where string // "token 2", "team payments token 1": for errors, never the token
}

// members lists every configured token: tokens: first, then each team's in name order.
func (c *config) members() []member {
	var out []member
	for i, e := range c.Tokens {
		out = append(out, member{spec: e.Spec, where: fmt.Sprintf("token %d", i+1)})
	}
	for _, name := range teamNames(c.Teams) {
		for i, spec := range c.Teams[name].Tokens {
			out = append(out, member{spec: spec, team: name, where: fmt.Sprintf("team %s token %d", name, i+1)})
		}
	}
	return out
}

// checkMembers checks every token spec and that no token is given twice (in tokens: and
// a team, or in two teams): a token speaks for one owner.
func (c *config) checkMembers() error {
	seen := make(map[[32]byte]string)
	for _, m := range c.members() {
		d, err := server.ParseTokenSpec(m.spec)
		if err != nil {
			return fmt.Errorf("%s: %w", m.where, err)
		}
		if first, dup := seen[d]; dup {
			return fmt.Errorf("%s: the same token is %s already", m.where, first)
		}
		seen[d] = m.where
	}
	return nil
}
