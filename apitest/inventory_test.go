package apitest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/loadtest"
	"github.com/xroshot/portal/models"
)

// subscriber feeds one subscriber with a profile and n records of mixed kinds.
func subscriber(t *testing.T, env *apitest.Env, id string, signedUp time.Time, extraItems, records int) {
	t.Helper()
	ctx := context.Background()
	items := []feed.ItemInput{
		{Category: "applicant.name", Value: "김민준"},
		{Category: "applicant.phone", Value: "010-2345-6789"},
		{Category: "applicant.passport_number", Value: "M12345678"},
		{Category: "optional.discount_certificate", Value: "복지할인증명 제2024-117호"},
	}
	for i := 0; i < extraItems; i++ {
		items = append(items, feed.ItemInput{Category: "payer.phone", Value: fmt.Sprintf("010-5555-%04d", i)})
	}
	if _, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: signedUp, BirthDate: new("1988-04-17"), Items: items}); err != nil {
		t.Fatal(err)
	}
	kinds := []string{"USAGE", "PAYMENT", "MESSAGE_CONTENT", "CALL_DETAIL", "ACCESS_LOG"}
	recs := make([]feed.RecordInput, records)
	for i := range recs {
		recs[i] = feed.RecordInput{Kind: kinds[i%len(kinds)], OccurredAt: apitest.Start.Add(-time.Duration(i+1) * 36 * time.Hour), ExternalID: fmt.Sprintf("%s-%d", id, i), Summary: "발신 010-2345-6789 → 02-123-4567"}
	}
	if records > 0 {
		if _, err := env.Feed.AppendRecords(ctx, id, recs); err != nil {
			t.Fatal(err)
		}
	}
}

const meQuery = `query Me($first: Int, $after: String, $kind: String) {
  me(lang: EN) {
    id status minor birthDate billingState
    holdings {
      id value encrypted source collectedAt
      category { code class sensitive }
      purposes { code }
      retention {
        state purgeAfter openReason explanation
        governingClause { code citation }
        clauses { clause { code law article } since until openReason active }
      }
    }
    records(first: $first, after: $after, kind: $kind) {
      edges { cursor node { id occurredAt summary kind { code } retention { state purgeAfter explanation } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}`

type meData struct {
	Me struct {
		ID        string
		Status    string
		Minor     bool
		BirthDate string
		Holdings  []struct {
			Value     string
			Encrypted bool
			Category  struct{ Code string }
			Retention struct {
				State       string
				PurgeAfter  *string
				OpenReason  *string
				Explanation string
				Clauses     []struct {
					Clause struct{ Code string }
					Active bool
				}
			}
		}
		Records struct {
			Edges []struct {
				Cursor string
				Node   struct {
					OccurredAt time.Time
					Summary    string
					Kind       struct{ Code string }
					Retention  struct {
						State      string
						PurgeAfter *string
					}
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
}

func TestMeShowsEveryItemMaskedWithItsClauseAndDate(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			subscriber(t, env, "sub-1", time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC), 0, 30)
			tok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
			var got meData
			env.Query(t, tok, meQuery, map[string]any{"first": 10}).Decode(t, &got)

			if got.Me.ID != "sub-1" || got.Me.Status != "ACTIVE" || got.Me.BirthDate != "1988-**-**" {
				t.Errorf("profile = %+v", got.Me)
			}
			values := map[string]string{}
			for _, h := range got.Me.Holdings {
				values[h.Category.Code] = h.Value
				if h.Retention.State != "IN_USE" || h.Retention.PurgeAfter != nil || h.Retention.OpenReason == nil || *h.Retention.OpenReason != "ACTIVE_SUBSCRIPTION" {
					t.Errorf("%s: retention = %+v, want in use, open-ended while active", h.Category.Code, h.Retention)
				}
				if h.Retention.Explanation == "" || len(h.Retention.Clauses) == 0 {
					t.Errorf("%s: no explanation or clauses", h.Category.Code)
				}
				if h.Category.Code == "applicant.passport_number" && !h.Encrypted {
					t.Errorf("passport number is not encrypted at rest")
				}
			}
			want := map[string]string{
				"applicant.name":                "김*준",
				"applicant.phone":               "010-****-6789",
				"applicant.passport_number":     "M******78",
				"optional.discount_certificate": values["optional.discount_certificate"],
			}
			if diff := cmp.Diff(want, values); diff != "" {
				t.Errorf("masked values (-want +got):\n%s", diff)
			}
			if strings.Contains(values["optional.discount_certificate"], "2024-117") {
				t.Errorf("optional item shown unmasked: %q", values["optional.discount_certificate"])
			}

			edges := got.Me.Records.Edges
			if len(edges) != 10 || !got.Me.Records.PageInfo.HasNextPage {
				t.Fatalf("first page: %d edges, hasNext %v", len(edges), got.Me.Records.PageInfo.HasNextPage)
			}
			for i := 1; i < len(edges); i++ {
				if edges[i].Node.OccurredAt.After(edges[i-1].Node.OccurredAt) {
					t.Errorf("records not newest first at %d", i)
				}
			}
			for _, e := range edges {
				if strings.Contains(e.Node.Summary, "2345-6789") {
					t.Errorf("record summary shown unmasked: %q", e.Node.Summary)
				}
				if e.Node.Kind.Code == "MESSAGE_CONTENT" {
					if e.Node.Retention.PurgeAfter == nil {
						t.Errorf("message content has no purge date while the subscriber is active")
					}
				}
			}

			// Walk every page: each record exactly once.
			seen := map[string]bool{}
			var after *string
			for page := 0; page < 10; page++ {
				vars := map[string]any{"first": 7}
				if after != nil {
					vars["after"] = *after
				}
				var p meData
				env.Query(t, tok, meQuery, vars).Decode(t, &p)
				for _, e := range p.Me.Records.Edges {
					k := e.Node.OccurredAt.String()
					if seen[k] {
						t.Fatalf("record %s returned twice", k)
					}
					seen[k] = true
				}
				if !p.Me.Records.PageInfo.HasNextPage {
					break
				}
				after = p.Me.Records.PageInfo.EndCursor
			}
			if len(seen) != 30 {
				t.Errorf("paged through %d records, want 30", len(seen))
			}

			var kindOnly meData
			env.Query(t, tok, meQuery, map[string]any{"kind": "PAYMENT", "first": 100}).Decode(t, &kindOnly)
			if n := len(kindOnly.Me.Records.Edges); n != 6 {
				t.Errorf("PAYMENT records = %d, want 6", n)
			}
		})
	}
}

