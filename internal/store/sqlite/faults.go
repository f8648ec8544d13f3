package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// noPageLimit is SQLite's largest max_page_count.
const noPageLimit = 4294967294

// SetMaxPages limits the database file to n pages on the write connection
// (PRAGMA max_page_count), so that writes needing more space fail with a
// real SQLITE_FULL, reported as store.ErrUnavailable. SQLite never sets the
// limit below the current size, so SetMaxPages(1) means "no growth".
// n <= 0 lifts the limit. Meant for tests that exercise disk-full handling;
// the limit lasts until lifted or the DB is closed.
func (db *DB) SetMaxPages(n int) error {
	if n <= 0 {
		n = noPageLimit
	}
	return db.pragma(fmt.Sprintf("PRAGMA max_page_count = %d", n))
}

// SetReadOnly turns PRAGMA query_only on or off on the write connection, so
// that writes fail with a real SQLITE_READONLY, reported as
// store.ErrUnavailable, as on a read-only file system. Meant for tests.
func (db *DB) SetReadOnly(on bool) error {
	return db.pragma(fmt.Sprintf("PRAGMA query_only = %d", boolInt(on)))
}

// pragma runs a statement on the write connection outside any transaction.
func (db *DB) pragma(stmt string) error {
	err := db.w.exec(context.Background(), func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, stmt)
		return err
	})
	return wrap("set pragma", err)
}
