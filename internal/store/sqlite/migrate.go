package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// parseMigrationName reads the version from a file name of the form
// "0001_description.sql": four or more digits, an underscore, a name.
func parseMigrationName(name string) (int, error) {
	base, ok := strings.CutSuffix(name, ".sql")
	num, desc, found := strings.Cut(base, "_")
	if !ok || !found || desc == "" || len(num) < 4 {
		return 0, fmt.Errorf("migration %q: want NNNN_name.sql", name)
	}
	for _, c := range []byte(num) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("migration %q: version is not a number", name)
		}
	}
	v, err := strconv.Atoi(num)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("migration %q: version out of range", name)
	}
	return v, nil
}

// loadMigrations reads the embedded migrations in version order and checks
// that versions run 1, 2, 3... without gaps or repeats.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names {
		m, err := readMigration(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

func readMigration(fsys fs.FS, name string) (migration, error) {
	v, err := parseMigrationName(path.Base(name))
	if err != nil {
		return migration{}, err
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return migration{}, fmt.Errorf("read migration: %w", err)
	}
	return migration{version: v, name: path.Base(name), sql: string(b)}, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)`

// migrate applies the migrations the database lacks, all in one
// transaction, and returns how many it applied. A database from a newer
// binary (a version above the newest known) is refused. Foreign keys are
// off while migrations run, as SQLite requires for rebuilding a table that
// others reference, and checked before the commit.
func migrate(ctx context.Context, db *sql.DB, ms []migration) (n int, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, wrap("migrate", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return 0, wrap("migrate: foreign keys off", err)
	}
	defer func() {
		if _, onErr := conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`); onErr != nil && err == nil {
			err = wrap("migrate: foreign keys on", onErr)
		}
	}()
	return migrateTx(ctx, conn, ms)
}

func migrateTx(ctx context.Context, conn *sql.Conn, ms []migration) (n int, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap("migrate", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // the error being returned says more
		}
	}()
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return 0, err
	}
	if current > len(ms) {
		return 0, fmt.Errorf("migrate: database schema version %d is newer than this program's %d", current, len(ms))
	}
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, tx, m); err != nil {
			return 0, err
		}
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return 0, err
	}
	return len(ms) - current, wrap("migrate: commit", tx.Commit())
}

// foreignKeyCheck fails if any row references a missing parent.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return wrap("migrate: foreign key check", err)
	}
	defer rows.Close()
	if rows.Next() {
		return fmt.Errorf("migrate: foreign key check: %w", ErrIntegrity)
	}
	return wrap("migrate: foreign key check", rows.Err())
}

// schemaVersion creates the tracking table if needed and returns the
// highest applied version, 0 for a new database.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, wrap("migrate: create schema_migrations", err)
	}
	var v int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, wrap("migrate: read version", err)
}

func applyMigration(ctx context.Context, tx *sql.Tx, m migration) error {
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return wrap("migrate: apply "+m.name, err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixNano())
	return wrap("migrate: record "+m.name, err)
}
