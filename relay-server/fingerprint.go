package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/hookrelay/hookrelay/internal/server"
)

// fingerprint is a digest of the configuration the relays of a cluster must share: every
// option but those that differ by node (option.Option.PerNode: addresses, paths, logs),
// the tokens (by their SHA-256, as a token spec may be the token in clear), the teams
// and the tunnels' settings. Each node stores it with its row and warns of live nodes
// whose fingerprint differs (internal/cluster, ConfigChecker). It is an HMAC under the
// cluster secret: the settings hold secrets of their own (handshake tokens), which a
// plain digest in the database would expose to guessing. "" without a secret (no
// cluster) or when the options were not parsed into a set.
func (c *config) fingerprint(secret []byte) string {
	if c.set == nil || len(secret) == 0 {
		return ""
	}
	h := hmac.New(sha256.New, secret)
	c.set.Fingerprint(h)
	type tokenOf struct {
		Digest string
		Names  []string
	}
	tokens := make([]tokenOf, 0, len(c.Tokens))
	for _, e := range c.Tokens {
		tokens = append(tokens, tokenOf{Digest: tokenDigest(e.Spec), Names: e.Names})
	}
	teams := make(map[string]team, len(c.Teams))
	for name, t := range c.Teams {
		digests := make([]string, 0, len(t.Tokens))
		for _, spec := range t.Tokens {
			digests = append(digests, tokenDigest(spec))
		}
		slices.Sort(digests)
		teams[name] = team{Tokens: digests, Names: t.Names}
	}
	enc := json.NewEncoder(h) // maps encode with sorted keys
	for _, v := range []any{tokens, teams, c.Tunnels} {
		_ = enc.Encode(v) // these types always encode
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// tokenDigest is a token spec's SHA-256 in hex, or the spec when it does not parse
// (checkTokens refuses those).
func tokenDigest(spec string) string {
	d, err := server.ParseTokenSpec(spec)
	if err != nil {
		return spec
	}
	return hex.EncodeToString(d[:])
}
