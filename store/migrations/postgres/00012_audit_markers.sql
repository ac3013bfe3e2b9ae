-- +goose Up
-- The audit trail names subscribers by a pseudonymous marker (POLICY.md
-- §3: "what may remain is a pseudonymous marker that the audit trail can
-- refer to"): a random id whose link to the subscriber lives only here and
-- goes with the subscriber row. While the subscriber exists the trail is
-- read with their id (store.ListAuditEvents); once they are erased, the
-- events about them, kept for the trail's own 2 years, name no one.
CREATE TABLE subscriber_markers (
    subscriber_id text PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    marker        text NOT NULL UNIQUE
);

-- +goose Down
DROP TABLE subscriber_markers;
