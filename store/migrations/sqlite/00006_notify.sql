-- +goose Up
-- Same columns, indexes and table as the PostgreSQL tree; see there for why
-- each exists. SQLite cannot add a CHECK constraint to an existing table, so
-- "delivered or dead, not both" is kept by the store's statements alone; and
-- the foreign key is on the outbox id alone (the outbox's key here), so the
-- cascade has an index of its own.
ALTER TABLE outbox ADD COLUMN next_attempt_at DATETIME;
ALTER TABLE outbox ADD COLUMN dead_at DATETIME;
ALTER TABLE outbox ADD COLUMN claim_token TEXT;

CREATE INDEX outbox_due ON outbox (COALESCE(next_attempt_at, created_at), id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (dead_at DESC, subscriber_id, id) WHERE dead_at IS NOT NULL;

CREATE TABLE outbox_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id TEXT NOT NULL,
    outbox_id     INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL CHECK (attempt > 0),
    attempted_at  DATETIME NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    duration_ms   INTEGER NOT NULL CHECK (duration_ms >= 0),
    outcome       TEXT NOT NULL CHECK (outcome IN ('DELIVERED', 'RETRY', 'DEAD'))
);
CREATE INDEX outbox_deliveries_message ON outbox_deliveries (subscriber_id, outbox_id, id);
CREATE INDEX outbox_deliveries_outbox ON outbox_deliveries (outbox_id);

-- +goose Down
DROP TABLE outbox_deliveries;
DROP INDEX outbox_dead;
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN claim_token;
ALTER TABLE outbox DROP COLUMN dead_at;
ALTER TABLE outbox DROP COLUMN next_attempt_at;
