-- +goose Up
-- Same tables as the PostgreSQL tree; see there for why each exists.
ALTER TABLE holdings ADD COLUMN purge_clause TEXT NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN purge_clause TEXT NOT NULL DEFAULT '';

DROP INDEX holdings_purge;
DROP INDEX records_purge;
CREATE INDEX holdings_due ON holdings (purge_after, subscriber_id, id) WHERE purge_after IS NOT NULL;
CREATE INDEX records_due ON records (purge_after, subscriber_id, id) WHERE purge_after IS NOT NULL;

CREATE TABLE holds (
    id            TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    reason        TEXT NOT NULL CHECK (reason IN ('DISPUTE', 'DELETION_REQUEST', 'UNPAID_FEES', 'OVERPAID_FEES', 'FEE_DISPUTE', 'LEGAL')),
    all_items     INTEGER NOT NULL CHECK (all_items IN (0, 1)),
    source_ref    TEXT NOT NULL,
    placed_by     TEXT NOT NULL,
    placed_at     DATETIME NOT NULL,
    released_at   DATETIME,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (released_at IS NULL OR released_at >= placed_at)
);
CREATE INDEX holds_active ON holds (subscriber_id) WHERE released_at IS NULL;
CREATE INDEX holds_active_all ON holds (subscriber_id) WHERE all_items AND released_at IS NULL;
CREATE INDEX holds_source ON holds (source_ref);

CREATE TABLE hold_items (
    hold_id       TEXT NOT NULL REFERENCES holds (id) ON DELETE CASCADE,
    subscriber_id TEXT NOT NULL,
    holding_id    TEXT,
    record_id     INTEGER,
    CHECK ((holding_id IS NULL) <> (record_id IS NULL))
);
CREATE UNIQUE INDEX hold_items_holding ON hold_items (subscriber_id, holding_id, hold_id) WHERE holding_id IS NOT NULL;
CREATE UNIQUE INDEX hold_items_record ON hold_items (subscriber_id, record_id, hold_id) WHERE record_id IS NOT NULL;
CREATE INDEX hold_items_hold ON hold_items (hold_id);

CREATE TABLE purge_runs (
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
CREATE INDEX purge_runs_finished ON purge_runs (started_at DESC) WHERE finished_at IS NOT NULL;

CREATE TABLE purge_run_counts (
    run_id       INTEGER NOT NULL REFERENCES purge_runs (id) ON DELETE CASCADE,
    clause       TEXT NOT NULL,
    item_type    TEXT NOT NULL CHECK (item_type IN ('HOLDING', 'RECORD')),
    code         TEXT NOT NULL,
    erased       INTEGER NOT NULL DEFAULT 0,
    skipped_held INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, clause, item_type, code)
);

CREATE TABLE erasures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id TEXT NOT NULL,
    run_id        INTEGER NOT NULL,
    item_type     TEXT NOT NULL CHECK (item_type IN ('HOLDING', 'RECORD')),
    code          TEXT NOT NULL,
    clause        TEXT NOT NULL,
    count         INTEGER NOT NULL CHECK (count > 0),
    erased_at     DATETIME NOT NULL
);
CREATE INDEX erasures_subscriber ON erasures (subscriber_id, erased_at DESC);
CREATE INDEX erasures_run ON erasures (run_id);

-- +goose Down
DROP TABLE erasures;
DROP TABLE purge_run_counts;
DROP TABLE purge_runs;
DROP TABLE hold_items;
DROP TABLE holds;
DROP INDEX records_due;
DROP INDEX holdings_due;
CREATE INDEX holdings_purge ON holdings (purge_after) WHERE purge_after IS NOT NULL;
CREATE INDEX records_purge ON records (purge_after) WHERE purge_after IS NOT NULL;
ALTER TABLE records DROP COLUMN purge_clause;
ALTER TABLE holdings DROP COLUMN purge_clause;
