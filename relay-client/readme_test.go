package main

import (
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/hookrelay/hookrelay/internal/cli"
)

// TestReadmeCommands parses every relay-client command line in README's code blocks:
// a shell line must parse as written (nothing runs); a synopsis line may only name
// flags its command has.
func TestReadmeCommands(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := cli.DocCommands(string(b), "relay-client")
	if len(cmds) < 10 {
		t.Fatalf("found %d relay-client command lines in README, want at least 10", len(cmds))
	}
	for _, d := range cmds {
		if err := parseReadmeCommand(d); err != nil {
			t.Errorf("README.md:%d: %s\n  %v", d.Line, d.Text, err)
		}
	}
}

// parseReadmeCommand parses one command line without running it.
func parseReadmeCommand(d cli.DocCommand) error {
	g := &globals{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
	root := rootCommand(g)
	cmd, rest, err := root.Find(d.Args)
	if err != nil {
		return err
	}
	for _, name := range d.Flags() {
		if cmd.Flags().Lookup(name) == nil && cmd.InheritedFlags().Lookup(name) == nil {
			return fmt.Errorf("%s has no flag --%s", cmd.CommandPath(), name)
		}
	}
	if !d.Runnable {
		return nil
	}
	if cmd == root && len(rest) > 0 {
		return fmt.Errorf("no command in %q", d.Args)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	return cmd.ValidateArgs(cmd.Flags().Args())
}
