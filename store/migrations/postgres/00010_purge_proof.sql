-- +goose Up
-- A purge that proves itself (issue 13, item 5).
--
-- A running purge renews heartbeat_at (the database's clock) while its
-- process lives; a RUNNING run whose heartbeat is older than the lease
-- (purge.LeaseTTL) belongs to a process that died, and the next run marks
-- it ABORTED, with the tally its recorded erasures prove.
ALTER TABLE purge_runs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE purge_runs DROP CONSTRAINT purge_runs_outcome_check;
ALTER TABLE purge_runs ADD CONSTRAINT purge_runs_outcome_check
    CHECK (outcome IN ('RUNNING', 'FINISHED', 'INTERRUPTED', 'FAILED', 'ABORTED'));
CREATE INDEX purge_runs_running ON purge_runs (id) WHERE outcome = 'RUNNING';

-- A run's tally also counts the copies it erased: request texts and
-- requests (REQUEST) and outbox notices (NOTICE).
ALTER TABLE purge_run_counts DROP CONSTRAINT purge_run_counts_item_type_check;
ALTER TABLE purge_run_counts ADD CONSTRAINT purge_run_counts_item_type_check
    CHECK (item_type IN ('HOLDING', 'RECORD', 'REQUEST', 'NOTICE'));

-- The chain's head: the newest event ever appended, kept by a trigger on
-- every insert and moving only forward. Pruning never removes the newest
-- event, so a stored chain that ends before the head was cut at the tail
-- or emptied, and verification says so.
CREATE TABLE audit_chain_head (
    id   smallint PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL CHECK (seq >= 0),
    hash text NOT NULL CHECK (length(hash) = 64)
);
INSERT INTO audit_chain_head (id, seq, hash)
SELECT 1, coalesce(max(seq), 0),
       coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), repeat('0', 64))
FROM audit_events;

-- +goose StatementBegin
CREATE FUNCTION audit_chain_head_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_chain_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.seq > OLD.seq THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_chain_head moves only forward with the chain: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_head AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_follow();
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE OR DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_guard();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_guard();

-- +goose Down
DROP TRIGGER audit_events_head ON audit_events;
DROP TABLE audit_chain_head;
DROP FUNCTION audit_chain_head_guard();
DROP FUNCTION audit_chain_head_follow();
DELETE FROM purge_run_counts WHERE item_type IN ('REQUEST', 'NOTICE');
ALTER TABLE purge_run_counts DROP CONSTRAINT purge_run_counts_item_type_check;
ALTER TABLE purge_run_counts ADD CONSTRAINT purge_run_counts_item_type_check CHECK (item_type IN ('HOLDING', 'RECORD'));
DROP INDEX purge_runs_running;
UPDATE purge_runs SET outcome = 'FAILED' WHERE outcome = 'ABORTED';
ALTER TABLE purge_runs DROP CONSTRAINT purge_runs_outcome_check;
ALTER TABLE purge_runs ADD CONSTRAINT purge_runs_outcome_check CHECK (outcome IN ('RUNNING', 'FINISHED', 'INTERRUPTED', 'FAILED'));
ALTER TABLE purge_runs DROP COLUMN heartbeat_at;
