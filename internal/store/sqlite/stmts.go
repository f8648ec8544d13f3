package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// recordColumns is the column list every record query scans with scanRecord,
// followed there by four body columns (or NULLs when bodies are skipped):
// the request body kept in the row or in request_bodies, whether it is in
// request_body_parts instead (see placeOf), the response body kept in the
// row and the one kept in response_bodies, of which the response half says
// which holds the body.
const recordColumns = `r.seq, r.id, r.tunnel, r.owner, r.received_at, r.method, r.path, r.status,
	r.outcome, r.replay_of, r.event_id, r.request, r.response`

// withBodies selects records with their stored body bytes, except a request
// body in parts, which readRequestBody reads.
const withBodies = `SELECT ` + recordColumns + `, coalesce(r.body, rb.data),
	r.body IS NULL AND rb.data IS NULL AND EXISTS (SELECT 1 FROM request_body_parts p WHERE p.seq = r.seq),
	r.resp_body, sb.data
	FROM records r
	LEFT JOIN request_bodies rb ON rb.seq = r.seq
	LEFT JOIN response_bodies sb ON sb.seq = r.seq`

// withoutBodies selects records with NULL in place of the body bytes.
const withoutBodies = `SELECT ` + recordColumns + `, NULL, 0, NULL, NULL FROM records r`

// uncommonOutcome is the condition of the partial index
// records_tunnel_outcome. A query on an outcome other than 'ok' and
// 'pending' repeats it word for word, which is how SQLite knows the index
// holds every row the query wants.
const uncommonOutcome = `outcome NOT IN ('ok', 'pending')`

// completeColumns sets the response half from the first five parameters.
// Parameters are anonymous throughout: the driver looks up the name of
// each numbered one for every execution.
const completeColumns = `status = ?, outcome = ?, verified = ?, response = ?, resp_body = ?`

