-- +goose Up
-- Same tables as the PostgreSQL tree; see there for why each exists.
-- Data-subject requests (DESIGN.md "Request", LAW.md "Rights and
-- deadlines"): deletion, dispute, access, correction, suspension; their
-- events (what the subscriber reads as the request's history), comments,
-- per-item outcomes and access exports.
CREATE TABLE requests (
    id               text NOT NULL,
    subscriber_id    text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    type             text NOT NULL CHECK (type IN ('DELETION', 'DISPUTE', 'ACCESS', 'CORRECTION', 'SUSPENSION')),
    status           text NOT NULL CHECK (status IN ('SUBMITTED', 'IN_REVIEW', 'RESOLVED', 'WITHDRAWN')),
    resolution       text CHECK (resolution IN ('APPROVED', 'PARTIALLY_APPROVED', 'REJECTED')),
    reason_code      text,
    resolution_text  text,
    how_to_object    text,
    filed_by_kind    text NOT NULL CHECK (filed_by_kind IN ('SUBSCRIBER', 'GUARDIAN', 'AGENT')),
    filed_by_id      text NOT NULL,
    via              text NOT NULL,
    scope            text NOT NULL,
    fee_related      BOOLEAN NOT NULL DEFAULT false,
    reason           text NOT NULL,
    idempotency_key  text NOT NULL,
    body_digest      text NOT NULL,
    filed_at         DATETIME NOT NULL,
    due_at           DATETIME NOT NULL,
    extended_at      DATETIME,
    extension_reason text,
    assignee_id      text,
    resolved_at      DATETIME,
    version          integer NOT NULL DEFAULT 1,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (subscriber_id, id),
    UNIQUE (id),
    UNIQUE (subscriber_id, idempotency_key),
    CHECK ((status = 'RESOLVED') = (resolution IS NOT NULL))
);
-- The agent desk: open requests, oldest due first, by assignee.
CREATE INDEX requests_queue ON requests (due_at, id) WHERE status IN ('SUBMITTED', 'IN_REVIEW');
CREATE INDEX requests_queue_assignee ON requests (assignee_id, due_at, id) WHERE status IN ('SUBMITTED', 'IN_REVIEW');
CREATE INDEX requests_queue_type ON requests (type, status, due_at, id);
CREATE INDEX requests_subscriber ON requests (subscriber_id, filed_at DESC, id DESC);

CREATE TABLE request_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id text NOT NULL,
    request_id    text NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    from_status   text,
    to_status     text,
    actor_kind    text NOT NULL,
    actor_id      text NOT NULL,
    note          text,
    visible       BOOLEAN NOT NULL,
    occurred_at   DATETIME NOT NULL
);
CREATE INDEX request_events_request ON request_events (request_id, occurred_at, id);

CREATE TABLE request_outcomes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id text NOT NULL,
    request_id    text NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    item_type     text NOT NULL CHECK (item_type IN ('HOLDING', 'RECORD', 'CONSENT')),
    item_ref      text NOT NULL,
    category      text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('ERASED', 'RETAINED', 'HELD', 'WITHDRAWN')),
    clause        text,
    until_at      DATETIME,
    hold_id       text,
    note          text,
    decided_at    DATETIME NOT NULL
);
CREATE INDEX request_outcomes_request ON request_outcomes (request_id, id);

CREATE TABLE request_exports (
    request_id    text PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    subscriber_id text NOT NULL,
    token_digest  text NOT NULL,
    payload       BLOB NOT NULL,
    created_at    DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL
);
CREATE INDEX request_exports_expiry ON request_exports (expires_at);

-- +goose Down
DROP TABLE request_exports;
DROP TABLE request_outcomes;
DROP TABLE request_events;
DROP TABLE requests;
