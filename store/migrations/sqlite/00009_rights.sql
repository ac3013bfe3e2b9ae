-- +goose Up
-- Same columns as the PostgreSQL tree; see there for why each exists.
-- SQLite cannot add a table constraint to an existing table: the rule that
-- staff file only with a recorded verification is kept by the requests
-- domain alone here.
ALTER TABLE requests ADD COLUMN verification_method text
    CHECK (verification_method IN ('CALLBACK', 'ID_AT_COUNTER', 'POWER_OF_ATTORNEY', 'GUARDIAN'));
ALTER TABLE requests ADD COLUMN verification_ref text;
ALTER TABLE requests ADD COLUMN approved_by text;
ALTER TABLE requests ADD COLUMN approved_at DATETIME;
ALTER TABLE requests ADD COLUMN legal_ground text;
ALTER TABLE requests ADD COLUMN correction_category text;
ALTER TABLE requests ADD COLUMN correction_cipher BLOB;
ALTER TABLE requests ADD COLUMN correction_key_id text;
ALTER TABLE requests ADD COLUMN suspended_purposes text;
ALTER TABLE requests ADD COLUMN lifted_at DATETIME;
CREATE INDEX requests_open_type ON requests (type, subscriber_id) WHERE status IN ('SUBMITTED', 'IN_REVIEW');

-- +goose Down
DROP INDEX requests_open_type;
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
