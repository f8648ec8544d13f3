package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hookrelay/hookrelay/internal/option"
)

func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("server unreachable"), ExitError},
		{option.Usage(errors.New("bad flag")), ExitUsage},
		{fmt.Errorf("load: %w", option.Usage(errors.New("bad value"))), ExitUsage},
		{Partial(errors.New("2 of 5 replays failed")), ExitPartial},
		{&ShownError{Err: errors.New("bad token")}, ExitError},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestExitPrintsOnce(t *testing.T) {
	var b bytes.Buffer
	if code := Exit(&b, "relay-client", &ShownError{Err: errors.New("bad token")}); code != ExitError || b.Len() != 0 {
		t.Errorf("shown error: code %d, printed %q", code, b.String())
	}
	if code := Exit(&b, "relay-client", option.Usage(errors.New("--limit: bad"))); code != ExitUsage ||
		b.String() != "relay-client: --limit: bad\n" {
		t.Errorf("usage error: code %d, printed %q", code, b.String())
	}
}

func TestVersionOf(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "4899774a1b2c3d4e5f"}}
	for _, tt := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v0.4.0", nil, "v0.4.0"},
		{"(devel)", rev, "(devel) rev 4899774a1b2c"},
		{"", append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "(devel) rev 4899774a1b2c+modified"},
		{"v0.0.0-20261202161000-4899774a1b2c", rev, "v0.0.0-20261202161000-4899774a1b2c"},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Version: tt.main}, Settings: tt.settings}
		if got := versionOf(bi); got != tt.want {
			t.Errorf("versionOf(%q, %v) = %q, want %q", tt.main, tt.settings, got, tt.want)
		}
	}
}

// newRoot is a root with one subcommand taking one argument and a few flags.
func newRoot(got *[]string) *cobra.Command {
	root := &cobra.Command{Use: "prog", RunE: func(*cobra.Command, []string) error { return nil }}
	sub := &cobra.Command{Use: "sub ID", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ApplyEnv(cmd, func(k string) string {
				return map[string]string{"HOOKRELAY_TOKEN": "env-token", "HOOKRELAY_NAME": "a, b",
					"HOOKRELAY_SET": "x=1,2\ny=3", "HOOKRELAY_LIMIT": "7", "HOOKRELAY_SKIPPED": "no"}[k]
			}, EnvRules{Skip: []string{"skipped"}, Lines: []string{"set"}}); err != nil {
				return err
			}
			for _, n := range []string{"token", "name", "set", "limit", "skipped"} {
				*got = append(*got, n+"="+cmd.Flag(n).Value.String())
			}
			return nil
		}}
	root.PersistentFlags().String("token", "", "token")
	sub.Flags().StringArray("name", nil, "names")
	sub.Flags().StringArray("set", nil, "fields")
	sub.Flags().Int("limit", 1, "limit")
	sub.Flags().String("skipped", "", "read otherwise")
	root.AddCommand(sub)
	Prepare(root)
	return root
}

func execute(args ...string) ([]string, string, error) {
	var got []string
	var out bytes.Buffer
	root := newRoot(&got)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return got, out.String(), err
}

func TestApplyEnv(t *testing.T) {
	got, _, err := execute("sub", "1", "--limit", "3")
	want := "token=env-token name=[a,b] set=[\"x=1,2\",y=3] limit=3 skipped="
	if err != nil || strings.Join(got, " ") != want {
		t.Errorf("got %q, %v\nwant %q", strings.Join(got, " "), err, want)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--nope"}, {"sbu"}, {"sub"}, {"sub", "1", "2"}, {"sub", "1", "--limit", "x"}, {"version", "extra"},
	} {
		_, _, err := execute(args...)
		if ExitCode(err) != ExitUsage {
			t.Errorf("%q: %v, exit %d; want %d", args, err, ExitCode(err), ExitUsage)
		}
	}
	if _, _, err := execute("sbu"); err == nil || !strings.Contains(err.Error(), "did you mean sub") {
		t.Errorf("a mistyped command: %v, want a suggestion", err)
	}
}

func TestHelpAndVersion(t *testing.T) {
	_, out, err := execute("--help")
	if err != nil || !strings.Contains(out, ExitCodesHelp) || !strings.Contains(out, "HOOKRELAY_<FLAG>") {
		t.Errorf("--help: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		_, out, err := execute(args...)
		if err != nil || out != "prog "+Version()+"\n" {
			t.Errorf("%q: %q, %v", args, out, err)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) || IsTerminal(new(bytes.Buffer)) {
		t.Error("a pipe or a buffer taken for a terminal")
	}
}

func TestDocCommands(t *testing.T) {
	md := "text relay-client http 1\n" +
		"```sh\nexport X=1\ngo run ./relay-client http 3000 --name a  # comment\n" +
		"relay-client http 3000 --token \"$TOKEN\" \\\n  --name 'x y'\nrelay-clients nope\n" +
		"carol$ relay-client http 4000 --route 'json:a=b'   # routed\n$ relay-client nope\n```\n" +
		"```\nrelay-client replay ID [--edit]\n    --offline reject|queue   what\n```\n"
	got := DocCommands(md, "relay-client")
	if len(got) != 4 {
		t.Fatalf("got %d commands: %+v", len(got), got)
	}
	want := [][]string{{"http", "3000", "--name", "a"}, {"http", "3000", "--token", "$TOKEN", "--name", "x y"},
		{"http", "4000", "--route", "json:a=b"}}
	for i, w := range want {
		if strings.Join(got[i].Args, "|") != strings.Join(w, "|") || !got[i].Runnable {
			t.Errorf("command %d: %q runnable=%v, want %q", i, got[i].Args, got[i].Runnable, w)
		}
	}
	if got[0].Line != 4 || got[1].Line != 5 {
		t.Errorf("lines %d and %d, want 4 and 5", got[0].Line, got[1].Line)
	}
	if f := got[3].Flags(); got[3].Runnable || strings.Join(f, ",") != "edit,offline" {
		t.Errorf("synopsis: runnable=%v flags %q", got[2].Runnable, f)
	}
}
