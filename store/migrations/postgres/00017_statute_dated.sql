-- +goose Up
-- Rows scheduled before 00014 have no statute_from until their subscriber
-- is rescheduled. The purge's first runs have the calculus reschedule the
-- subscribers with such a row that a statute-only clause governs (package
-- purge, statute.go, dateStatute); once a run has dated them all, it says
-- so here, and later runs look no more: every row written or rescheduled
-- since gets its statute_from from the calculus. One row at most.
CREATE TABLE statute_dated (
    done     boolean PRIMARY KEY DEFAULT true CHECK (done),
    dated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE statute_dated;
