package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notifications between the relays sharing one schema: PostgreSQL's NOTIFY, delivered
// to every session that LISTENs on the channel once the sending transaction commits.
// A payload is at most MaxNotify bytes. Channels are named after the schema, so relays
// on other schemas of the same server never hear each other. Notifications are
// ephemeral: a listener that is not connected misses them.

// MaxNotify is the largest payload Notify sends (PostgreSQL's limit is 8000 bytes).
const MaxNotify = 7900

// channels names channels after the schema (current_schema(), read once).
type channels struct {
	once   sync.Once
	schema string
	err    error
}

func (db *DB) channel(ctx context.Context, name string) (string, error) {
	db.chans.once.Do(func() {
		db.chans.err = db.pool.QueryRow(ctx, "SELECT current_schema()").Scan(&db.chans.schema)
	})
	if db.chans.err != nil {
		return "", wrap("notify channel", db.chans.err)
	}
	ch := "hookrelay." + db.chans.schema + "." + name
	if len(ch) > 63 { // PostgreSQL cuts identifiers at 63 bytes: cut it the same way everywhere
		ch = ch[:63]
	}
	return ch, nil
}

// Notify sends payload (at most MaxNotify bytes) to the listeners of channel name.
func (db *DB) Notify(ctx context.Context, name, payload string) error {
	ch, err := db.channel(ctx, name)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, "SELECT pg_notify($1, $2)", ch, payload)
	return wrap("notify", err)
}

// Listen calls f with each payload sent to channel name, on a connection of its own,
// until ctx ends; after a failure it connects again a second later (what was sent
// meanwhile is missed).
func (db *DB) Listen(ctx context.Context, name string, f func(payload string)) {
	for ctx.Err() == nil {
		_ = db.listenOnce(ctx, name, f)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, name string, f func(string)) error {
	ch, err := db.channel(ctx, name)
	if err != nil {
		return err
	}
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return wrap("listen", err)
	}
	conn := c.Hijack() // its LISTEN must not go back to the pool
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
		return wrap("listen", err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return wrap("listen", err)
		}
		f(n.Payload)
	}
}
