package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hookrelay/hookrelay/internal/store"
)

// tunnelClaimer is the part of the store that seeds reserved names.
type tunnelClaimer interface {
	GetTunnel(ctx context.Context, name string) (*store.Tunnel, error)
	ClaimTunnel(ctx context.Context, t store.Tunnel) error
}

// seedReservations claims each reserved name for its token in the store, so the server
// treats it as owned from the start: another token asking for it gets name_taken, and
// deliveries to it follow its offline policy instead of "no such tunnel". A name some
// other token claimed earlier keeps its owner (the store cannot hand it over) and is
// reported; a name its token already owns is left untouched.
func seedReservations(ctx context.Context, st tunnelClaimer, res []reservation, log *slog.Logger) error {
	for _, r := range res {
		t, err := st.GetTunnel(ctx, r.name)
		switch {
		case err == nil && t.Owner != r.owner:
			log.Warn("reserved tunnel name is owned by another token; it stays theirs",
				"tunnel", r.name, "reserved_for", r.owner, "owner", t.Owner)
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			if err := st.ClaimTunnel(ctx, store.Tunnel{Name: r.name, Owner: r.owner}); err != nil {
				return fmt.Errorf("reserve tunnel %s: %w", r.name, err)
			}
		default:
			return fmt.Errorf("reserve tunnel %s: %w", r.name, err)
		}
	}
	return nil
}
