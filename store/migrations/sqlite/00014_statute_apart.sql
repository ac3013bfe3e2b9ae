-- +goose Up
-- Statute-kept data stored apart: see the PostgreSQL migration of the same
-- version. The embedded store has no schemas or grants: the rows kept apart
-- sit in tables of their own, which only the subscriber's own view, the
-- purge and audits read.
ALTER TABLE holdings ADD COLUMN statute_from DATETIME;
ALTER TABLE records ADD COLUMN statute_from DATETIME;
CREATE INDEX holdings_statute ON holdings (statute_from, subscriber_id, id) WHERE statute_from IS NOT NULL;
CREATE INDEX records_statute ON records (statute_from, subscriber_id, id) WHERE statute_from IS NOT NULL;

CREATE TABLE statute_holdings (
    id            TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    category      TEXT NOT NULL,
    value_text    TEXT,
    value_cipher  BLOB,
    key_id        TEXT,
    source        TEXT NOT NULL,
    collected_at  DATETIME NOT NULL,
    purge_after   DATETIME,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    purge_clause  TEXT NOT NULL DEFAULT '',
    statute_from  DATETIME,
    CHECK ((value_cipher IS NULL OR length(value_cipher) = 0) = (key_id IS NULL))
);
CREATE INDEX statute_holdings_subscriber_category ON statute_holdings (subscriber_id, category);
CREATE INDEX statute_holdings_due ON statute_holdings (purge_after, subscriber_id, id) WHERE purge_after IS NOT NULL;

-- No AUTOINCREMENT: a record keeps the id it got in records.
CREATE TABLE statute_records (
    id             INTEGER PRIMARY KEY,
    subscriber_id  TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    occurred_at    DATETIME NOT NULL,
    external_id    TEXT NOT NULL,
    summary        TEXT NOT NULL DEFAULT '',
    purge_after    DATETIME,
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    purge_clause   TEXT NOT NULL DEFAULT '',
    summary_cipher BLOB,
    statute_from   DATETIME,
    UNIQUE (subscriber_id, kind, external_id)
);
CREATE INDEX statute_records_subscriber_time ON statute_records (subscriber_id, occurred_at DESC, id DESC);
CREATE INDEX statute_records_subscriber_kind_time ON statute_records (subscriber_id, kind, occurred_at DESC, id DESC);
CREATE INDEX statute_records_due ON statute_records (purge_after, subscriber_id, id) WHERE purge_after IS NOT NULL;

-- +goose Down
INSERT OR IGNORE INTO holdings (id, subscriber_id, category, value_text, value_cipher, key_id, source, collected_at, purge_after, purge_clause, created_at, updated_at)
SELECT id, subscriber_id, category, value_text, value_cipher, key_id, source, collected_at, purge_after, purge_clause, created_at, updated_at FROM statute_holdings;
INSERT OR IGNORE INTO records (id, subscriber_id, kind, occurred_at, external_id, summary, summary_cipher, purge_after, purge_clause, created_at)
SELECT id, subscriber_id, kind, occurred_at, external_id, summary, summary_cipher, purge_after, purge_clause, created_at FROM statute_records;
DROP TABLE statute_records;
DROP TABLE statute_holdings;
DROP INDEX records_statute;
DROP INDEX holdings_statute;
ALTER TABLE records DROP COLUMN statute_from;
ALTER TABLE holdings DROP COLUMN statute_from;
