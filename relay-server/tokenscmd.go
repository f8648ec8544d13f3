package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hookrelay/hookrelay/internal/option"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// maxLabelLen bounds a token's label: a name shown to teammates, not a note.
const maxLabelLen = 64

// tokensCommand manages the client tokens kept in the server's database: tokens add,
// list and revoke. They open the database the server uses, found as the server finds
// it (--data, --sync, --database-url and --config, their HOOKRELAY_ variables and the config file), so
// they work while it runs: the server reads the tokens' version every server.TokenPoll
// (1 s) and picks up what changed.
func tokensCommand(getenv func(string) string) *cobra.Command {
	cfg := new(config)
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Add, list and revoke client tokens in the server's database, without a restart",
		Long: "Client tokens added here live in the server's database, beside those of --token and the\n" +
			"config file. A running server picks up an added or revoked token within a second; a revoked\n" +
			"token's sessions end with token_revoked. Only the SHA-256 of a token is stored: add prints\n" +
			"the token once.",
	}
	cfg.bindStoreFlags(cmd.PersistentFlags())
	open := func(cmd *cobra.Command) (relayStore, error) { return cfg.openTokenStore(cmd.Context(), getenv) }
	cmd.AddCommand(tokensAddCommand(open), tokensListCommand(open), tokensRevokeCommand(open))
	return cmd
}

// bindStoreFlags binds every server option, as the config file may set any of them, but
// shows as flags only those that find the database.
func (c *config) bindStoreFlags(flags *pflag.FlagSet) {
	all := pflag.NewFlagSet("relay-server tokens", pflag.ContinueOnError)
	c.bind(all)
	for _, name := range []string{"config", "data", "sync", "database-url", "database-schema"} {
		flags.AddFlag(all.Lookup(name))
	}
}

// openTokenStore resolves the options that find the database and opens it.
func (c *config) openTokenStore(ctx context.Context, getenv func(string) string) (relayStore, error) {
	if err := c.resolveSources(getenv); err != nil {
		return nil, err
	}
	if err := c.set.Verify(); err != nil {
		return nil, err
	}
	if c.DatabaseURL != "" {
		return openDB(ctx, c) // nothing of it lives in the data directory
	}
	if err := os.MkdirAll(c.Data, 0o700); err != nil { // as the server does at startup
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return openDB(ctx, c)
}

// dbPath is the server's database file.
func (c *config) dbPath() string { return filepath.Join(c.Data, "hookrelay.db") }

type openFunc func(*cobra.Command) (relayStore, error)

func tokensAddCommand(open openFunc) *cobra.Command {
	var team, label string
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a client token and print it, once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkTeamLabel(team, label); err != nil {
				return option.Usage(err)
			}
			db, err := open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			return addToken(cmd.Context(), db, team, label, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&team, "team", "", "team the token joins (shares its tunnel names and records); none: a token of its own")
	cmd.Flags().StringVar(&label, "label", "", "name of the token's holder, shown to teammates")
	return cmd
}

// checkTeamLabel checks tokens add's --team (a name like a tunnel name) and --label.
func checkTeamLabel(team, label string) error {
	if team != "" {
		if err := proto.ValidName(team); err != nil {
			return fmt.Errorf("--team: %w", err)
		}
	}
	if len(label) > maxLabelLen {
		return fmt.Errorf("--label: at most %d bytes", maxLabelLen)
	}
	for _, r := range label {
		if !unicode.IsPrint(r) {
			return errors.New("--label: printable characters only")
		}
	}
	return nil
}

// addToken stores a new token's digest and prints the token alone on out, so that
// TOKEN=$(relay-server tokens add ...) works; what it is goes to info.
func addToken(ctx context.Context, st store.TokenStore, team, label string, out, info io.Writer) error {
	tok, err := newToken()
	if err != nil {
		return err
	}
	d := sha256.Sum256([]byte(tok))
	t := store.Token{ID: server.OwnerID(d), Digest: hex.EncodeToString(d[:]), Team: team, Label: label}
	if err := st.AddToken(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(info, "added token %s (%s); it is shown once, the server keeps only its SHA-256:\n", t.ID, teamText(team))
	fmt.Fprintln(out, tok)
	return nil
}

// newToken returns a random token, "hr_" and 24 random bytes in hex: 192 bits, and
// never one the server's strength check refuses.
func newToken() (string, error) {
	for {
		var b [24]byte
		if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
			return "", fmt.Errorf("generate token: %w", err)
		}
		if tok := "hr_" + hex.EncodeToString(b[:]); !weakToken(tok) {
			return tok, nil
		}
	}
}

func teamText(team string) string {
	if team == "" {
		return "a token of its own"
	}
	return "team " + team
}

func tokensListCommand(open openFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the tokens in the database: id, team, label, created, revoked (never the token)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			ts, err := db.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			return printTokens(cmd.OutOrStdout(), ts)
		},
	}
}

// printTokens writes the tokens as a table. A token's digest is not shown either: it is
// what a config file would need to accept the token without the database.
func printTokens(w io.Writer, ts []store.Token) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTEAM\tLABEL\tCREATED\tREVOKED")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, dash(t.Team), dash(t.Label), stamp(t.CreatedAt), stamp(t.RevokedAt))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func tokensRevokeCommand(open openFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: a running server ends its sessions and refuses it within seconds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			err = db.RevokeToken(cmd.Context(), args[0], time.Time{})
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no token %s in the database (tokens of --token or the config file are removed there)", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s\n", args[0])
			return nil
		},
	}
}
