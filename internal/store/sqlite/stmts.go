package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// recordColumns is the column list every record query scans with scanRecord,
// followed there by the two body columns (or NULLs when bodies are skipped).
const recordColumns = `r.seq, r.id, r.tunnel, r.owner, r.received_at, r.method, r.host, r.path,
	r.raw_query, r.proto, r.remote_addr, r.headers, r.body_size, r.body_sha256, r.body_truncated,
	r.status, r.outcome, r.error_code, r.resp_headers, r.resp_body_size, r.resp_body_sha256,
	r.resp_body_truncated, r.duration_ns, r.replay_of, r.verify_provider, r.verify_ok,
	r.verify_reason, r.event_id, r.duplicate, r.attempts`

// withBodies selects records with their stored body bytes.
const withBodies = `SELECT ` + recordColumns + `, rb.data, sb.data FROM records r
	LEFT JOIN request_bodies rb ON rb.seq = r.seq
	LEFT JOIN response_bodies sb ON sb.seq = r.seq`

// withoutBodies selects records with NULL in place of the body bytes.
const withoutBodies = `SELECT ` + recordColumns + `, NULL, NULL FROM records r`

// The prepared statements' SQL, named so tests can check their query plans.
const (
	qSavepoint    = `SAVEPOINT op`
	qRelease      = `RELEASE op`
	qRollbackTo   = `ROLLBACK TO op`
	qInsertRecord = `INSERT INTO records (id, tunnel, owner, received_at, method, host, path,
			raw_query, proto, remote_addr, headers, body_size, body_sha256, body_truncated, status,
			outcome, error_code, resp_headers, resp_body_size, resp_body_sha256, resp_body_truncated,
			duration_ns, replay_of, verify_provider, verify_ok, verify_reason, event_id, duplicate,
			attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			?, ?, ?, ?)`
	qInsertReqBody  = `INSERT INTO request_bodies (seq, data) VALUES (?, ?)`
	qUpsertRespBody = `INSERT INTO response_bodies (seq, data) VALUES (?, ?)
			ON CONFLICT (seq) DO UPDATE SET data = excluded.data`
	qDeleteRespBody = `DELETE FROM response_bodies WHERE seq = ?`
	qCompleteRecord = `UPDATE records SET status = ?, outcome = ?, error_code = ?,
			resp_headers = ?, resp_body_size = ?, resp_body_sha256 = ?, resp_body_truncated = ?,
			duration_ns = ?, attempts = ?, verify_provider = ?, verify_ok = ?, verify_reason = ?,
			duplicate = ? WHERE id = ? RETURNING seq`
	qClaimTunnel = `INSERT INTO tunnels (name, owner, offline, queue_status, created_at, last_seen)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET offline = excluded.offline,
				queue_status = excluded.queue_status, last_seen = excluded.last_seen
			WHERE tunnels.owner = excluded.owner`
	qTouchTunnel  = `UPDATE tunnels SET last_seen = ? WHERE name = ?`
	qExpireQueued = `UPDATE records SET outcome = 'expired'
			WHERE outcome = 'queued' AND received_at < ?`
	qPurgeOld = `DELETE FROM records WHERE seq IN (
			SELECT seq FROM records WHERE received_at < ? ORDER BY received_at LIMIT ?)`
	qPurgeCap = `DELETE FROM records WHERE seq IN (
			SELECT seq FROM records WHERE tunnel = ?1 AND seq <= (
				SELECT seq FROM records WHERE tunnel = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)
			ORDER BY seq LIMIT ?3)`
	qGetRecord = withBodies + ` WHERE r.id = ? AND r.owner = ?`
	qQueued    = withBodies + ` WHERE r.tunnel = ? AND r.outcome = 'queued'
			ORDER BY r.seq LIMIT ?`
	qMissed = `SELECT count(*) FROM records
			WHERE tunnel = ? AND outcome IN ('offline', 'queued', 'expired') AND received_at >= ?`
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

// writerStmts are prepared once on the write connection.
type writerStmts struct {
	savepoint, release, rollbackTo *sql.Stmt

	insertRecord, insertReqBody, upsertRespBody, deleteRespBody, completeRecord *sql.Stmt
	claimTunnel, touchTunnel                                                    *sql.Stmt
	expireQueued, purgeOld, purgeCap                                            *sql.Stmt
}

func (s *writerStmts) sql() map[**sql.Stmt]string {
	return map[**sql.Stmt]string{
		&s.savepoint:      qSavepoint,
		&s.release:        qRelease,
		&s.rollbackTo:     qRollbackTo,
		&s.insertRecord:   qInsertRecord,
		&s.insertReqBody:  qInsertReqBody,
		&s.upsertRespBody: qUpsertRespBody,
		&s.deleteRespBody: qDeleteRespBody,
		&s.completeRecord: qCompleteRecord,
		&s.claimTunnel:    qClaimTunnel,
		&s.touchTunnel:    qTouchTunnel,
		&s.expireQueued:   qExpireQueued,
		&s.purgeOld:       qPurgeOld,
		&s.purgeCap:       qPurgeCap,
	}
}

// readerStmts are prepared once on the read pool.
type readerStmts struct {
	getRecord, queued, missed, seenEvent, seenEventAny *sql.Stmt
	getTunnel, listTunnels, listAllTunnels             *sql.Stmt
	crowdedTunnels                                     *sql.Stmt
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
