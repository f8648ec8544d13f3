package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// maxTextLen bounds Filter.Text, as the SQLite backend does.
const maxTextLen = 1024

// missedOutcomes is store.MissedOutcomes as an SQL list.
var missedOutcomes = sqlList(store.MissedOutcomes)

func sqlList(os []store.Outcome) string {
	quoted := make([]string, len(os))
	for i, o := range os {
		quoted[i] = "'" + string(o) + "'"
	}
	return strings.Join(quoted, ", ")
}

// condBuilder accumulates WHERE conditions and their numbered arguments.
type condBuilder struct {
	conds []string
	args  []any
}

// add appends a condition whose placeholders are written "?" in order.
func (b *condBuilder) add(cond string, args ...any) {
	for _, a := range args {
		b.args = append(b.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(b.args)), 1)
	}
	b.conds = append(b.conds, cond)
}

func (b *condBuilder) where() string {
	if len(b.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.conds, " AND ")
}

// buildList validates f and translates it into a query and its arguments,
// fetching one row more than the page to detect a next page.
func buildList(f store.Filter) (string, []any, int, error) {
	var b condBuilder
	for _, step := range []func(*condBuilder, store.Filter) error{scope, cursor, match} {
		if err := step(&b, f); err != nil {
			return "", nil, 0, err
		}
	}
	limit := pageSize(f.Limit)
	order := "DESC"
	if f.Oldest {
		order = "ASC"
	}
	b.args = append(b.args, limit+1)
	q := `SELECT ` + withoutBodies + ` FROM record_state r` + b.where() +
		` ORDER BY r.seq ` + order + ` LIMIT $` + strconv.Itoa(len(b.args))
	return q, b.args, limit, nil
}

// pageSize applies DefaultLimit and MaxLimit.
func pageSize(n int) int {
	switch {
	case n <= 0:
		return store.DefaultLimit
	case n > store.MaxLimit:
		return store.MaxLimit
	}
	return n
}

// scope restricts by owner and tunnel.
func scope(b *condBuilder, f store.Filter) error {
	switch {
	case !f.AllOwners && f.Owner == "":
		return fmt.Errorf("%w: owner is required", store.ErrInvalid)
	case !f.AllOwners:
		b.add("r.owner = ?", f.Owner)
	}
	if f.Tunnel != "" {
		b.add("r.tunnel = ?", f.Tunnel)
	}
	return nil
}

// cursor continues after the cursor's seq, in the filter's direction.
func cursor(b *condBuilder, f store.Filter) error {
	if f.Cursor == "" {
		return nil
	}
	c, err := store.ParseCursor(f.Cursor)
	if err != nil {
		return err
	}
	if c.Oldest != f.Oldest {
		return fmt.Errorf("%w: cursor belongs to a listing in the other order", store.ErrInvalid)
	}
	if f.Oldest {
		b.add("r.seq > ?", c.Seq)
	} else {
		b.add("r.seq < ?", c.Seq)
	}
	return nil
}

// match applies the content filters.
func match(b *condBuilder, f store.Filter) error {
	times(b, f.Since, f.Until)
	if f.Method != "" {
		b.add("r.method = ?", f.Method)
	}
	if err := status(b, f.StatusClass); err != nil {
		return err
	}
	if f.Outcome != "" {
		if !f.Outcome.Valid() {
			return fmt.Errorf("%w: unknown outcome %q", store.ErrInvalid, f.Outcome)
		}
		b.add("r.outcome = ?", string(f.Outcome))
	}
	if err := text(b, f.Text); err != nil {
		return err
	}
	if f.ReplayOnly {
		b.add("r.replay_of <> ''")
	}
	if f.Missed {
		b.add("r.outcome IN (" + missedOutcomes + ")" +
			" AND NOT EXISTS (SELECT 1 FROM records x WHERE x.replay_of = r.id AND x.replay_of <> '')")
	}
	return verified(b, f.Verified)
}

func times(b *condBuilder, since, until time.Time) {
	if !since.IsZero() {
		b.add("r.received_at >= ?", toNanos(since))
	}
	if !until.IsZero() {
		b.add("r.received_at < ?", toNanos(until))
	}
}

func status(b *condBuilder, class int) error {
	if class == 0 {
		return nil
	}
	if class < 2 || class > 5 {
		return fmt.Errorf("%w: status class %d not in 2..5", store.ErrInvalid, class)
	}
	b.add("r.status >= ? AND r.status < ?", class*100, class*100+100)
	return nil
}

// text matches a substring of the path or the stored request body with the
// SQLite backend's LIKE semantics (see hr_fold in the schema): each side up
// to its first NUL, ASCII letters folded, no metacharacters.
func text(b *condBuilder, s string) error {
	if s == "" {
		return nil
	}
	if len(s) > maxTextLen {
		return fmt.Errorf("%w: text filter longer than %d bytes", store.ErrInvalid, maxTextLen)
	}
	b.add("(strpos(hr_fold(r.path), hr_fold(?::bytea)) > 0 OR strpos(hr_fold(r.body), hr_fold(?::bytea)) > 0)",
		bytea(s), bytea(s))
	return nil
}

func verified(b *condBuilder, v string) error {
	switch v {
	case "":
	case store.VerifiedOK:
		b.add("r.verified")
	case store.VerifiedFailed:
		b.add("NOT r.verified")
	default:
		return fmt.Errorf("%w: verified filter %q not in \"\", ok, failed", store.ErrInvalid, v)
	}
	return nil
}

// List returns one page of f's records, without body bytes (see
// store.Store).
func (db *DB) List(ctx context.Context, f store.Filter) (store.Page, error) {
	q, args, limit, err := buildList(f)
	if err != nil {
		return store.Page{}, fmt.Errorf("list records: %w", err)
	}
	var recs []store.Record
	err = db.call(ctx, "list records", func(ctx context.Context) error {
		recs, err = db.queryRecords(ctx, q, args...)
		return err
	})
	if err != nil {
		return store.Page{}, err
	}
	return makePage(recs, limit, f.Oldest), nil
}

// makePage trims the extra row fetched to detect a following page and sets
// Next accordingly.
func makePage(recs []store.Record, limit int, oldest bool) store.Page {
	if len(recs) <= limit {
		return store.Page{Records: recs}
	}
	recs = recs[:limit]
	next := store.Cursor{Seq: recs[limit-1].Seq, Oldest: oldest}
	return store.Page{Records: recs, Next: next.String()}
}

// queryRecords runs a record query and scans every row.
func (db *DB) queryRecords(ctx context.Context, q string, args ...any) ([]store.Record, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}
