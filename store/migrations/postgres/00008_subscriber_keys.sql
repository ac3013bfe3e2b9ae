-- +goose Up
-- Crypto-shredding (LAW.md "Security", 법 21①, 영 16): every personal value
-- is sealed with its subscriber's own data key, and the data key is stored
-- only wrapped by a master key (PORTAL_ENCRYPTION_KEY). Erasing the
-- subscriber deletes the wrapped key in the transaction that deletes the
-- rows, after which no copy of a ciphertext (a lingering page, the WAL, a
-- data backup) can be opened.
--
-- The wrapped keys live apart, in their own schema, because a copy of a
-- wrapped key in a backup would open again with the master key: ordinary
-- data backups exclude this schema (pg_dump --exclude-schema=portal_keys),
-- and the key store is backed up on its own, kept no longer than the
-- window after which an erasure must be final (README, "Backups"). Nobody
-- but the portal's own role reaches it.
CREATE SCHEMA portal_keys;
REVOKE ALL ON SCHEMA portal_keys FROM PUBLIC;

CREATE TABLE portal_keys.subscriber_keys (
    subscriber_id text PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    -- The master key that wraps it; a rewrap moves it to the primary one.
    master_key_id text NOT NULL,
    wrapped       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    rewrapped_at  timestamptz
);
REVOKE ALL ON portal_keys.subscriber_keys FROM PUBLIC;
-- The rewrap walks the keys not yet under the primary master key.
CREATE INDEX subscriber_keys_master ON portal_keys.subscriber_keys (master_key_id);

-- Record summaries and the subscriber's birth date are personal values
-- too: sealed with the data key. The plain columns stay for rows written
-- before this migration (read as they are until rewritten).
ALTER TABLE records ADD COLUMN summary_cipher bytea;
ALTER TABLE subscribers ADD COLUMN birth_date_cipher bytea;

-- The consent history outlives the subscriber row while it proves the
-- consents (package purge, consentProof); once the subscriber is erased
-- it goes too, and only then: a DELETE is refused while the subscriber
-- row exists.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM subscribers WHERE id = OLD.subscriber_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd

-- The purge looks for terminated subscribers with nothing left to erase
-- them too (package purge, subscribers.go).
CREATE INDEX subscribers_terminated ON subscribers (id) WHERE status = 'TERMINATED';

-- +goose Down
DROP INDEX subscribers_terminated;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
-- +goose StatementEnd
ALTER TABLE subscribers DROP COLUMN birth_date_cipher;
ALTER TABLE records DROP COLUMN summary_cipher;
DROP TABLE portal_keys.subscriber_keys;
DROP SCHEMA portal_keys;
