-- Finding the replays of a record (missed deliveries not yet replayed).
CREATE INDEX records_replay_of ON records (replay_of) WHERE replay_of != '';
