package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

// readFile applies the YAML config file at path. Its keys are the options' keys (the
// flag names with underscores, see options.go) plus three structured ones: tokens: (see
// tokenEntry), teams: (see team) and tunnels: (name: {timeout, body_limit, offline}). Unknown keys are an
// error naming the key.
func (c *config) readFile(path string, getenv func(string) string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if err := c.applyFile(b, getenv); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// applyFile applies a config file's content.
func (c *config) applyFile(b []byte, getenv func(string) string) error {
	return c.set.ReadFile(b, getenv, map[string]option.Structured{
		"tokens":  func(n *yaml.Node) error { return n.Decode(&c.Tokens) },
		"tunnels": c.decodeTunnels,
		"teams": func(n *yaml.Node) (err error) {
			c.Teams, err = decodeTeams(n)
			return err
		},
	})
}

// decodeTunnels decodes tunnels:, each tunnel's settings checked like options.
func (c *config) decodeTunnels(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "tunnels:" with nothing under it
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: tunnels: want a mapping of tunnel names to settings", n.Line)
	}
	c.Tunnels = make(map[string]server.TunnelSettings)
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		var t server.TunnelSettings
		set := option.NewSet(pflag.NewFlagSet(name, pflag.ContinueOnError), tunnelOptions(&t))
		if err := set.ApplyNode(n.Content[i+1], func(string) string { return "" }, nil); err != nil {
			return fmt.Errorf("tunnels: %s: %w", name, err)
		}
		if err := set.Verify(); err != nil {
			return fmt.Errorf("tunnels: %s: %w", name, err)
		}
		// A secret option's check would show "invalid value" only; the parser's
		// errors name the kind and never the secret.
		if _, err := handshake.ParseConfig(t.Handshake); err != nil {
			return option.Usage(fmt.Errorf("tunnels: %s: handshake: %w", name, err))
		}
		c.Tunnels[name] = t
	}
	return nil
}