func TestMeRefusesBadArguments(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	subscriber(t, env, "sub-1", time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC), 0, 3)
	tok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{name: "first over the cap", query: `query($f: Int) { me { records(first: $f) { edges { cursor } } } }`, vars: map[string]any{"f": 101}},
		{name: "negative first", query: `query($f: Int) { me { records(first: $f) { edges { cursor } } } }`, vars: map[string]any{"f": -1}},
		{name: "malformed cursor", query: `{ me { records(after: "not a cursor") { edges { cursor } } } }`},
		{name: "foreign cursor", query: `{ me { records(after: "cmVxOjE6Mg") { edges { cursor } } } }`},
		{name: "unknown kind", query: `{ me { records(kind: "SECRETS") { edges { cursor } } } }`},
		{name: "unknown purpose", query: `{ me { holdings(filter: {purpose: "SPYING"}) { id } } }`},
		{name: "unknown state", query: `{ me { holdings(filter: {state: GONE}) { id } } }`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Query(t, tok, tc.query, tc.vars)
			if diff := cmp.Diff([]string{"BAD_USER_INPUT"}, res.Codes()); diff != "" {
				t.Errorf("codes (-want +got):\n%s\nerrors: %+v", diff, res.Errors)
			}
		})
	}
}

func TestMeAuthentication(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	subscriber(t, env, "sub-1", time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC), 0, 0)
	other := apitest.New(t, "sqlite") // a different signing key's issuer
	other.Minter.Secret = []byte("another-secret-another-secret-0123456789")
	tests := []struct {
		name     string
		token    string
		wantCode string
	}{
		{name: "no token", token: "", wantCode: "UNAUTHENTICATED"},
		{name: "garbage token", token: "garbage", wantCode: "UNAUTHENTICATED"},
		{name: "token signed with another key", token: other.Token(t, "sub-1", "", auth.RoleSubscriber), wantCode: "UNAUTHENTICATED"},
		{name: "agent token", token: env.Token(t, "agent-1", "", auth.RoleAgent), wantCode: "FORBIDDEN"},
		{name: "system token", token: env.Token(t, "crm", "", auth.RoleSystem), wantCode: "FORBIDDEN"},
		{name: "subscriber the portal does not know", token: env.Token(t, "sub-404", "", auth.RoleSubscriber), wantCode: "NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Query(t, tc.token, `{ me { id } }`, nil)
			if diff := cmp.Diff([]string{tc.wantCode}, res.Codes()); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
			// me is nullable: the error nulls the field, not the whole data.
			if string(res.Data) != `{"me":null}` {
				t.Errorf("data = %s, want {\"me\":null}", res.Data)
			}
		})
	}
	t.Run("the public policy works with a bad token", func(t *testing.T) {
		res := env.Query(t, "garbage", `{ policy { version } }`, nil)
		if len(res.Errors) > 0 {
			t.Fatalf("errors: %+v", res.Errors)
		}
	})
}

