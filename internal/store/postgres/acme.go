package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/acme/autocert"
)

// Defaults of the order lock (see ACMECache).
const (
	acmeLockTTL = 5 * time.Minute // a holder that dies keeps others out this long
	acmePoll    = time.Second     // how often a waiter looks for the certificate
	acmeMaxWait = 2 * time.Minute // how long a waiter waits before it gives up
)

const (
	qACMEGet = `SELECT data FROM acme_cache WHERE key = $1`
	qACMEPut = `INSERT INTO acme_cache (key, data) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`
	qACMEDelete = `DELETE FROM acme_cache WHERE key = $1`
	// qACMELock takes the order lock of $1 for holder $2 unless another
	// holder's lock is still valid; a row comes back when it is ours.
	qACMELock = `INSERT INTO acme_locks (key, holder, expires_at)
			VALUES ($1, $2, now() + make_interval(secs => $3))
			ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
			WHERE acme_locks.expires_at < now() OR acme_locks.holder = EXCLUDED.holder
			RETURNING holder`
	qACMEUnlock    = `DELETE FROM acme_locks WHERE key = $1`
	qACMEUnlockOwn = `DELETE FROM acme_locks WHERE key = $1 AND holder = $2`
)

// ACMECache is an autocert.Cache in the tables acme_cache and acme_locks,
// shared by every process using the database. Besides storing, it keeps
// several processes from ordering the same certificate at once: see Get.
type ACMECache struct {
	db      *DB
	holder  string        // names this cache in acme_locks
	lockTTL time.Duration // expiry of a lock this cache takes
	poll    time.Duration // wait between two looks for a certificate being ordered elsewhere
	maxWait time.Duration // longest wait for it
}

var _ autocert.Cache = (*ACMECache)(nil)

// ACMECache returns an autocert cache on db. Give each autocert.Manager its
// own: the order lock it takes belongs to the returned cache.
func (db *DB) ACMECache() *ACMECache {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &ACMECache{db: db, holder: hex.EncodeToString(b[:]), lockTTL: acmeLockTTL,
		poll: acmePoll, maxWait: acmeMaxWait}
}

// Get returns the data stored under key, or autocert.ErrCacheMiss.
//
// A miss on a certificate key (a host name, or a host name + "+rsa") takes
// the key's order lock, valid 5 minutes by PostgreSQL's clock. The cache
// that gets it returns ErrCacheMiss, so its manager orders the certificate;
// its Put of the key releases the lock. Any other cache looks for the key
// every second, taking the lock over should it expire, and returns the
// certificate once it appears: only one process orders it. The wait ends
// with an error after 2 minutes or when ctx ends.
func (c *ACMECache) Get(ctx context.Context, key string) ([]byte, error) {
	data, found, err := c.read(ctx, key)
	if err != nil || found {
		return data, err
	}
	if !certKey(key) {
		return nil, autocert.ErrCacheMiss
	}
	return c.awaitOrder(ctx, key)
}

// Peek is Get without the order lock: it never waits and never makes the
// caller the one to order.
func (c *ACMECache) Peek(ctx context.Context, key string) ([]byte, error) {
	data, found, err := c.read(ctx, key)
	if err == nil && !found {
		err = autocert.ErrCacheMiss
	}
	return data, err
}

// awaitOrder takes key's order lock (ErrCacheMiss) or waits for the
// holder's certificate.
func (c *ACMECache) awaitOrder(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.maxWait)
	defer cancel()
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	for {
		data, done, err := c.tryOrder(ctx, key)
		if done || err != nil {
			return data, err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("acme cache get %s: another process is ordering it: %w", key, ctx.Err())
		}
		if data, found, err := c.read(ctx, key); err != nil || found {
			return data, err
		}
	}
}

// tryOrder takes key's lock if it can. done is true with ErrCacheMiss when it
// did, or with the data when the key was stored meanwhile.
func (c *ACMECache) tryOrder(ctx context.Context, key string) (data []byte, done bool, err error) {
	var got bool
	err = c.db.call(ctx, "acme cache lock "+key, func(ctx context.Context) error {
		var holder string
		err := c.db.pool.QueryRow(ctx, qACMELock, key, c.holder, int(c.lockTTL/time.Second)).Scan(&holder)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		got = err == nil
		return err
	})
	if err != nil || !got {
		return nil, false, err
	}
	// A Put that committed just before the lock was taken is visible now.
	data, found, err := c.read(ctx, key)
	if err != nil || !found {
		return nil, true, cmpErr(err, autocert.ErrCacheMiss)
	}
	return data, true, c.unlock(ctx, key)
}

func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// read returns the data under key; found is false when there is none.
func (c *ACMECache) read(ctx context.Context, key string) (data []byte, found bool, err error) {
	err = c.db.call(ctx, "acme cache get "+key, func(ctx context.Context) error {
		err := c.db.pool.QueryRow(ctx, qACMEGet, key).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	return data, found, err
}

// Put stores data under key, and for a certificate key releases its order
// lock in the same transaction, whoever holds it: waiters look for the key.
func (c *ACMECache) Put(ctx context.Context, key string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	return c.db.call(ctx, "acme cache put "+key, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, c.db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, qACMEPut, key, data); err != nil {
				return err
			}
			if !certKey(key) {
				return nil
			}
			_, err := tx.Exec(ctx, qACMEUnlock, key)
			return err
		})
	})
}

// Delete removes key; a missing key is no error.
func (c *ACMECache) Delete(ctx context.Context, key string) error {
	return c.db.call(ctx, "acme cache delete "+key, func(ctx context.Context) error {
		_, err := c.db.pool.Exec(ctx, qACMEDelete, key)
		return err
	})
}

// unlock drops key's lock if this cache holds it.
func (c *ACMECache) unlock(ctx context.Context, key string) error {
	return c.db.call(ctx, "acme cache unlock "+key, func(ctx context.Context) error {
		_, err := c.db.pool.Exec(ctx, qACMEUnlockOwn, key, c.holder)
		return err
	})
}

// certKey reports whether autocert stores a certificate under key
// (golang.org/x/crypto/acme/autocert certKey.String): a host name, with
// "+rsa" for the RSA certificate of old clients. Challenge tokens end in
// "+token" or "+http-01" and the account key is "acme_account+key" (before
// that "acme_account.key"): none of those is ordered, so none is locked.
func certKey(key string) bool {
	host := strings.TrimSuffix(key, "+rsa")
	return host != "" && !strings.Contains(host, "+") && !strings.HasPrefix(host, "acme_account")
}

// AwaitOrder returns once key is stored, or once this cache holds its order
// lock (its Get then misses, so its manager orders): it is Get's wait,
// without the data, for callers that must not wait inside autocert (see
// certs.ACME).
func (c *ACMECache) AwaitOrder(ctx context.Context, key string) error {
	if !certKey(key) {
		return nil
	}
	_, err := c.Get(ctx, key)
	if err == autocert.ErrCacheMiss {
		return nil
	}
	return err
}
