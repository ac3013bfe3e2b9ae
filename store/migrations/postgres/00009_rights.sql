-- +goose Up
-- Rights as the law writes them (LAW.md "Rights and deadlines", issue 14):
-- how staff verified the subscriber's identity or their own authority
-- before a request filed by phone or at a counter counts (법 38; 영 46); the
-- second staff member who approved a staff-filed deletion before it takes
-- effect; the catalog clause a refusal names (법 36① 단서, 37②); the value a
-- correction proposes (법 36), sealed like any sensitive value; the
-- purposes a suspension stops (법 37) and when it was lifted.
ALTER TABLE requests ADD COLUMN verification_method text
    CHECK (verification_method IN ('CALLBACK', 'ID_AT_COUNTER', 'POWER_OF_ATTORNEY', 'GUARDIAN'));
ALTER TABLE requests ADD COLUMN verification_ref text;
ALTER TABLE requests ADD COLUMN approved_by text;
ALTER TABLE requests ADD COLUMN approved_at timestamptz;
ALTER TABLE requests ADD COLUMN legal_ground text;
ALTER TABLE requests ADD COLUMN correction_category text;
ALTER TABLE requests ADD COLUMN correction_cipher bytea;
ALTER TABLE requests ADD COLUMN correction_key_id text;
ALTER TABLE requests ADD COLUMN suspended_purposes text;
ALTER TABLE requests ADD COLUMN lifted_at timestamptz;
-- Staff file for a subscriber only with a recorded verification.
ALTER TABLE requests ADD CONSTRAINT requests_agent_verified
    CHECK (filed_by_kind <> 'AGENT' OR (verification_method IS NOT NULL AND verification_ref IS NOT NULL)) NOT VALID;
-- The operator's systems read open correction tasks and active suspensions.
CREATE INDEX requests_open_type ON requests (type, subscriber_id) WHERE status IN ('SUBMITTED', 'IN_REVIEW');

-- +goose Down
DROP INDEX requests_open_type;
ALTER TABLE requests DROP CONSTRAINT requests_agent_verified;
ALTER TABLE requests DROP COLUMN lifted_at;
ALTER TABLE requests DROP COLUMN suspended_purposes;
ALTER TABLE requests DROP COLUMN correction_key_id;
ALTER TABLE requests DROP COLUMN correction_cipher;
ALTER TABLE requests DROP COLUMN correction_category;
ALTER TABLE requests DROP COLUMN legal_ground;
ALTER TABLE requests DROP COLUMN approved_at;
ALTER TABLE requests DROP COLUMN approved_by;
ALTER TABLE requests DROP COLUMN verification_ref;
ALTER TABLE requests DROP COLUMN verification_method;
