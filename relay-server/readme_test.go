package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/cli"
	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/server"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite README.md's option table from options.go")

const readmePath = "../README.md"

// TestReadmeCommands parses every relay-server command line in README's code blocks:
// a shell line must parse and pass the config checks as written (nothing is served);
// a synopsis line may only name flags relay-server has.
func TestReadmeCommands(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	cmds := cli.DocCommands(string(b), "relay-server")
	if len(cmds) < 3 {
		t.Fatalf("found %d relay-server command lines in README, want at least 3", len(cmds))
	}
	for _, d := range cmds {
		for i, a := range d.Args {
			if strings.HasPrefix(a, "$") { // a shell variable: a token the reader has
				d.Args[i] = "hr_5f0c2a9d1e7b33aa01"
			}
		}
		if err := parseReadmeCommand(d); err != nil {
			t.Errorf("README.md:%d: %s\n  %v", d.Line, d.Text, err)
		}
	}
}

// parseReadmeCommand parses one command line without running it.
func parseReadmeCommand(d cli.DocCommand) error {
	root := rootCommand(noEnv, io.Discard, nil)
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
	if cmd == root {
		_, err := load(rest, noEnv)
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	return cmd.ValidateArgs(cmd.Flags().Args())
}

const (
	tableBegin = "<!-- options table: generated from relay-server/options.go by TestReadmeOptions -->\n"
	tableEnd   = "<!-- end of options table -->\n"
)

// TestReadmeOptions keeps README's table of relay-server options equal to the options
// table; go test ./relay-server -run TestReadmeOptions -update-readme rewrites it.
func TestReadmeOptions(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	before, rest, ok1 := strings.Cut(doc, tableBegin)
	_, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("README.md lacks the options table markers %q and %q", tableBegin, tableEnd)
	}
	want := before + tableBegin + optionsMarkdown(new(config).options()) + tableEnd + after
	if want == doc {
		return
	}
	if *updateReadme {
		if err := os.WriteFile(readmePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's options table differs from options.go; run go test ./relay-server -run TestReadmeOptions -update-readme")
}

// optionsMarkdown is the options table as Markdown.
func optionsMarkdown(opts []option.Option) string {
	var b strings.Builder
	b.WriteString("| flag | default | environment | config key | |\n|---|---|---|---|---|\n")
	for i := range opts {
		o := &opts[i]
		flagText := "`--" + o.Name
		if t := o.Value.Type(); t != "bool" {
			flagText += " " + strings.ToUpper(strings.TrimSuffix(t, "Array"))
		}
		fmt.Fprintf(&b, "| %s` | %s | `%s` | %s | %s |\n", flagText, code(o.Default()), o.Env(), code(o.Key()),
			strings.NewReplacer("|", `\|`, "<", "&lt;", "*", `\*`).Replace(o.Help))
	}
	return b.String()
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// TestReadmeTeamsConfig loads the server config of README's Teams example as written,
// with real digests in place of its <alice> and <bob>.
func TestReadmeTeamsConfig(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "## Teams\n\n```sh\n")
	yamlText, _, ok2 := strings.Cut(block, "\n\n")
	if !ok || !ok2 || !strings.Contains(yamlText, "teams:") {
		t.Fatal("README.md's Teams section does not open with its config example")
	}
	yamlText = strings.NewReplacer("sha256:<alice>", server.HashToken(aliceToken),
		"sha256:<bob>", server.HashToken(bobToken)).Replace(yamlText)
	c, err := load([]string{"--dev", "--config", writeFile(t, "teams.yaml", []byte(yamlText))}, noEnv)
	if err != nil {
		t.Fatalf("README's Teams config: %v\n%s", err, yamlText)
	}
	if tm := c.Teams["payments"]; len(tm.Tokens) != 2 || strings.Join(tm.Names, ",") != "stripe-test" {
		t.Errorf("team payments = %+v", tm)
	}
	if tn := c.Tunnels["stripe-test"]; tn.Share != "mirror" || strings.Join(tn.Handshake, ",") != "slack" {
		t.Errorf("tunnel stripe-test = %+v, want share mirror and handshake [slack]", tn)
	}
}
