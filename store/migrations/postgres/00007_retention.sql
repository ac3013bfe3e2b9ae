-- +goose Up
-- Unpaid or overpaid fees no longer hold everything of a subscriber: they
-- stop the post-termination clock in the retention calculus and keep
-- nothing else (POLICY.md "until resolved"). Holds the billing feed placed
-- before are released, so what they held returns to its schedule; the
-- next reschedule or purge applies the fee rule instead. They are released
-- as of their placement: under the rule they never held anything.
UPDATE holds SET released_at = placed_at
 WHERE released_at IS NULL AND reason IN ('UNPAID_FEES', 'OVERPAID_FEES') AND placed_by = 'billing';

-- A deletion's items found held are carried out when the holds end: the
-- release looks up the subscriber's outcomes still HELD.
CREATE INDEX request_outcomes_held ON request_outcomes (subscriber_id, id) WHERE outcome = 'HELD';

-- +goose Down
-- Released holds are history; nothing is placed again.
DROP INDEX request_outcomes_held;
