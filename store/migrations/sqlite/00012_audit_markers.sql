-- +goose Up
-- The audit trail names subscribers by a pseudonymous marker: see the
-- PostgreSQL migration of the same version.
CREATE TABLE subscriber_markers (
    subscriber_id TEXT PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    marker        TEXT NOT NULL UNIQUE
);

-- +goose Down
DROP TABLE subscriber_markers;
