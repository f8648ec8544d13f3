package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
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

// checkTokens checks every spec and reserved name, and that no name is reserved twice.
func checkTokens(entries []tokenEntry) error {
	owners := make(map[string]int)
	for i, e := range entries {
		if _, err := ownerOf(e.Spec); err != nil {
			return fmt.Errorf("token %d: %w", i+1, err)
		}
		for _, name := range e.Names {
			if err := proto.ValidName(name); err != nil {
				return fmt.Errorf("token %d: reserved name: %w", i+1, err)
			}
			if j, dup := owners[name]; dup {
				return fmt.Errorf("token %d: name %q is already reserved by token %d", i+1, name, j+1)
			}
			owners[name] = i
		}
	}
	return nil
}

// ownerOf returns the public owner id the server gives a token spec's holder.
func ownerOf(spec string) (string, error) {
	if hexDigest, ok := strings.CutPrefix(spec, "sha256:"); ok {
		b, err := hex.DecodeString(hexDigest)
		if err != nil || len(b) != sha256.Size {
			return "", fmt.Errorf("%w: want sha256:<64 hex digits>", server.ErrBadTokenSpec)
		}
		return server.OwnerID([sha256.Size]byte(b)), nil
	}
	if spec == "" {
		return "", fmt.Errorf("%w: empty token", server.ErrBadTokenSpec)
	}
	return server.OwnerID(sha256.Sum256([]byte(spec))), nil
}

// reservation is a tunnel name reserved for the token with this owner id.
type reservation struct {
	name, owner string
}

// reservations lists the reserved names of entries, which checkTokens has accepted.
func reservations(entries []tokenEntry) []reservation {
	var out []reservation
	for _, e := range entries {
		owner, err := ownerOf(e.Spec)
		if err != nil {
			continue
		}
		for _, name := range e.Names {
			out = append(out, reservation{name: name, owner: owner})
		}
	}
	return out
}

// tokensFor loads the configured tokens; in dev mode with none, it uses the data dir's
// generated token.
func tokensFor(cfg *config) (*server.Tokens, error) {
	t := new(server.Tokens)
	for _, e := range cfg.Tokens {
		if err := t.Add(e.Spec); err != nil {
			return nil, err
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
	for i, e := range c.Tokens {
		if !weakToken(e.Spec) {
			continue
		}
		msg := fmt.Sprintf("token %d is weak: use at least %d characters with at least %d different ones (e.g. openssl rand -hex 24)",
			i+1, minTokenLen, minTokenChars)
		if !c.Dev {
			return errors.New(msg)
		}
		c.warnings = append(c.warnings, msg)
	}
	return nil
}
