package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/seedgen"
)

// MeQuery is the subscriber's home screen: the profile, every holding
// with its purposes, clauses and dates, the consents, and the first page
// of records and of requests.
const MeQuery = `query Home {
  me(lang: EN) {
    id status minor birthDate billingState signedUpAt terminatedAt
    holdings {
      id value encrypted source collectedAt
      category { code label class sensitive }
      purposes { code }
      retention {
        state purgeAfter openReason explanation
        governingClause { code citation }
        clauses { clause { code law article } since until openReason active }
      }
    }
    consents { topic { code kind channel } state granted since reconfirmBy receiptId }
    records(first: 20) {
      edges { cursor node { id occurredAt summary kind { code } retention { state purgeAfter explanation } } }
      pageInfo { hasNextPage endCursor }
    }
    requests(first: 10) {
      edges { cursor node { id type status filedAt dueAt overdue extended assigned feeRelated } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

// SetConsentMutation changes one consent topic and reads back the new
// state and its receipt, as the consent toggle of the app does.
const SetConsentMutation = `mutation Toggle($input: SetConsentInput!) {
  setConsent(input: $input) {
    replayed
    changes { changed consent { topic { code } state since reconfirmBy receiptId } receipt { id digest } }
  }
}`

// QueueQuery is the agent desk's first page of overdue disputes, oldest
// due first.
const QueueQuery = `query Queue {
  requests(filter: {type: DISPUTE, overdue: true}, first: 20) {
    edges { cursor node { id subscriberId type status filedAt dueAt overdue extended assigned assigneeId feeRelated reason } }
    pageInfo { hasNextPage endCursor }
  }
}`

// marketingTopics are the consent topics the consent benchmark toggles,
// with their channels: the advertising consents a subscriber changes most.
var marketingTopics = []struct{ topic, channel string }{
	{"marketing.sms", "SMS"}, {"marketing.email", "EMAIL"}, {"marketing.phone", "PHONE"}, {"marketing.push", "PUSH"},
}

// Subjects knows the seeded subscribers by the seed generator's scheme, and
// mints their tokens.
type Subjects struct {
	gen    *seedgen.Generator
	seed   uint64
	n      int
	minter auth.Minter
	ttl    time.Duration
	// facts caches what the consent benchmark needs of a subscriber:
	// generating one is a few tens of microseconds.
	facts sync.Map // int → subjectFacts
}

type subjectFacts struct {
	terminated bool
	guardian   string
}

// NewSubjects returns the first n subscribers of the seed, with tokens valid
// for ttl.
func NewSubjects(seed uint64, n int, m auth.Minter, ttl time.Duration) *Subjects {
	return &Subjects{gen: seedgen.New(seedgen.Options{Seed: seed}), seed: seed, n: n, minter: m, ttl: ttl}
}

// ID is subscriber i's id.
func (s *Subjects) ID(i int) string { return s.gen.SubscriberID(i) }

// Pick draws a subscriber.
func (s *Subjects) Pick(r *rand.Rand) int { return r.IntN(s.n) }

// Token mints a subscriber token for subscriber i, acting as the guardian
// (act.sub) when guardian is set.
func (s *Subjects) Token(i int, guardian string) (string, error) {
	return s.minter.Mint(s.ID(i), []auth.Role{auth.RoleSubscriber}, guardian, s.ttl)
}

// facts of subscriber i, as the seed generator made them: whether their
// subscription ended, and the guardian who acts for a minor.
func (s *Subjects) factsOf(i int) subjectFacts {
	if f, ok := s.facts.Load(i); ok {
		return f.(subjectFacts)
	}
	sub := s.gen.Generate(i)
	f := subjectFacts{terminated: sub.Line.Status == string(models.StatusTerminated)}
	if sub.Minor && sub.Line.GuardianID != nil {
		f.guardian = *sub.Line.GuardianID
	}
	s.facts.Store(i, f)
	return f
}

// MeOp reads a random subscriber's home screen.
func MeOp(c *Client, s *Subjects) Op {
	return func(ctx context.Context, r *rand.Rand) error {
		i := s.Pick(r)
		tok, err := s.Token(i, "")
		if err != nil {
			return err
		}
		_, err = c.Do(ctx, tok, MeQuery, nil)
		return err
	}
}

// ConsentOp grants or withdraws a random advertising topic of a random
// subscriber whose subscription has not ended (an ended one may only
// withdraw), through the guardian for a minor. changed counts the calls
// that wrote a change, rather than finding the topic already as asked.
func ConsentOp(c *Client, s *Subjects, changed *atomic.Int64) Op {
	return func(ctx context.Context, r *rand.Rand) error {
		i := s.Pick(r)
		f := s.factsOf(i)
		for tries := 0; f.terminated && tries < 20; tries++ {
			i = s.Pick(r)
			f = s.factsOf(i)
		}
		tok, err := s.Token(i, f.guardian)
		if err != nil {
			return err
		}
		t := marketingTopics[r.IntN(len(marketingTopics))]
		in := map[string]any{"topic": t.topic, "channel": t.channel, "granted": r.IntN(2) == 0, "via": "APP"}
		body, err := c.Do(ctx, tok, SetConsentMutation, map[string]any{"input": in})
		if err != nil {
			return err
		}
		var res struct {
			Data struct {
				SetConsent struct {
					Changes []struct{ Changed bool }
				}
			}
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("undecodable setConsent response: %w", err)
		}
		if len(res.Data.SetConsent.Changes) == 1 && res.Data.SetConsent.Changes[0].Changed {
			changed.Add(1)
		}
		return nil
	}
}

// QueueOp reads the first page of overdue disputes of a random agent of
// those LoadRequests assigns requests to: each sees theirs and the
// unassigned ones. Spreading the calls over the agents keeps each token
// within the server's per-client rate limit, as a desk of agents would.
func QueueOp(c *Client, m auth.Minter, ttl time.Duration) Op {
	return func(ctx context.Context, r *rand.Rand) error {
		tok, err := m.Mint(agentID(1+r.IntN(agents)), []auth.Role{auth.RoleAgent}, "", ttl)
		if err != nil {
			return err
		}
		_, err = c.Do(ctx, tok, QueueQuery, nil)
		return err
	}
}

// agentID is the id of the n-th agent (from 1).
func agentID(n int) string { return fmt.Sprintf("agent-%02d", n) }

// checkSeeded reads the first and the last subscriber's home screen once,
// so a database seeded with another count or seed is reported before the
// run rather than as thousands of NOT_FOUND errors.
func checkSeeded(ctx context.Context, c *Client, s *Subjects) error {
	for _, i := range []int{0, s.n - 1} {
		tok, err := s.Token(i, "")
		if err != nil {
			return err
		}
		if _, err := c.Do(ctx, tok, MeQuery, nil); err != nil {
			var ge *Error
			if errors.As(err, &ge) && ge.Code == "NOT_FOUND" {
				return fmt.Errorf("subscriber %s is not in the database: seed it with `portal seed --subscribers %d --seed %d`, or pass the --subscribers and --seed it was seeded with", s.ID(i), s.n, s.seed)
			}
			return fmt.Errorf("home screen of %s: %w", s.ID(i), err)
		}
	}
	return nil
}

// checkQueue reads the queue once: it must answer and show overdue
// disputes, else the benchmark would measure an empty page.
func checkQueue(ctx context.Context, c *Client, token string) error {
	body, err := c.Do(ctx, token, QueueQuery, nil)
	if err != nil {
		return fmt.Errorf("the agent queue: %w", err)
	}
	var res struct {
		Data struct {
			Requests struct {
				Edges []json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("undecodable queue response: %w", err)
	}
	if len(res.Data.Requests.Edges) == 0 {
		return errors.New("the agent queue shows no overdue disputes: load open requests first with `portal loadtest requests --count 100000`")
	}
	return nil
}
