-- The delivery attempts of a record: which client got it, in which role, and
-- how it answered, numbered from 1 per record in the order they started.
-- They go with their record when a purge deletes it.
CREATE TABLE attempts (
    seq       INTEGER NOT NULL REFERENCES records (seq) ON DELETE CASCADE,
    n         INTEGER NOT NULL,
    client_id TEXT    NOT NULL,
    label     TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    status    INTEGER NOT NULL,
    duration  INTEGER NOT NULL,
    error     TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (seq, n)
) WITHOUT ROWID;
