-- A request body larger than bodyPartSize (one that streamed through the relay
-- and was captured up to the record cap) is stored in parts, in order, so that
-- writing it never binds, and so never copies, the whole body at once.
CREATE TABLE request_body_parts (
    seq  INTEGER NOT NULL REFERENCES records (seq) ON DELETE CASCADE,
    part INTEGER NOT NULL,
    data BLOB    NOT NULL,
    PRIMARY KEY (seq, part)
);
