-- +goose Up
-- Same tables as the PostgreSQL tree; see there for why each exists.
-- Transmission requests (전송요구, 법 35조의2; 영 42조의2) and the yearly
-- notice of use and provision (이용·제공 내역 통지, 법 20조의2; 영 15조의3):
-- packages transmit/ and usenotice/.

-- The recipients the operator admits: controllers or specialised agencies a
-- subscriber may have their data sent to. The verification secret keys the
-- Standard Webhooks signature of every delivery; it is stored encrypted under
-- the portal's keyring and never shown again. categories is a JSON array of
-- the category and record-kind codes the recipient may receive.
CREATE TABLE transmit_recipients (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    endpoint      text NOT NULL CHECK (endpoint LIKE 'https://%'),
    categories    text NOT NULL,
    status        text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
    secret_cipher BLOB NOT NULL,
    key_id        text NOT NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A subscriber's transmission request. next_delivery_at is when the
-- scheduler makes the next delivery (NULL once none is to come), or while a
-- scheduler holds the request (claim_token) the end of its lease; deliveries
-- counts those made, so the next one's sequence is deliveries + 1 and its
-- date starts_at plus that many months less one.
CREATE TABLE transmission_requests (
    id               text NOT NULL,
    subscriber_id    text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    filed_by         text NOT NULL CHECK (filed_by IN ('SUBSCRIBER', 'GUARDIAN')),
    filed_by_id      text NOT NULL,
    destination      text NOT NULL CHECK (destination IN ('SELF', 'RECIPIENT')),
    recipient_id     text REFERENCES transmit_recipients (id),
    categories       text NOT NULL,
    record_kinds     text NOT NULL,
    schedule         text NOT NULL CHECK (schedule IN ('ONCE', 'MONTHLY')),
    starts_at        DATETIME NOT NULL,
    until            DATETIME,
    expires_at       DATETIME NOT NULL,
    status           text NOT NULL CHECK (status IN ('ACTIVE', 'COMPLETED', 'WITHDRAWN', 'REFUSED', 'EXPIRED')),
    reason_code      text,
    filed_at         DATETIME NOT NULL,
    due_at           DATETIME NOT NULL,
    answered_at      DATETIME,
    next_delivery_at DATETIME,
    deliveries       integer NOT NULL DEFAULT 0,
    claim_token      text,
    withdrawn_at     DATETIME,
    idempotency_key  text NOT NULL,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (subscriber_id, id),
    UNIQUE (id),
    UNIQUE (subscriber_id, idempotency_key),
    CHECK ((destination = 'RECIPIENT') = (recipient_id IS NOT NULL)),
    CHECK (until IS NULL OR until >= starts_at)
);
-- What the scheduler takes next.
CREATE INDEX transmission_requests_next ON transmission_requests (next_delivery_at)
    WHERE status = 'ACTIVE' AND next_delivery_at IS NOT NULL;

-- One delivery of a request: its id is the webhook-id a recipient sees on
-- every attempt. (request_id, sequence) is unique, so a scheduler that runs
-- twice cannot make a period's delivery twice. The payload is the
-- transmission document encrypted; it is removed once the delivery is done
-- with (delivered, failed, cancelled, or a download expired).
CREATE TABLE transmission_deliveries (
    id              text NOT NULL,
    subscriber_id   text NOT NULL,
    request_id      text NOT NULL,
    sequence        integer NOT NULL CHECK (sequence > 0),
    scheduled_for   DATETIME NOT NULL,
    status          text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'CANCELLED', 'READY', 'EXPIRED')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at DATETIME,
    claim_token     text,
    delivered_at    DATETIME,
    failed_at       DATETIME,
    expires_at      DATETIME,
    payload_cipher  BLOB,
    key_id          text,
    items           integer NOT NULL DEFAULT 0,
    records         integer NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (subscriber_id, id),
    UNIQUE (id),
    UNIQUE (request_id, sequence),
    FOREIGN KEY (subscriber_id, request_id) REFERENCES transmission_requests (subscriber_id, id) ON DELETE CASCADE,
    CHECK ((payload_cipher IS NULL) = (key_id IS NULL))
);
CREATE INDEX transmission_deliveries_due ON transmission_deliveries (COALESCE(next_attempt_at, created_at), id)
    WHERE status = 'PENDING';
CREATE INDEX transmission_deliveries_request ON transmission_deliveries (subscriber_id, request_id, sequence);
CREATE INDEX transmission_deliveries_expiry ON transmission_deliveries (expires_at) WHERE status = 'READY';

-- One row per attempt at a delivery, as outbox_deliveries: never the payload
-- or the recipient's body.
CREATE TABLE transmission_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id text NOT NULL,
    delivery_id   text NOT NULL,
    attempt       integer NOT NULL CHECK (attempt > 0),
    attempted_at  DATETIME NOT NULL,
    status_code   integer,
    error         text,
    duration_ms   bigint NOT NULL CHECK (duration_ms >= 0),
    outcome       text NOT NULL CHECK (outcome IN ('DELIVERED', 'RETRY', 'DEAD')),
    FOREIGN KEY (subscriber_id, delivery_id) REFERENCES transmission_deliveries (subscriber_id, id) ON DELETE CASCADE
);
CREATE INDEX transmission_attempts_delivery ON transmission_attempts (subscriber_id, delivery_id, id);

-- The yearly notice: one row per subscriber and year, whatever the run did
-- (queued to the outbox, or skipped and why), so a run is idempotent and a
-- resumed run skips who it reached. content is the notice without personal
-- values (codes, labels, counts, recipient names).
CREATE TABLE usage_notices (
    subscriber_id text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    year          integer NOT NULL,
    status        text NOT NULL CHECK (status IN ('QUEUED', 'NOTIFIED', 'FAILED', 'SKIPPED_NO_CONTACT', 'SKIPPED_STATUTE_ONLY')),
    outbox_id     bigint,
    content       text NOT NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (subscriber_id, year)
);
CREATE INDEX usage_notices_year ON usage_notices (year, status);

-- One notice run per year at a time: the lease keeps replicas and
-- concurrent commands from running the same year at once; cursor is the
-- last subscriber id a committed batch reached, so a stopped run resumes.
CREATE TABLE usage_notice_runs (
    year        integer PRIMARY KEY,
    cursor      text NOT NULL DEFAULT '',
    lease_token text,
    lease_until DATETIME,
    started_at  DATETIME NOT NULL,
    finished_at DATETIME
);

-- +goose Down
DROP TABLE usage_notice_runs;
DROP TABLE usage_notices;
DROP TABLE transmission_attempts;
DROP TABLE transmission_deliveries;
DROP TABLE transmission_requests;
DROP TABLE transmit_recipients;
