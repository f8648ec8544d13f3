package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// releaseCommand gives up a tunnel name of the token on the server.
func releaseCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "release NAME",
		Short: "Give up a tunnel name so that any token may take it (its recorded deliveries stay yours)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.apiClient()
			if err != nil {
				return err
			}
			if err := c.Release(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("release %s: %w", args[0], err)
			}
			if g.json {
				return writeJSON(g.stdout, map[string]string{"released": args[0]})
			}
			fmt.Fprintf(g.stdout, "released tunnel name %s\n", args[0])
			return nil
		},
	}
}
