-- +goose Up
-- A purge that proves itself (issue 13, item 5); see the PostgreSQL
-- migration of the same number. SQLite cannot alter a CHECK constraint, so
-- purge_runs and purge_run_counts are rebuilt: the new tables are filled
-- first, the old ones dropped (counts before runs, so no cascade fires),
-- and the new ones renamed, which also renames the reference from counts
-- to runs.
CREATE TABLE purge_runs_v10 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   DATETIME NOT NULL,
    finished_at  DATETIME,
    outcome      TEXT NOT NULL DEFAULT 'RUNNING' CHECK (outcome IN ('RUNNING', 'FINISHED', 'INTERRUPTED', 'FAILED', 'ABORTED')),
    actor        TEXT NOT NULL,
    dry_run      INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    clauses      TEXT NOT NULL DEFAULT '',
    batch_size   INTEGER NOT NULL,
    erased       INTEGER NOT NULL DEFAULT 0,
    skipped_held INTEGER NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    heartbeat_at DATETIME,
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
INSERT INTO purge_runs_v10 (id, started_at, finished_at, outcome, actor, dry_run, clauses, batch_size, erased, skipped_held, created_at)
SELECT id, started_at, finished_at, outcome, actor, dry_run, clauses, batch_size, erased, skipped_held, created_at FROM purge_runs;

CREATE TABLE purge_run_counts_v10 (
    run_id       INTEGER NOT NULL REFERENCES purge_runs_v10 (id) ON DELETE CASCADE,
    clause       TEXT NOT NULL,
    item_type    TEXT NOT NULL CHECK (item_type IN ('HOLDING', 'RECORD', 'REQUEST', 'NOTICE')),
    code         TEXT NOT NULL,
    erased       INTEGER NOT NULL DEFAULT 0,
    skipped_held INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, clause, item_type, code)
);
INSERT INTO purge_run_counts_v10 SELECT run_id, clause, item_type, code, erased, skipped_held FROM purge_run_counts;

DROP TABLE purge_run_counts;
DROP TABLE purge_runs;
ALTER TABLE purge_runs_v10 RENAME TO purge_runs;
ALTER TABLE purge_run_counts_v10 RENAME TO purge_run_counts;
CREATE INDEX purge_runs_finished ON purge_runs (started_at DESC) WHERE finished_at IS NOT NULL;
CREATE INDEX purge_runs_running ON purge_runs (id) WHERE outcome = 'RUNNING';

CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL CHECK (length(hash) = 64)
);
INSERT INTO audit_chain_head (id, seq, hash)
VALUES (1, coalesce((SELECT max(seq) FROM audit_events), 0),
        coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1),
                 '0000000000000000000000000000000000000000000000000000000000000000'));

-- +goose StatementBegin
CREATE TRIGGER audit_events_head AFTER INSERT ON audit_events
BEGIN
    UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head
WHEN NOT (NEW.id = OLD.id AND NEW.seq > OLD.seq)
BEGIN
    SELECT RAISE(ABORT, 'audit_chain_head moves only forward with the chain: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
BEGIN
    SELECT RAISE(ABORT, 'audit_chain_head moves only forward with the chain: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_head;
DROP TRIGGER audit_chain_head_no_delete;
DROP TRIGGER audit_chain_head_forward_only;
DROP TABLE audit_chain_head;

CREATE TABLE purge_runs_v6 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   DATETIME NOT NULL,
    finished_at  DATETIME,
    outcome      TEXT NOT NULL DEFAULT 'RUNNING' CHECK (outcome IN ('RUNNING', 'FINISHED', 'INTERRUPTED', 'FAILED')),
    actor        TEXT NOT NULL,
    dry_run      INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    clauses      TEXT NOT NULL DEFAULT '',
    batch_size   INTEGER NOT NULL,
    erased       INTEGER NOT NULL DEFAULT 0,
    skipped_held INTEGER NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
INSERT INTO purge_runs_v6 (id, started_at, finished_at, outcome, actor, dry_run, clauses, batch_size, erased, skipped_held, created_at)
SELECT id, started_at, finished_at, CASE outcome WHEN 'ABORTED' THEN 'FAILED' ELSE outcome END, actor, dry_run, clauses, batch_size, erased, skipped_held, created_at FROM purge_runs;
CREATE TABLE purge_run_counts_v6 (
    run_id       INTEGER NOT NULL REFERENCES purge_runs_v6 (id) ON DELETE CASCADE,
    clause       TEXT NOT NULL,
    item_type    TEXT NOT NULL CHECK (item_type IN ('HOLDING', 'RECORD')),
    code         TEXT NOT NULL,
    erased       INTEGER NOT NULL DEFAULT 0,
    skipped_held INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, clause, item_type, code)
);
INSERT INTO purge_run_counts_v6 SELECT * FROM purge_run_counts WHERE item_type IN ('HOLDING', 'RECORD');
DROP TABLE purge_run_counts;
DROP TABLE purge_runs;
ALTER TABLE purge_runs_v6 RENAME TO purge_runs;
ALTER TABLE purge_run_counts_v6 RENAME TO purge_run_counts;
CREATE INDEX purge_runs_finished ON purge_runs (started_at DESC) WHERE finished_at IS NOT NULL;
