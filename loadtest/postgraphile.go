package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// PostGraphileQuery is the nearest equivalent of the home screen (MeQuery)
// that PostGraphile 4 derives from the same tables (scripts/postgraphile):
// the subscriber, every holding, the fee issues and active holds the
// retention calculus reads, the consents, the first 20 records and the
// first 10 requests, newest first. It reads the stored columns as they are:
// no token, no decryption, no masking, no retention calculus, no
// explanation texts. A reference for what a generic GraphQL-over-PostgreSQL
// server costs for the same rows, not the same answer.
const PostGraphileQuery = `query Home($id: String!) {
  subscriberById(id: $id) {
    id status signedUpAt terminatedAt birthDateCipher billingState billingSince
    holdingsBySubscriberId(orderBy: [CATEGORY_ASC, COLLECTED_AT_ASC, ID_ASC]) {
      nodes { id category valueText valueCipher keyId source collectedAt purgeAfter purgeClause }
    }
    feeIssuesBySubscriberId(orderBy: [SINCE_ASC, ID_ASC]) { nodes { id kind since resolvedAt } }
    holdsBySubscriberId(condition: {releasedAt: null}) { nodes { id reason allItems placedAt } }
    consentsBySubscriberId(orderBy: TOPIC_ASC) { nodes { topic state seq datedAt reconfirmBy receiptId } }
    recordsBySubscriberId(first: 20, orderBy: [OCCURRED_AT_DESC, ID_DESC]) {
      edges { cursor node { id kind occurredAt summary summaryCipher purgeAfter purgeClause } }
      pageInfo { hasNextPage endCursor }
    }
    requestsBySubscriberId(first: 10, orderBy: [FILED_AT_DESC, ID_DESC]) {
      edges { cursor node { id type status filedAt dueAt extendedAt assigneeId feeRelated } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

// PostGraphileOp reads a random subscriber's rows through PostGraphile.
func PostGraphileOp(c *Client, s *Subjects) Op {
	return func(ctx context.Context, r *rand.Rand) error {
		_, err := c.Do(ctx, "", PostGraphileQuery, map[string]any{"id": s.ID(s.Pick(r))})
		return err
	}
}

// checkPostGraphile reads the first and the last subscriber once: the
// server must answer the query and find them.
func checkPostGraphile(ctx context.Context, c *Client, s *Subjects) error {
	for _, i := range []int{0, s.n - 1} {
		body, err := c.Do(ctx, "", PostGraphileQuery, map[string]any{"id": s.ID(i)})
		if err != nil {
			return fmt.Errorf("PostGraphile at %s (scripts/postgraphile/start.sh): %w", c.endpoint, err)
		}
		var res struct {
			Data struct {
				SubscriberByID *struct{ ID string } `json:"subscriberById"`
			}
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("undecodable PostGraphile response: %w", err)
		}
		if res.Data.SubscriberByID == nil {
			return fmt.Errorf("PostGraphile does not find subscriber %s: is it serving the seeded database?", s.ID(i))
		}
	}
	return nil
}
