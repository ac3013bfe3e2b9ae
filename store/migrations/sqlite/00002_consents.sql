-- +goose Up
-- Same tables as the PostgreSQL tree; see there for why each exists.
CREATE TABLE consents (
    subscriber_id       TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    topic               TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('GRANTED', 'WITHDRAWN')),
    seq                 INTEGER NOT NULL CHECK (seq > 0),
    dated_at            DATETIME NOT NULL,
    reconfirm_by        DATETIME,
    reconfirm_notice_at DATETIME,
    policy_version      TEXT NOT NULL,
    receipt_id          TEXT NOT NULL,
    digest              TEXT NOT NULL,
    updated_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (subscriber_id, topic),
    CHECK (reconfirm_by IS NULL OR state = 'GRANTED')
);
CREATE INDEX consents_reconfirm ON consents (reconfirm_by, subscriber_id, topic) WHERE reconfirm_by IS NOT NULL;

CREATE TABLE consent_events (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id        TEXT NOT NULL,
    subscriber_id     TEXT NOT NULL,
    topic             TEXT NOT NULL,
    seq               INTEGER NOT NULL CHECK (seq > 0),
    action            TEXT NOT NULL CHECK (action IN ('GRANT', 'WITHDRAW', 'RECONFIRM')),
    from_state        TEXT NOT NULL CHECK (from_state IN ('NOT_RECORDED', 'GRANTED', 'WITHDRAWN')),
    to_state          TEXT NOT NULL CHECK (to_state IN ('GRANTED', 'WITHDRAWN')),
    actor_kind        TEXT NOT NULL CHECK (actor_kind IN ('SUBSCRIBER', 'GUARDIAN', 'AGENT')),
    actor_id          TEXT NOT NULL,
    via               TEXT NOT NULL CHECK (via IN ('WEB', 'APP', 'AGENT_DESK')),
    reason            TEXT,
    policy_version    TEXT NOT NULL,
    occurred_at       DATETIME NOT NULL,
    client_request_id TEXT,
    reconfirm_by      DATETIME,
    receipt           TEXT NOT NULL,
    receipt_digest    TEXT NOT NULL,
    prev_digest       TEXT,
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (subscriber_id, receipt_id),
    UNIQUE (subscriber_id, topic, seq),
    CHECK ((seq = 1) = (prev_digest IS NULL))
);
CREATE INDEX consent_events_history ON consent_events (subscriber_id, occurred_at DESC, id DESC);
CREATE UNIQUE INDEX consent_events_request ON consent_events (subscriber_id, client_request_id, topic) WHERE client_request_id IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only: UPDATE refused');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only: DELETE refused');
END;
-- +goose StatementEnd

CREATE TABLE consent_requests (
    subscriber_id     TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    client_request_id TEXT NOT NULL,
    request_hash      TEXT NOT NULL,
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (subscriber_id, client_request_id)
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    due_by        DATETIME NOT NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    delivered_at  DATETIME,
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0)
);
CREATE INDEX outbox_pending ON outbox (due_by, id) WHERE delivered_at IS NULL;
CREATE INDEX outbox_subscriber ON outbox (subscriber_id, created_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE consent_requests;
DROP TABLE consent_events;
DROP TABLE consents;
