-- +goose Up
-- Statute-kept data stored apart (법 21③: data kept only because another
-- law requires it is stored separately from other personal data). Once
-- only statute-only clauses keep an item (state RETAINED_BY_STATUTE), the
-- purge moves it out of holdings and records into the same tables of the
-- schema portal_statute (package purge, statute.go), and erases it from
-- there when its clause ends.
--
-- statute_from is when only statute-only clauses keep the item: the end of
-- its last clause that is not statute-only, written by the reschedule with
-- purge_after; NULL while that end is open, or when no statute clause
-- outlasts it (the item goes straight to erasure). Rows scheduled before
-- this migration get it on their subscriber's next reschedule.
ALTER TABLE holdings ADD COLUMN statute_from timestamptz;
ALTER TABLE records ADD COLUMN statute_from timestamptz;
-- The move walks the rows that turned statute-kept, as the purge walks due ones.
CREATE INDEX holdings_statute ON holdings (statute_from, subscriber_id, id) WHERE statute_from IS NOT NULL;
CREATE INDEX records_statute ON records (statute_from, subscriber_id, id) WHERE statute_from IS NOT NULL;

-- A schema of its own, so access is granted apart: nobody but the portal's
-- own role (which owns it) reaches it. Roles of agents' tools, marketing,
-- notices or analytics get no grant here; an auditor may be granted USAGE
-- on the schema and SELECT on its tables (README, "Statute-kept data").
CREATE SCHEMA portal_statute;
REVOKE ALL ON SCHEMA portal_statute FROM PUBLIC;

-- Same columns, checks and indexes as the tables in use (the move copies
-- rows column by column); ids keep their values, so holds that link an
-- item keep covering it. No identity: records get their ids in records.
CREATE TABLE portal_statute.holdings (
    LIKE holdings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES,
    FOREIGN KEY (subscriber_id) REFERENCES subscribers (id) ON DELETE CASCADE
);
CREATE TABLE portal_statute.records (
    LIKE records INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES,
    FOREIGN KEY (subscriber_id) REFERENCES subscribers (id) ON DELETE CASCADE
);
REVOKE ALL ON portal_statute.holdings, portal_statute.records FROM PUBLIC;

-- +goose Down
-- Rows kept apart return to the tables in use before the schema goes.
INSERT INTO holdings (id, subscriber_id, category, value_text, value_cipher, key_id, source, collected_at, purge_after, purge_clause, created_at, updated_at)
SELECT id, subscriber_id, category, value_text, value_cipher, key_id, source, collected_at, purge_after, purge_clause, created_at, updated_at
  FROM portal_statute.holdings ON CONFLICT DO NOTHING;
INSERT INTO records (id, subscriber_id, kind, occurred_at, external_id, summary, summary_cipher, purge_after, purge_clause, created_at)
SELECT id, subscriber_id, kind, occurred_at, external_id, summary, summary_cipher, purge_after, purge_clause, created_at
  FROM portal_statute.records ON CONFLICT DO NOTHING;
DROP TABLE portal_statute.records;
DROP TABLE portal_statute.holdings;
DROP SCHEMA portal_statute;
DROP INDEX records_statute;
DROP INDEX holdings_statute;
ALTER TABLE records DROP COLUMN statute_from;
ALTER TABLE holdings DROP COLUMN statute_from;
