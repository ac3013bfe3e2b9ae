-- +goose Up
-- Same tables and guards as the PostgreSQL tree; see there for why each
-- exists. SQLite has no stored functions: pruning runs the same steps from
-- the store (pruneAuditPortable), and the triggers hold it to them.
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY CHECK (seq > 0),
    occurred_at DATETIME NOT NULL,
    actor_id    TEXT NOT NULL CHECK (actor_id <> ''),
    actor_roles TEXT NOT NULL,
    acting_for  TEXT,
    action      TEXT NOT NULL,
    subject_id  TEXT,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash        TEXT NOT NULL CHECK (length(hash) = 64)
);
CREATE INDEX audit_events_subject ON audit_events (subject_id, seq DESC) WHERE subject_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq DESC);
CREATE INDEX audit_events_action ON audit_events (action, seq DESC);
CREATE INDEX audit_events_time ON audit_events (occurred_at);

CREATE TABLE audit_chain_anchor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seq       INTEGER NOT NULL CHECK (seq > 0),
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    moved_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO audit_chain_anchor (id, seq, prev_hash)
VALUES (1, 1, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE TRIGGER audit_events_extend BEFORE INSERT ON audit_events
WHEN NEW.seq IS NOT (
        SELECT coalesce((SELECT max(seq) FROM audit_events), (SELECT seq - 1 FROM audit_chain_anchor WHERE id = 1)) + 1)
  OR NEW.prev_hash IS NOT coalesce(
        (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1),
        (SELECT prev_hash FROM audit_chain_anchor WHERE id = 1))
BEGIN
    SELECT RAISE(ABORT, 'audit event does not extend the chain');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq >= (SELECT seq FROM audit_chain_anchor WHERE id = 1)
  OR OLD.occurred_at >= datetime('now', '-2 years')
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_chain_anchor_forward_only BEFORE UPDATE ON audit_chain_anchor
WHEN NOT (
        NEW.id = OLD.id
    AND NEW.seq > OLD.seq
    AND EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND prev_hash = NEW.prev_hash)
    AND NOT EXISTS (SELECT 1 FROM audit_events
                    WHERE seq >= OLD.seq AND seq < NEW.seq AND occurred_at >= datetime('now', '-2 years')))
BEGIN
    SELECT RAISE(ABORT, 'audit_chain_anchor moves only forward by retention pruning: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_chain_anchor_no_delete BEFORE DELETE ON audit_chain_anchor
BEGIN
    SELECT RAISE(ABORT, 'audit_chain_anchor moves only forward by retention pruning: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_chain_anchor;
DROP TABLE audit_events;
