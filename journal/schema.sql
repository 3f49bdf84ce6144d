-- tightrope journal, schema version 1. Applied once by Create, in the same
-- transaction as event seq 1.

CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,  -- 1, 2, 3, ... without gaps
    at           TEXT    NOT NULL,     -- RFC3339Nano, UTC
    actor        TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    payload_json TEXT    NOT NULL,     -- canonical, redacted JSON
    prev_hash    TEXT    NOT NULL,     -- hex sha256 of seq-1; 64 zeros for seq 1
    hash         TEXT    NOT NULL      -- hex sha256, see chain.go
);

-- Append-only. Whoever drops these triggers by hand is caught by the chain.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'journal events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'journal events are append-only');
END;

-- Every row that did not make it, whole. batch is the digest of the
-- AddRejects call that wrote the row; a rows_rejected event carries the same
-- digest (rows_sha256), which binds the rows to the chain.
CREATE TABLE rejects (
    id       INTEGER PRIMARY KEY,
    run_seq  INTEGER NOT NULL,         -- last event seq when the rows were written
    step_id  TEXT    NOT NULL,
    tbl      TEXT    NOT NULL,
    key_json TEXT    NOT NULL,
    row_json TEXT    NOT NULL,
    col      TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    detail   TEXT    NOT NULL,
    batch    TEXT    NOT NULL
);

CREATE INDEX rejects_by_table ON rejects (tbl, reason);
CREATE INDEX rejects_by_key ON rejects (step_id, tbl, key_json);

CREATE TRIGGER rejects_no_update BEFORE UPDATE ON rejects
BEGIN
    SELECT RAISE(ABORT, 'journal rejects are append-only');
END;

CREATE TRIGGER rejects_no_delete BEFORE DELETE ON rejects
BEGIN
    SELECT RAISE(ABORT, 'journal rejects are append-only');
END;

PRAGMA application_id = 1953656688; -- 0x74726f70, "trop"
PRAGMA user_version = 1;
