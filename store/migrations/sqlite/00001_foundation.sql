-- +goose Up
-- Same tables as the PostgreSQL tree; see there for why each exists.
CREATE TABLE policy_versions (
    version   TEXT PRIMARY KEY,
    hash      TEXT NOT NULL,
    source    TEXT NOT NULL,
    loaded_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE subscribers (
    id            TEXT PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED', 'TERMINATED')),
    signed_up_at  DATETIME NOT NULL,
    terminated_at DATETIME,
    birth_date    TEXT,
    guardian_id   TEXT,
    billing_state TEXT NOT NULL DEFAULT 'SETTLED' CHECK (billing_state IN ('SETTLED', 'UNPAID', 'OVERPAID')),
    billing_since DATETIME,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (terminated_at IS NULL OR terminated_at >= signed_up_at)
);
CREATE INDEX subscribers_guardian ON subscribers (guardian_id) WHERE guardian_id IS NOT NULL;

CREATE TABLE holdings (
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
    -- The SQLite driver writes a nil []byte as an empty blob, not NULL.
    CHECK ((value_cipher IS NULL OR length(value_cipher) = 0) = (key_id IS NULL))
);
CREATE INDEX holdings_subscriber_category ON holdings (subscriber_id, category);
CREATE INDEX holdings_purge ON holdings (purge_after) WHERE purge_after IS NOT NULL;

CREATE TABLE records (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    occurred_at   DATETIME NOT NULL,
    external_id   TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    purge_after   DATETIME,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (subscriber_id, kind, external_id)
);
CREATE INDEX records_subscriber_time ON records (subscriber_id, occurred_at DESC, id DESC);
CREATE INDEX records_subscriber_kind_time ON records (subscriber_id, kind, occurred_at DESC, id DESC);
CREATE INDEX records_purge ON records (purge_after) WHERE purge_after IS NOT NULL;

CREATE TABLE fee_issues (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('UNPAID_FEES', 'OVERPAID_FEES', 'FEE_DISPUTE')),
    since         DATETIME NOT NULL,
    resolved_at   DATETIME,
    source_ref    TEXT,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (resolved_at IS NULL OR resolved_at >= since)
);
CREATE INDEX fee_issues_subscriber ON fee_issues (subscriber_id);

-- +goose Down
DROP TABLE fee_issues;
DROP TABLE records;
DROP TABLE holdings;
DROP TABLE subscribers;
DROP TABLE policy_versions;
