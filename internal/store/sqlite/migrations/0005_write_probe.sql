-- A scratch row the health probe writes and deletes in one transaction (see
-- DB.Probe): it needs new pages like a delivery does, and leaves nothing.
CREATE TABLE write_probe (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    data BLOB NOT NULL
);
