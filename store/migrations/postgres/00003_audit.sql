-- +goose Up
-- The audit trail (DESIGN.md, Audit event; LAW.md, Security): every staff
-- read of a subscriber's data and every change, kept 2 years. Events form a
-- hash chain computed by the application (package audit): seq is gap-free,
-- and hash covers every other column with prev_hash, the hash of the event
-- before. The triggers below make the table append-only for anyone who
-- cannot drop them; the chain makes tampering by anyone who can visible.
CREATE TABLE audit_events (
    seq         bigint PRIMARY KEY CHECK (seq > 0),
    occurred_at timestamptz NOT NULL,
    actor_id    text NOT NULL CHECK (actor_id <> ''),
    actor_roles text NOT NULL,
    acting_for  text,
    action      text NOT NULL,
    subject_id  text,
    target_type text NOT NULL,
    target_id   text NOT NULL,
    request_id  text NOT NULL,
    client_addr text NOT NULL,
    -- text, not jsonb: the hash covers the bytes written, which jsonb
    -- would reorder.
    details     text NOT NULL,
    prev_hash   text NOT NULL CHECK (length(prev_hash) = 64),
    hash        text NOT NULL CHECK (length(hash) = 64)
);
-- Whose data a staff account read, and what one account did (breach
-- notification, LAW.md), newest first; by action; by time, for pruning and
-- period filters.
CREATE INDEX audit_events_subject ON audit_events (subject_id, seq DESC) WHERE subject_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq DESC);
CREATE INDEX audit_events_action ON audit_events (action, seq DESC);
CREATE INDEX audit_events_time ON audit_events (occurred_at);

-- Where verification starts: the first retained event (seq) and the
-- prev_hash it must carry. Seeded with the genesis link; only retention
-- pruning moves it, forward, in the transaction that deletes what lies
-- before it.
CREATE TABLE audit_chain_anchor (
    id        smallint PRIMARY KEY CHECK (id = 1),
    seq       bigint NOT NULL CHECK (seq > 0),
    prev_hash text NOT NULL CHECK (length(prev_hash) = 64),
    moved_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_chain_anchor (id, seq, prev_hash) VALUES (1, 1, repeat('0', 64));

-- +goose StatementBegin
-- A new event must extend the chain: the next seq, linked to the tail.
CREATE FUNCTION audit_events_extend() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tail_seq  bigint;
    tail_hash text;
BEGIN
    SELECT seq, hash INTO tail_seq, tail_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
    IF tail_seq IS NULL THEN
        SELECT seq - 1, prev_hash INTO tail_seq, tail_hash FROM audit_chain_anchor WHERE id = 1;
    END IF;
    IF NEW.seq <> tail_seq + 1 OR NEW.prev_hash <> tail_hash THEN
        RAISE EXCEPTION 'audit event % does not extend the chain at %', NEW.seq, tail_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Events are never updated, and deleted only when retention pruning has
-- moved the anchor past them and they are older than 2 years.
CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.seq < (SELECT seq FROM audit_chain_anchor WHERE id = 1)
       AND OLD.occurred_at < now() - interval '2 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- The anchor only moves forward, onto a stored event and the prev_hash it
-- carries, past events all older than 2 years; it is never deleted.
CREATE FUNCTION audit_chain_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id
       AND NEW.seq > OLD.seq
       AND EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND prev_hash = NEW.prev_hash)
       AND NOT EXISTS (SELECT 1 FROM audit_events
                       WHERE seq >= OLD.seq AND seq < NEW.seq AND occurred_at >= now() - interval '2 years') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_chain_anchor moves only forward by retention pruning: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_extend BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_extend();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_chain_anchor_forward_only BEFORE UPDATE OR DELETE ON audit_chain_anchor
    FOR EACH ROW EXECUTE FUNCTION audit_chain_anchor_guard();
CREATE TRIGGER audit_chain_anchor_no_truncate BEFORE TRUNCATE ON audit_chain_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_anchor_guard();

-- +goose StatementBegin
-- Retention pruning (2 years, LAW.md): under the appenders' lock, move the
-- anchor to the first event at or after cutoff — or to the newest event,
-- which is always kept — and delete everything before it. Returns how many
-- events it deleted.
CREATE FUNCTION audit_prune(cutoff timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    anchor_seq bigint;
    keep_seq   bigint;
    keep_prev  text;
    removed    bigint;
BEGIN
    IF cutoff > now() - interval '2 years' THEN
        RAISE EXCEPTION 'audit events are kept 2 years: cannot prune up to %', cutoff
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(418581342580);
    SELECT seq INTO anchor_seq FROM audit_chain_anchor WHERE id = 1 FOR UPDATE;
    SELECT seq, prev_hash INTO keep_seq, keep_prev FROM audit_events
        WHERE seq >= anchor_seq AND occurred_at >= cutoff ORDER BY seq LIMIT 1;
    IF keep_seq IS NULL THEN
        SELECT seq, prev_hash INTO keep_seq, keep_prev FROM audit_events ORDER BY seq DESC LIMIT 1;
    END IF;
    IF keep_seq IS NULL OR keep_seq <= anchor_seq THEN
        RETURN 0;
    END IF;
    UPDATE audit_chain_anchor SET seq = keep_seq, prev_hash = keep_prev, moved_at = now() WHERE id = 1;
    DELETE FROM audit_events WHERE seq < keep_seq;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_chain_anchor;
DROP TABLE audit_events;
DROP FUNCTION audit_prune(timestamptz);
DROP FUNCTION audit_chain_anchor_guard();
DROP FUNCTION audit_events_guard();
DROP FUNCTION audit_events_extend();
