package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/option"
)

// Prepare gives root and its subcommands the shared conventions: usage errors for bad
// flags, arguments and commands (exit 2), errors printed once by Exit, --version and a
// version command, and the environment and exit codes in --help. Call it once every
// subcommand is added.
func Prepare(root *cobra.Command) {
	root.SilenceUsage, root.SilenceErrors = true, true
	root.Version = Version()
	root.SetVersionTemplate(root.Name() + " {{.Version}}\n")
	root.Long = strings.TrimSpace(root.Long + "\n\n" + EnvHelp + "\n\n" + ExitCodesHelp)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return option.Usage(err) })
	root.AddCommand(versionCommand(root.Name()))
	if root.Args == nil {
		root.Args = unknownCommand
	}
	walk(root, func(c *cobra.Command) { c.Args = usageArgs(c.Args) })
}

// CompleteChoices makes shell completion offer each option's Choices for its flag.
func CompleteChoices(cmd *cobra.Command, opts []*option.Option) {
	for _, o := range opts {
		if len(o.Choices) > 0 {
			_ = cmd.RegisterFlagCompletionFunc(o.Name, cobra.FixedCompletions(o.Choices, cobra.ShellCompDirectiveNoFileComp))
		}
	}
}

// EnvHelp documents the environment in --help.
const EnvHelp = "Every flag can also be set with HOOKRELAY_<FLAG> (--foo-bar: HOOKRELAY_FOO_BAR);\n" +
	"a flag on the command line wins."

func versionCommand(name string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version (module version and VCS revision)",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), name, Version())
		},
	}
}

// unknownCommand refuses arguments to a root command that takes none: they are a
// mistyped subcommand.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, set where it looks up a command
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return errors.New(msg + " (see --help)")
}

// usageArgs makes the errors of an argument check usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		return nil
	}
	return func(cmd *cobra.Command, args []string) error {
		return option.Usage(check(cmd, args))
	}
}

func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}

// EnvRules are a command's exceptions to HOOKRELAY_<FLAG>.
type EnvRules struct {
	// Skip lists flags whose variable the command reads in a way of its own.
	Skip []string
	// Lines lists repeatable flags whose items may hold commas: one item a line.
	Lines []string
}

// ApplyEnv sets every flag of cmd (its own and inherited) that was not given from
// HOOKRELAY_<FLAG>. Items of repeatable flags are separated by commas (by newlines for
// rules.Lines). Run it after parsing (in a PersistentPreRunE): the environment is never
// a flag's default, so --help never shows it.
func ApplyEnv(cmd *cobra.Command, getenv func(string) string, rules EnvRules) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		v := getenv(option.EnvName(f.Name))
		if f.Changed || v == "" || f.Name == "help" || f.Name == "version" || slices.Contains(rules.Skip, f.Name) {
			return
		}
		sep := ","
		if slices.Contains(rules.Lines, f.Name) {
			sep = "\n"
		}
		for _, item := range envItems(f, v, sep) {
			if err := cmd.Flags().Set(f.Name, item); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", option.EnvName(f.Name), err))
			}
		}
	})
	return option.Usage(errors.Join(errs...))
}

// envItems splits a repeatable flag's value on sep, dropping blank items.
func envItems(f *pflag.Flag, v, sep string) []string {
	if t := f.Value.Type(); t != "stringArray" && t != "stringSlice" {
		return []string{v}
	}
	var out []string
	for _, item := range strings.Split(v, sep) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// IsTerminal reports whether w is a terminal, where a progress bar may redraw its line.
// Pipes, files and buffers are not.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