// The prepared statements' SQL, named so tests can check their query plans.
const (
	qInsertRecord = `INSERT INTO records (seq, id, tunnel, owner, received_at, method, path, status,
			outcome, verified, replay_of, event_id, request, response, body, resp_body, body_len)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// qNextSeq is one more than the largest seq ever handed out.
	qNextSeq = `SELECT max(ifnull((SELECT max(seq) FROM records), 0),
			ifnull((SELECT seq FROM seq_floor WHERE one = 1), 0)) + 1`
	// qRaiseFloor runs before a purge deletes, so that the seq of the newest
	// record is remembered even if the purge deletes it.
	qRaiseFloor = `INSERT INTO seq_floor (one, seq) VALUES (1, ifnull((SELECT max(seq) FROM records), 0))
			ON CONFLICT (one) DO UPDATE SET seq = max(seq, excluded.seq)`
	qInsertReqBody  = `INSERT INTO request_bodies (seq, data) VALUES (?, ?)`
	qDeleteReqBody  = `DELETE FROM request_bodies WHERE seq = ?`
	qInsertReqPart  = `INSERT INTO request_body_parts (seq, part, data) VALUES (?, ?, ?)`
	qDeleteReqParts = `DELETE FROM request_body_parts WHERE seq = ?`
	qGetReqParts    = `SELECT data FROM request_body_parts WHERE seq = ? ORDER BY part`
	// qSetRequest replaces the request half and the inline body of a record
	// whose body streamed through after Insert.
	qSetRequest     = `UPDATE records SET request = ?, body = ?, body_len = ? WHERE id = ? RETURNING seq`
	qUpsertRespBody = `INSERT INTO response_bodies (seq, data) VALUES (?, ?)
			ON CONFLICT (seq) DO UPDATE SET data = excluded.data`
	// The two forms of Complete: by seq and ID when the caller's record
	// carries its seq (it went through Insert), by ID alone otherwise.
	qCompleteBySeq = `UPDATE records SET ` + completeColumns + ` WHERE id = ? AND seq = ?`
	qCompleteByID  = `UPDATE records SET ` + completeColumns + ` WHERE id = ? RETURNING seq`
	qClaimTunnel   = `INSERT INTO tunnels (name, owner, offline, queue_status, created_at, last_seen)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET offline = excluded.offline,
				queue_status = excluded.queue_status, last_seen = excluded.last_seen
			WHERE tunnels.owner = excluded.owner`
	qTouchTunnel = `UPDATE tunnels SET last_seen = ? WHERE name = ?`
	// Releasing a name: its owner's LastSeen, then the delete, then its
	// owner's queued records of it expire (see ReleaseTunnel).
	qTunnelSeen     = `SELECT last_seen FROM tunnels WHERE name = ? AND owner = ?`
	qReleaseTunnel  = `DELETE FROM tunnels WHERE name = ? AND owner = ?`
	qExpireReleased = `UPDATE records SET outcome = 'expired'
			WHERE tunnel = ? AND owner = ? AND outcome = 'queued' AND ` + uncommonOutcome
	// qRecordedSince reads only the covering index records_received, named
	// because without table statistics the planner prefers scanning rows.
	qRecordedSince = `SELECT tunnel, owner, sum(body_len) FROM records INDEXED BY records_received
			WHERE received_at >= ? GROUP BY tunnel, owner`
	qExpireQueued = `UPDATE records SET outcome = 'expired'
			WHERE outcome = 'queued' AND received_at < ?`
	// qInterrupt scans the table: the outcome index leaves pending records
	// out (see uncommonOutcome), and this runs once per start.
	qInterrupt = `UPDATE records SET outcome = 'interrupted'
			WHERE outcome = 'pending' AND received_at < ?`
	qFreeBytes = `SELECT (SELECT freelist_count FROM pragma_freelist_count()) *
			(SELECT page_size FROM pragma_page_size())`
	qProbeWrite = `INSERT OR REPLACE INTO write_probe (one, data) VALUES (1, zeroblob(?))`
	qProbeClear = `DELETE FROM write_probe`
	qPurgeOld   = `DELETE FROM records WHERE seq IN (
			SELECT seq FROM records WHERE received_at < ? ORDER BY received_at LIMIT ?)`
	qPurgeCap = `DELETE FROM records WHERE seq IN (
			SELECT seq FROM records WHERE tunnel = ?1 AND seq <= (
				SELECT seq FROM records WHERE tunnel = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)
			ORDER BY seq LIMIT ?3)`
	qGetRecord = withBodies + ` WHERE r.id = ? AND r.owner = ?`
	qQueued    = withBodies + ` WHERE r.tunnel = ? AND r.outcome = 'queued' AND r.` + uncommonOutcome + `
			ORDER BY r.seq LIMIT ?`
	qMissed = `SELECT count(*) FROM records WHERE tunnel = ? AND ` + uncommonOutcome + `
			AND outcome IN ('offline', 'queued', 'expired') AND received_at >= ?`
	qSeenEvent = `SELECT EXISTS (SELECT 1 FROM records
			WHERE tunnel = ? AND event_id = ? AND event_id != '' AND seq < ?)`
	qSeenEventAny = `SELECT EXISTS (SELECT 1 FROM records
			WHERE tunnel = ? AND event_id = ? AND event_id != '')`
	qGetTunnel = `SELECT name, owner, offline, queue_status, created_at, last_seen
			FROM tunnels WHERE name = ?`
	qListTunnels = `SELECT name, owner, offline, queue_status, created_at, last_seen
			FROM tunnels WHERE owner = ? ORDER BY name`
	qListAllTunnels = `SELECT name, owner, offline, queue_status, created_at, last_seen
			FROM tunnels ORDER BY name`
	qCrowdedTunnels = `SELECT tunnel FROM records GROUP BY tunnel HAVING count(*) > ?`
)

// readerStmts are prepared once on the read pool.
type readerStmts struct {
	getRecord, queued, missed, seenEvent, seenEventAny *sql.Stmt
	getTunnel, listTunnels, listAllTunnels             *sql.Stmt
	crowdedTunnels, reqParts, recordedSince            *sql.Stmt
	listTokens, tokensVersion                          *sql.Stmt
}

func (s *readerStmts) sql() map[**sql.Stmt]string {
	return map[**sql.Stmt]string{
		&s.getRecord:      qGetRecord,
		&s.queued:         qQueued,
		&s.missed:         qMissed,
		&s.seenEvent:      qSeenEvent,
		&s.seenEventAny:   qSeenEventAny,
		&s.getTunnel:      qGetTunnel,
		&s.listTunnels:    qListTunnels,
		&s.listAllTunnels: qListAllTunnels,
		&s.crowdedTunnels: qCrowdedTunnels,
		&s.reqParts:       qGetReqParts,
		&s.recordedSince:  qRecordedSince,
		&s.listTokens:     qListTokens,
		&s.tokensVersion:  qTokensVer,
	}
}

// prepareAll prepares every statement of set on db, closing those already
// prepared if one fails.
func prepareAll(ctx context.Context, db *sql.DB, set map[**sql.Stmt]string) error {
	for dst, query := range set {
		st, err := db.PrepareContext(ctx, query)
		if err != nil {
			closeAll(set)
			return wrap("prepare", err)
		}
		*dst = st
	}
	return nil
}

// closeAll closes the prepared statements of set, skipping unprepared ones.
func closeAll(set map[**sql.Stmt]string) error {
	var errs []error
	for dst := range set {
		if *dst != nil {
			errs = append(errs, (*dst).Close())
			*dst = nil
		}
	}
	return errors.Join(errs...)
}
