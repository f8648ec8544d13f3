package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// maxTextLen bounds Filter.Text, keeping LIKE patterns well under SQLite's
// pattern length limit.
const maxTextLen = 1024

// listQuery is a List call translated to SQL.
type listQuery struct {
	sql   string
	args  []any
	limit int // page size; the query fetches one more row to detect a next page
}

// buildList validates f and translates it. The SQL text depends only on
// which filters are set, so the number of distinct texts is bounded and
// each is prepared once (see listCache).
func buildList(f store.Filter) (listQuery, error) {
	var b condBuilder
	if err := b.scope(f); err != nil {
		return listQuery{}, err
	}
	if err := b.cursor(f); err != nil {
		return listQuery{}, err
	}
	if err := b.match(f); err != nil {
		return listQuery{}, err
	}
	q := listQuery{limit: pageSize(f.Limit)}
	order := "DESC"
	if f.Oldest {
		order = "ASC"
	}
	q.sql = withoutBodies + b.where() + " ORDER BY r.seq " + order + " LIMIT ?"
	q.args = append(b.args, q.limit+1)
	return q, nil
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

// condBuilder accumulates WHERE conditions and their arguments.
type condBuilder struct {
	conds []string
	args  []any
}

func (b *condBuilder) add(cond string, args ...any) {
	b.conds = append(b.conds, cond)
	b.args = append(b.args, args...)
}

func (b *condBuilder) where() string {
	if len(b.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.conds, " AND ")
}

// scope restricts by owner and tunnel.
func (b *condBuilder) scope(f store.Filter) error {
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
func (b *condBuilder) cursor(f store.Filter) error {
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
func (b *condBuilder) match(f store.Filter) error {
	b.times(f.Since, f.Until)
	if f.Method != "" {
		b.add("r.method = ?", f.Method)
	}
	if err := b.status(f.StatusClass); err != nil {
		return err
	}
	if f.Outcome != "" {
		if !f.Outcome.Valid() {
			return fmt.Errorf("%w: unknown outcome %q", store.ErrInvalid, f.Outcome)
		}
		b.add("r.outcome = ?", string(f.Outcome))
		if f.Outcome != store.OutcomeOK && f.Outcome != store.OutcomePending {
			b.add("r." + uncommonOutcome)
		}
	}
	if err := b.text(f.Text); err != nil {
		return err
	}
	if f.ReplayOnly {
		b.add("r.replay_of != ''")
	}
	if f.Missed {
		// x.replay_of != '' lets SQLite use the partial index records_replay_of.
		b.add("r.outcome IN (" + missedOutcomes + ") AND r." + uncommonOutcome +
			" AND NOT EXISTS (SELECT 1 FROM records x WHERE x.replay_of = r.id AND x.replay_of != '')")
	}
	return b.verified(f.Verified)
}

func (b *condBuilder) times(since, until time.Time) {
	if !since.IsZero() {
		b.add("r.received_at >= ?", toNanos(since))
	}
	if !until.IsZero() {
		b.add("r.received_at < ?", toNanos(until))
	}
}

func (b *condBuilder) status(class int) error {
	if class == 0 {
		return nil
	}
	if class < 2 || class > 5 {
		return fmt.Errorf("%w: status class %d not in 2..5", store.ErrInvalid, class)
	}
	b.add("r.status >= ? AND r.status < ?", class*100, class*100+100)
	return nil
}

// text matches a substring of the path or the stored request body, ASCII
// case-insensitively, with LIKE metacharacters escaped. The body is matched
// as text, so in a body holding a NUL byte only the part before it is
// searched.
func (b *condBuilder) text(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > maxTextLen {
		return fmt.Errorf("%w: text filter longer than %d bytes", store.ErrInvalid, maxTextLen)
	}
	p := "%" + likeEscaper.Replace(s) + "%"
	b.add(`(r.path LIKE ? ESCAPE '\' OR CAST(r.body AS TEXT) LIKE ? ESCAPE '\'
		OR EXISTS (SELECT 1 FROM request_bodies b
		WHERE b.seq = r.seq AND CAST(b.data AS TEXT) LIKE ? ESCAPE '\')
		OR EXISTS (SELECT 1 FROM request_body_parts b
		WHERE b.seq = r.seq AND CAST(b.data AS TEXT) LIKE ? ESCAPE '\'))`, p, p, p, p)
	return nil
}

// missedOutcomes is store.MissedOutcomes as an SQL list.
var missedOutcomes = sqlList(store.MissedOutcomes)

func sqlList(os []store.Outcome) string {
	quoted := make([]string, len(os))
	for i, o := range os {
		quoted[i] = "'" + string(o) + "'"
	}
	return strings.Join(quoted, ", ")
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (b *condBuilder) verified(v string) error {
	switch v {
	case "":
	case store.VerifiedOK:
		b.add("r.verified = 1")
	case store.VerifiedFailed:
		b.add("r.verified = 0")
	default:
		return fmt.Errorf("%w: verified filter %q not in \"\", ok, failed", store.ErrInvalid, v)
	}
	return nil
}

// List returns one page of f's records, without body bytes (see
// store.Store).
func (db *DB) List(ctx context.Context, f store.Filter) (store.Page, error) {
	q, err := buildList(f)
	if err != nil {
		return store.Page{}, fmt.Errorf("list records: %w", err)
	}
	if db.closed.Load() {
		return store.Page{}, errClosed
	}
	st, err := db.lists.get(ctx, db.rdb, q.sql)
	if err != nil {
		return store.Page{}, wrap("list records", err)
	}
	recs, err := queryRecords(ctx, st, q.args...)
	if err != nil {
		return store.Page{}, wrap("list records", err)
	}
	return makePage(recs, q.limit, f.Oldest), nil
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

func queryRecords(ctx context.Context, st *sql.Stmt, args ...any) ([]store.Record, error) {
	rows, err := queryRows(ctx, st, 0, args...)
	recs := make([]store.Record, len(rows))
	for i := range rows {
		recs[i] = rows[i].Record
	}
	return recs, err
}

// queryRows runs a record query. With budget > 0 it stops after the row
// whose stored request body brings the total past budget bytes (a body in
// parts counted by its size), so at least one row is returned.
func queryRows(ctx context.Context, st *sql.Stmt, budget int64, args ...any) ([]scannedRow, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scannedRow
	var total int64
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
		total += int64(len(r.Body.Data))
		if r.inParts {
			total += r.Body.Size
		}
		if budget > 0 && total >= budget {
			break
		}
	}
	return out, rows.Err()
}

// listCache holds the prepared statement of each List query text.
type listCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (c *listCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st, nil
}

func (c *listCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}
