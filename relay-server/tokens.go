package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// errTokenEntry reports a malformed entry under tokens: in the config file. Its messages
// never include the token itself.
var errTokenEntry = errors.New("relay-server: bad token entry")

// tokenEntry is one accepted client token and the tunnel names reserved for it.
//
// In the config file it is either a string (the token in clear, or "sha256:<hex>") or a
// mapping {token: "sha256:<hex>", names: [a, b]}. Reserved names belong to the token
// from startup on, before its first connect; no other token can claim them.
type tokenEntry struct {
	Spec  string
	Names []string
}

// UnmarshalYAML accepts the string and the mapping form.
func (e *tokenEntry) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Decode(&e.Spec)
	case yaml.MappingNode:
		return e.decodeMapping(n)
	}
	return fmt.Errorf("%w: line %d: want a string or {token, names}", errTokenEntry, n.Line)
}

// decodeMapping decodes {token, names}, refusing other keys.
func (e *tokenEntry) decodeMapping(n *yaml.Node) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "token" && k != "names" {
			return fmt.Errorf("%w: line %d: unknown key %q (want token, names)", errTokenEntry, n.Content[i].Line, k)
		}
	}
	var m struct {
		Token string   `yaml:"token"`
		Names []string `yaml:"names"`
	}
	if err := n.Decode(&m); err != nil {
		return fmt.Errorf("%w: line %d: want {token: string, names: [list]}", errTokenEntry, n.Line)
	}
	if m.Token == "" {
		return fmt.Errorf("%w: line %d: token is missing", errTokenEntry, n.Line)
	}
	e.Spec, e.Names = m.Token, m.Names
	return nil
}

// entriesOf turns --token values into entries without reserved names.
func entriesOf(specs []string) []tokenEntry {
	out := make([]tokenEntry, len(specs))
	for i, s := range specs {
		out[i] = tokenEntry{Spec: s}
	}
	return out
}

// checkTokens checks every token spec (see checkMembers) and reserved name, and that no
// name is reserved twice, by two tokens, two teams or a token and a team.
func (c *config) checkTokens() error {
	if err := c.checkMembers(); err != nil {
		return err
	}
	holders := make(map[string]string)
	for _, r := range c.reservations() {
		if err := proto.ValidName(r.name); err != nil {
			return fmt.Errorf("%s: reserved name: %w", r.holder, err)
		}
		if first, dup := holders[r.name]; dup {
			return fmt.Errorf("%s: name %q is already reserved by %s", r.holder, r.name, first)
		}
		holders[r.name] = r.holder
	}
	return nil
}

// ownerOf returns the public owner id the server gives a token spec's holder when the
// token is not in a team.
func ownerOf(spec string) (string, error) {
	d, err := server.ParseTokenSpec(spec)
	if err != nil {
		return "", err
	}
	return server.OwnerID(d), nil
}

// reservation is a tunnel name reserved for the token or team with this owner id.
type reservation struct {
	name, owner string
	holder      string // "token 2", "team payments": for errors and logs
}

// reservations lists the reserved names of tokens: and teams:, in config order (teams
// by name); tokens whose spec is malformed are left out (checkTokens reports them).
func (c *config) reservations() []reservation {
	var out []reservation
	for i, e := range c.Tokens {
		owner, err := ownerOf(e.Spec)
		if err != nil {
			continue
		}
		for _, name := range e.Names {
			out = append(out, reservation{name: name, owner: owner, holder: fmt.Sprintf("token %d", i+1)})
		}
	}
	for _, t := range teamNames(c.Teams) {
		for _, name := range c.Teams[t].Names {
			out = append(out, reservation{name: name, owner: server.TeamOwner(t), holder: "team " + t})
		}
	}
	return out
}

// tokensFor loads the configured tokens; in dev mode with none, it uses the data dir's
// generated token.
func tokensFor(cfg *config) (*server.Tokens, error) {
	t := new(server.Tokens)
	for _, m := range cfg.members() {
		if err := t.AddMember(m.spec, m.team, ""); err != nil {
			return nil, fmt.Errorf("%s: %w", m.where, err)
		}
	}
	if t.Len() > 0 || !cfg.Dev {
		return t, nil
	}
	tok, err := devToken(cfg.Data)
	if err != nil {
		return nil, err
	}
	cfg.devToken = tok
	return t, t.Add(tok)
}

// devToken returns the data dir's development token, creating it on first use, so that
// a restarted dev server accepts the client it printed the command for.
func devToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "dev-token")
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	var b [18]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return "", fmt.Errorf("generate dev token: %w", err)
	}
	tok := "hr_" + hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save dev token: %w", err)
	}
	return tok, nil
}

// A token given in clear must have at least minTokenLen characters, of at least
// minTokenChars different ones: a token is all that stands between the internet and a
// tunnel name, so "a" or "changeme" must not be one. A sha256: digest cannot be checked.
const (
	minTokenLen   = 16
	minTokenChars = 5
)

// weakToken reports whether a token spec in clear is too short or too repetitive.
func weakToken(spec string) bool {
	if strings.HasPrefix(spec, "sha256:") {
		return false
	}
	chars := make(map[rune]bool)
	for _, r := range spec {
		chars[r] = true
	}
	return len(spec) < minTokenLen || len(chars) < minTokenChars
}

// checkStrength refuses weak tokens; with --dev it only warns, loudly, at startup.
func (c *config) checkStrength() error {
	for _, m := range c.members() {
		if !weakToken(m.spec) {
			continue
		}
		msg := fmt.Sprintf("%s is weak: use at least %d characters with at least %d different ones (e.g. openssl rand -hex 24)",
			m.where, minTokenLen, minTokenChars)
		if !c.Dev {
			return errors.New(msg)
		}
		c.warnings = append(c.warnings, msg)
	}
	return nil
}