func TestGuardianSeesTheMinorsInventoryAndNoOneElseDoes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "postgres")
	ctx := context.Background()
	birth := apitest.Start.AddDate(-10, 0, 0).Format(time.DateOnly)
	if _, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{
		ID: "minor-1", Status: models.StatusActive, SignedUpAt: apitest.Start.AddDate(-1, 0, 0), BirthDate: &birth, GuardianID: new("guardian-1"),
		Items: []feed.ItemInput{{Category: "applicant.name", Value: "박지우"}, {Category: "guardian.name", Value: "박소연"}},
	}); err != nil {
		t.Fatal(err)
	}
	subscriber(t, env, "adult-1", apitest.Start.AddDate(-3, 0, 0), 0, 0)

	var got meData
	env.Query(t, env.Token(t, "minor-1", "guardian-1", auth.RoleSubscriber), meQuery, nil).Decode(t, &got)
	if got.Me.ID != "minor-1" || !got.Me.Minor || len(got.Me.Holdings) != 2 {
		t.Errorf("guardian's view = %+v", got.Me)
	}
	env.Query(t, env.Token(t, "minor-1", "", auth.RoleSubscriber), meQuery, nil).Decode(t, &got)
	if got.Me.ID != "minor-1" {
		t.Errorf("the minor's own view = %+v", got.Me)
	}

	for _, tc := range []struct{ name, sub, act string }{
		{name: "someone else claiming to be the guardian", sub: "minor-1", act: "guardian-2"},
		{name: "a guardian claim on an adult", sub: "adult-1", act: "guardian-1"},
	} {
		res := env.Query(t, env.Token(t, tc.sub, tc.act, auth.RoleSubscriber), `{ me { id holdings { value } } }`, nil)
		if diff := cmp.Diff([]string{"FORBIDDEN"}, res.Codes()); diff != "" {
			t.Errorf("%s: codes (-want +got):\n%s", tc.name, diff)
		}
	}
	// The adult's own token sees only the adult.
	env.Query(t, env.Token(t, "adult-1", "", auth.RoleSubscriber), meQuery, nil).Decode(t, &got)
	if got.Me.ID != "adult-1" || got.Me.Minor {
		t.Errorf("adult's view = %+v", got.Me)
	}
}

// A me query asking for everything costs a fixed number of statements,
// however many holdings and records the subscriber has, and on
// PostgreSQL one round trip: the subject and every list are read ahead
// together. A terminated subscriber's retention facts add the date of
// their last fee record, read once the subject shows they need it.
func TestMeCostsAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			env := apitest.New(t, d)
			subscriber(t, env, "small", apitest.Start.AddDate(-2, 0, 0), 0, 3)
			subscriber(t, env, "large", apitest.Start.AddDate(-2, 0, 0), 12, 90)
			subscriber(t, env, "ended", apitest.Start.AddDate(-2, 0, 0), 12, 90)
			term := apitest.Start.AddDate(0, -1, 0)
			if _, err := env.Feed.UpsertSubscriber(context.Background(), feed.SubscriberInput{ID: "ended", Status: models.StatusTerminated,
				SignedUpAt: apitest.Start.AddDate(-2, 0, 0), TerminatedAt: &term, BirthDate: new("1988-04-17")}); err != nil {
				t.Fatal(err)
			}
			type cost struct{ statements, trips int64 }
			countWith := func(sub, query string, vars map[string]any) cost {
				tok := env.Token(t, sub, "", auth.RoleSubscriber)
				stmts, trips := env.DB.Statements(), env.DB.RoundTrips()
				res := env.Query(t, tok, query, vars)
				if len(res.Errors) > 0 {
					t.Fatalf("errors: %+v", res.Errors)
				}
				return cost{env.DB.Statements() - stmts, env.DB.RoundTrips() - trips}
			}
			count := func(sub, query string) cost { return countWith(sub, query, map[string]any{"first": 100}) }
			for _, q := range []struct {
				name  string
				query string
				most  int64
			}{
				{name: "inventory", query: meQuery, most: 6},
				// The home screen adds the consents and the requests: the
				// consents are read once for the inventory and the list.
				{name: "home screen", query: loadtest.MeQuery, most: 7},
			} {
				small, large, ended := count("small", q.query), count("large", q.query), count("ended", q.query)
				if small != large {
					t.Errorf("%s: %+v for a small inventory, %+v for a large one; want the same", q.name, small, large)
				}
				if large.statements > q.most || ended.statements > q.most+1 {
					t.Errorf("%s: me ran %d statements, %d for a terminated subscriber; want at most %d and %d", q.name, large.statements, ended.statements, q.most, q.most+1)
				}
				if d != "postgres" {
					continue
				}
				if large.trips > 1 || ended.trips > 2 {
					t.Errorf("%s: me took %d round trips, %d for a terminated subscriber; want at most 1 and 2", q.name, large.trips, ended.trips)
				}
			}
			// A later page of one kind of records is read ahead too: the
			// cursor and the kind are decoded as the records' resolver does.
			var first meData
			env.Query(t, env.Token(t, "large", "", auth.RoleSubscriber), meQuery, map[string]any{"first": 5, "kind": "USAGE"}).Decode(t, &first)
			edges := first.Me.Records.Edges
			if len(edges) != 5 {
				t.Fatalf("first page: %d records, want 5", len(edges))
			}
			next := countWith("large", meQuery, map[string]any{"first": 5, "kind": "USAGE", "after": edges[len(edges)-1].Cursor})
			if d == "postgres" && next.trips > 1 {
				t.Errorf("the next page of USAGE records: %d round trips, want 1", next.trips)
			}
		})
	}
}
