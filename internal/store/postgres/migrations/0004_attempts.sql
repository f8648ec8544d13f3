-- The delivery attempts of a record: which client got it, in which role, and
-- how it answered, numbered from 1 per record in the order they started.
-- client_id, label and error are bytea: a client sends the first two, and all
-- three are kept byte for byte, as SQLite keeps them. They go with their
-- record when a purge deletes it.
CREATE TABLE attempts (
    seq       bigint  NOT NULL REFERENCES records ON DELETE CASCADE,
    n         integer NOT NULL,
    client_id bytea   NOT NULL,
    label     bytea   NOT NULL,
    role      text    NOT NULL,
    status    integer NOT NULL,
    duration  bigint  NOT NULL,
    error     bytea   NOT NULL,
    at        bigint  NOT NULL,
    PRIMARY KEY (seq, n)
);
