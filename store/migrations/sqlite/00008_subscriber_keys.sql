-- +goose Up
-- Crypto-shredding: see the PostgreSQL migration of the same version. The
-- embedded store has no schemas; the wrapped keys sit in their own table of
-- the same file, so a copy of the file is a copy of the keys: the embedded
-- store is for development, and its file is not backed up.
CREATE TABLE subscriber_keys (
    subscriber_id TEXT PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    master_key_id TEXT NOT NULL,
    wrapped       BLOB NOT NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    rewrapped_at  DATETIME
);
CREATE INDEX subscriber_keys_master ON subscriber_keys (master_key_id);

ALTER TABLE records ADD COLUMN summary_cipher BLOB;
ALTER TABLE subscribers ADD COLUMN birth_date_cipher BLOB;

-- The consent history goes once the subscriber is erased, and only then.
DROP TRIGGER consent_events_no_delete;
-- +goose StatementBegin
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
WHEN EXISTS (SELECT 1 FROM subscribers WHERE id = OLD.subscriber_id)
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- The purge looks for terminated subscribers with nothing left to erase
-- them too (package purge, subscribers.go).
CREATE INDEX subscribers_terminated ON subscribers (id) WHERE status = 'TERMINATED';

-- +goose Down
DROP INDEX subscribers_terminated;
DROP TRIGGER consent_events_no_delete;
-- +goose StatementBegin
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only: DELETE refused');
END;
-- +goose StatementEnd
ALTER TABLE subscribers DROP COLUMN birth_date_cipher;
ALTER TABLE records DROP COLUMN summary_cipher;
DROP TABLE subscriber_keys;
