-- +goose Up
-- Same as the PostgreSQL tree; see there for why each change is made.
-- Transmission requests (법 35조의2), continued: what was sent, documents
-- continued, and refusals by staff.

-- What each transmission carried: one row per record and request, written in
-- the transaction that makes the document carrying it. A later document
-- carries exactly the records in scope no earlier one did, whatever their
-- date (a record fed late with an old date goes in the next one), so nothing
-- is sent twice and nothing is skipped; a period with more records than one
-- document holds continues in the next document. Ids only, no personal data;
-- a row goes with its record (purged) or its request.
CREATE TABLE transmission_sent (
    subscriber_id text NOT NULL,
    request_id    text NOT NULL,
    record_id     INTEGER NOT NULL,
    delivery_id   text NOT NULL,
    PRIMARY KEY (subscriber_id, request_id, record_id),
    FOREIGN KEY (subscriber_id, request_id) REFERENCES transmission_requests (subscriber_id, id) ON DELETE CASCADE,
    -- records' key is id alone here.
    FOREIGN KEY (record_id) REFERENCES records (id) ON DELETE CASCADE
);
-- The records' side of the cascade: a purged record takes its rows along.
CREATE INDEX transmission_sent_record ON transmission_sent (record_id);

-- periods counts the delivery periods begun (the next period's date is
-- starts_at plus that many months); deliveries now counts documents, which
-- are more than periods when a period continued. more_records: the current
-- period has records left for its next document, made at once.
ALTER TABLE transmission_requests ADD COLUMN periods integer NOT NULL DEFAULT 0;
ALTER TABLE transmission_requests ADD COLUMN more_records boolean NOT NULL DEFAULT 0;
-- A refusal by staff (35조의2⑥): when and by whom; reason_code says why.
ALTER TABLE transmission_requests ADD COLUMN refused_at DATETIME;
ALTER TABLE transmission_requests ADD COLUMN refused_by text;
UPDATE transmission_requests SET periods = deliveries;

-- A document's period and its part within the period (from 1).
ALTER TABLE transmission_deliveries ADD COLUMN period integer NOT NULL DEFAULT 1 CHECK (period > 0);
ALTER TABLE transmission_deliveries ADD COLUMN part integer NOT NULL DEFAULT 1 CHECK (part > 0);
UPDATE transmission_deliveries SET period = sequence;

-- Requests still running carried, by the old rule, what was fed before
-- their last document: recorded as sent, so it is not sent again.
INSERT INTO transmission_sent (subscriber_id, request_id, record_id, delivery_id)
SELECT t.subscriber_id, t.id, r.id, d.id
FROM transmission_requests t
JOIN transmission_deliveries d ON d.subscriber_id = t.subscriber_id AND d.request_id = t.id AND d.sequence = t.deliveries
JOIN records r ON r.subscriber_id = t.subscriber_id AND r.created_at <= d.created_at AND t.record_kinds LIKE '%"' || r.kind || '"%'
WHERE t.status = 'ACTIVE' AND t.deliveries > 0;

-- +goose Down
ALTER TABLE transmission_deliveries DROP COLUMN part;
ALTER TABLE transmission_deliveries DROP COLUMN period;
ALTER TABLE transmission_requests DROP COLUMN refused_by;
ALTER TABLE transmission_requests DROP COLUMN refused_at;
ALTER TABLE transmission_requests DROP COLUMN more_records;
ALTER TABLE transmission_requests DROP COLUMN periods;
DROP TABLE transmission_sent;
