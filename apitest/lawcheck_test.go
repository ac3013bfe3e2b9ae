package apitest_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
)

// An independent check of lives against the notice and the law, fed
// through the operator's feeds over GraphQL and read through me, on both
// stores. Every expected date is worked out by hand in the comments from the
// rule's text (민법 157, 159, 160; 국세기본법 5조, 85조의3; 부가가치세법 49조;
// 법인세법 60조), never by calling the calculus. Weekdays were read off a
// calendar; the public holidays used are cited where they matter.

// at is an instant given in Korea Standard Time.
func at(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, time.FixedZone("KST", 9*3600))
}

// lawFeed feeds the portal the way the operator's systems do: over
// GraphQL, with a system token.
type lawFeed struct {
	t   *testing.T
	env *apitest.Env
	tok string
}

func newLawFeed(t *testing.T, env *apitest.Env) lawFeed {
	return lawFeed{t, env, env.Token(t, "crm", "", auth.RoleSystem)}
}

// refresh mints the system token again after the clock moved.
func (f *lawFeed) refresh() { f.tok = f.env.Token(f.t, "crm", "", auth.RoleSystem) }

func (f *lawFeed) subscriber(in map[string]any) {
	f.t.Helper()
	f.refresh()
	do(f.t, f.env, f.tok, upsert, map[string]any{"in": in}, nil)
}

func (f *lawFeed) terminate(id string, when time.Time) {
	f.t.Helper()
	f.refresh()
	do(f.t, f.env, f.tok, `mutation($id: ID!, $at: Time!) { terminateSubscriber(id: $id, at: $at) { id } }`,
		map[string]any{"id": id, "at": when.Format(time.RFC3339Nano)}, nil)
}

func (f *lawFeed) records(id string, recs ...map[string]any) {
	f.t.Helper()
	f.refresh()
	do(f.t, f.env, f.tok, `mutation($id: ID!, $r: [RecordInput!]!) { appendRecords(subscriberId: $id, records: $r) { appended } }`,
		map[string]any{"id": id, "r": recs}, nil)
}

func (f *lawFeed) billing(id, state string, since time.Time) {
	f.t.Helper()
	f.refresh()
	do(f.t, f.env, f.tok, `mutation($id: ID!, $s: BillingState!, $since: Time!) { setBillingState(subscriberId: $id, state: $s, since: $since) { id } }`,
		map[string]any{"id": id, "s": state, "since": since.Format(time.RFC3339Nano)}, nil)
}

func rec(kind string, when time.Time, ext string) map[string]any {
	return map[string]any{"kind": kind, "occurredAt": when.Format(time.RFC3339Nano), "externalId": ext}
}

// seen is one item as me shows it: its state, the last day it is kept, why
// it has no date, and the last day of each clause that applies ("" while
// open).
type seen struct {
	State, PurgeAfter, OpenReason string
	Until                         map[string]string
}

const lawMeQuery = `{ me { holdings { category { code } retention { state purgeAfter openReason clauses { clause { code } until } } }
  records(first: 100) { edges { node { kind { code } occurredAt retention { state purgeAfter openReason clauses { clause { code } until } } } } } } }`

type lawRetention struct {
	State      string
	PurgeAfter *string
	OpenReason *string
	Clauses    []struct {
		Clause struct{ Code string }
		Until  *string
	}
}

func (r lawRetention) seen() seen {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	out := seen{State: r.State, PurgeAfter: s(r.PurgeAfter), OpenReason: s(r.OpenReason), Until: map[string]string{}}
	for _, c := range r.Clauses {
		out.Until[c.Clause.Code] = s(c.Until)
	}
	return out
}

// lawMe reads me as the subscriber at the env's clock: holdings by category,
// records by kind@occurredAt (UTC, RFC 3339).
func lawMe(t *testing.T, env *apitest.Env, id string) map[string]seen {
	t.Helper()
	var got struct {
		Me struct {
			Holdings []struct {
				Category  struct{ Code string }
				Retention lawRetention
			}
			Records struct {
				Edges []struct {
					Node struct {
						Kind       struct{ Code string }
						OccurredAt time.Time
						Retention  lawRetention
					}
				}
			}
		}
	}
	do(t, env, env.Token(t, id, "", auth.RoleSubscriber), lawMeQuery, nil, &got)
	out := map[string]seen{}
	for _, h := range got.Me.Holdings {
		out[h.Category.Code] = h.Retention.seen()
	}
	for _, e := range got.Me.Records.Edges {
		out[e.Node.Kind.Code+"@"+e.Node.OccurredAt.UTC().Format(time.RFC3339)] = e.Node.Retention.seen()
	}
	return out
}

func recKey(kind string, when time.Time) string {
	return kind + "@" + when.UTC().Format(time.RFC3339)
}

func member(id string, signedUp time.Time, items ...string) map[string]any {
	its := make([]map[string]any, 0, len(items)/2)
	for i := 0; i+1 < len(items); i += 2 {
		its = append(its, map[string]any{"category": items[i], "value": items[i+1]})
	}
	return map[string]any{"id": id, "status": "ACTIVE", "signedUpAt": signedUp.Format(time.RFC3339), "birthDate": "1980-05-05", "items": its}
}

// The six months after termination (§3(1)나), counted as 민법 157/160 say:
// the day of termination is not counted unless it began at 00:00; the
// period ends on the day before the day corresponding to its first day six
// months on, or on the last day of that month when it has none. A period
// ending on a weekend is not moved: 민법 161 lengthens a deadline to act,
// and docs/POLICY.md's reading moves only tax filing deadlines, so data is not
// kept a day longer than the notice says.
func TestLawCheckSixMonthsAfterTermination(t *testing.T) {
	cases := []struct {
		name       string
		terminated time.Time
		lastDay    string
	}{
		// First day 2026-05-03; 2026-11-03 corresponds; ends 11-02 (Monday).
		{"during the day", at(2026, 5, 2, 12, 0, 0), "2026-11-02"},
		// At 00:00 the day counts: first day 05-02, ends 11-01 (a Sunday: not moved).
		{"at midnight KST", at(2026, 5, 2, 0, 0, 0), "2026-11-01"},
		// First day 08-31; February 2027 has no 31st: ends 2027-02-28 (Sunday, not moved).
		{"31 August has no February twin", at(2026, 8, 30, 12, 0, 0), "2027-02-28"},
		// First day 08-29; 2027-02-29 does not exist: 02-28.
		{"29 August in a common year", at(2026, 8, 28, 12, 0, 0), "2027-02-28"},
		// First day 08-28; 2027-02-28 corresponds: ends 02-27.
		{"28 August", at(2026, 8, 27, 12, 0, 0), "2027-02-27"},
		// First day 2027-01-01 (the year turns in Korea at 15:00 UTC).
		{"last second of the year in Korea", at(2026, 12, 31, 23, 59, 59), "2027-06-30"},
		{"first instant of the year in Korea", at(2027, 1, 1, 0, 0, 0), "2027-06-30"},
		// First day 01-02.
		{"a second into the year in Korea", at(2027, 1, 1, 0, 0, 1), "2027-07-01"},
		// First day 2027-08-31 (leap February 2028): 2028-02-29.
		{"into a leap February", at(2027, 8, 30, 12, 0, 0), "2028-02-29"},
	}
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		f := newLawFeed(t, env)
		env.Clock.Set(at(2025, 1, 10, 10, 0, 0))
		for i := range cases {
			f.subscriber(member("pt-"+string(rune('a'+i)), at(2024, 3, 2, 10, 0, 0), "applicant.email", "person@example.com", "applicant.name", "김하나"))
		}
		env.Clock.Set(at(2027, 9, 1, 10, 0, 0))
		for i, c := range cases {
			f.terminate("pt-"+string(rune('a'+i)), c.terminated)
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := "pt-" + string(rune('a'+i))
				env.Clock.Set(c.terminated.Add(time.Minute))
				got := lawMe(t, env, id)["applicant.email"]
				delete(got.Until, "SERVICE_PERIOD")
				want := seen{State: "IN_USE", PurgeAfter: c.lastDay, Until: map[string]string{"POST_TERMINATION": c.lastDay}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("terminated %s (-want +got):\n%s", c.terminated, diff)
				}
				// Kept through its last day in Korea, due from the next midnight.
				last, _ := time.ParseInLocation(time.DateOnly, c.lastDay, time.FixedZone("KST", 9*3600))
				env.Clock.Set(last.Add(24*time.Hour - time.Second))
				if got := lawMe(t, env, id)["applicant.email"].State; got != "IN_USE" {
					t.Errorf("at 23:59:59 KST on %s: %s, want IN_USE", c.lastDay, got)
				}
				env.Clock.Set(last.Add(24 * time.Hour))
				if got := lawMe(t, env, id)["applicant.email"].State; got != "DUE" {
					t.Errorf("at 00:00 KST after %s: %s, want DUE", c.lastDay, got)
				}
			})
		}
	})
}

// The tax clause (§3(2), 국세기본법 85조의3②): each fee record is kept five
// years from the day after the later of its VAT deadline (부가가치세법 49조:
// 25 July for January–June, 25 January for July–December) and its
// corporate-tax deadline (법인세법 60조: the end of the third month after
// the fiscal year, 31 March for the shipped calendar year), each moved to
// the next working day when it falls on a Saturday, Sunday or holiday
// (국세기본법 5조). The year of a fee is its year in Korea: a bill at
// 23:59:59 KST on 31 December and one at 00:00 KST on 1 January fall in
// different fiscal years although both are on 31 December in UTC.
func TestLawCheckTaxClauseAcrossTheYearEndInKorea(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		f := newLawFeed(t, env)
		const id = "tax-lc"
		env.Clock.Set(at(2020, 1, 10, 10, 0, 0))
		f.subscriber(member(id, at(2020, 1, 10, 10, 0, 0), "applicant.name", "이도윤", "applicant.email", "doyun@example.com"))
		env.Clock.Set(at(2030, 1, 5, 10, 0, 0))
		b1 := at(2028, 7, 15, 12, 0, 0)
		b2 := at(2029, 12, 31, 23, 59, 59)
		b3 := at(2030, 1, 1, 0, 0, 0)
		f.records(id, rec("BILLING", b1, "b1"), rec("BILLING", b2, "b2"), rec("PAYMENT", b2, "p2"))
		f.terminate(id, at(2029, 12, 20, 12, 0, 0))
		// The final bill arrives after termination.
		f.records(id, rec("BILLING", b3, "b3"))

		got := lawMe(t, env, id)
		want := map[string]seen{
			// Six months from 2029-12-21: through 2030-06-20.
			"applicant.email": {State: "IN_USE", PurgeAfter: "2030-06-20", Until: map[string]string{"SERVICE_PERIOD": "2029-12-20", "POST_TERMINATION": "2030-06-20"}},
			// The listed fields count from the last fee record, b3 (fiscal
			// 2030: due 2031-03-31, a Monday): through 2036-03-31.
			"applicant.name": {State: "IN_USE", PurgeAfter: "2036-03-31", Until: map[string]string{"SERVICE_PERIOD": "2029-12-20", "POST_TERMINATION": "2030-06-20", "TAX_RECORDS": "2036-03-31"}},
			// Fiscal 2028: 2029-03-31 is a Saturday, so Monday 2029-04-02
			// (VAT of the first half, 2028-07-25, is earlier): kept from
			// 2029-04-03 through 2034-04-02.
			recKey("BILLING", b1): {State: "IN_USE", PurgeAfter: "2034-04-02", Until: map[string]string{"SERVICE_PERIOD": "2029-12-20", "POST_TERMINATION": "2030-06-20", "TAX_RECORDS": "2034-04-02"}},
			// Fiscal 2029: 2030-03-31 is a Sunday, so Monday 2030-04-01: through 2035-04-01.
			recKey("BILLING", b2): {State: "IN_USE", PurgeAfter: "2035-04-01", Until: map[string]string{"SERVICE_PERIOD": "2029-12-20", "POST_TERMINATION": "2030-06-20", "TAX_RECORDS": "2035-04-01"}},
			// Its payment record also falls under the E-Commerce Act's five
			// years from 2030-01-01: through 2034-12-31; the tax clause is later.
			recKey("PAYMENT", b2): {State: "IN_USE", PurgeAfter: "2035-04-01", Until: map[string]string{"SERVICE_PERIOD": "2029-12-20", "POST_TERMINATION": "2030-06-20", "PAYMENT_RECORDS": "2034-12-31", "TAX_RECORDS": "2035-04-01"}},
			// Fiscal 2030: through 2036-03-31.
			recKey("BILLING", b3): {State: "IN_USE", PurgeAfter: "2036-03-31", Until: map[string]string{"SERVICE_PERIOD": "2029-12-20", "POST_TERMINATION": "2030-06-20", "TAX_RECORDS": "2036-03-31"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after termination (-want +got):\n%s", diff)
		}

		// After the six months, only statutes keep anything, and b1 goes
		// at midnight KST after 2034-04-02 while the others stay.
		env.Clock.Set(at(2034, 4, 2, 23, 59, 59))
		got = lawMe(t, env, id)
		for k, s := range map[string]string{"applicant.email": "DUE", "applicant.name": "RETAINED_BY_STATUTE", recKey("BILLING", b1): "RETAINED_BY_STATUTE", recKey("BILLING", b2): "RETAINED_BY_STATUTE"} {
			if got[k].State != s {
				t.Errorf("at 23:59:59 KST on 2034-04-02: %s is %s, want %s", k, got[k].State, s)
			}
		}
		env.Clock.Set(at(2034, 4, 3, 0, 0, 0))
		got = lawMe(t, env, id)
		for k, s := range map[string]string{recKey("BILLING", b1): "DUE", recKey("BILLING", b2): "RETAINED_BY_STATUTE", "applicant.name": "RETAINED_BY_STATUTE"} {
			if got[k].State != s {
				t.Errorf("at 00:00 KST on 2034-04-03: %s is %s, want %s", k, got[k].State, s)
			}
		}
	})
}

// Unpaid fees stop only the clock of the six months after termination
// (docs/POLICY.md, "Reading of the rules"): message content, records whose own
// clause has ended and optional items whose consent was withdrawn still go
// on time. Once settled, the rest is kept through the day of settlement.
func TestLawCheckUnpaidFeesHoldOnlyThePostTerminationClock(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		f := newLawFeed(t, env)
		const id = "fee-lc"
		env.Clock.Set(at(2021, 1, 4, 10, 0, 0))
		f.subscriber(member(id, at(2021, 1, 4, 10, 0, 0), "applicant.email", "fee@example.com"))
		env.Clock.Set(at(2026, 3, 10, 12, 0, 0))
		ad := at(2026, 1, 5, 12, 0, 0)       // advertising: 6 months from 01-06, through 2026-07-05
		contract := at(2021, 1, 5, 12, 0, 0) // contract: 5 years from 2021-01-06, through 2026-01-05
		msg := at(2026, 3, 1, 12, 0, 0)      // message content: 28 days from 03-02, through 03-29
		usage := at(2026, 2, 1, 12, 0, 0)
		f.records(id, rec("ADVERTISING", ad, "ad"), rec("CONTRACT", contract, "ct"), rec("MESSAGE_CONTENT", msg, "msg"), rec("USAGE", usage, "use"))
		f.billing(id, "UNPAID", at(2026, 2, 1, 12, 0, 0))
		f.terminate(id, at(2026, 3, 10, 12, 0, 0))

		// 2026-11-01: the six months (through 2026-09-10) would have ended.
		env.Clock.Set(at(2026, 11, 1, 10, 0, 0))
		got := lawMe(t, env, id)
		for k, want := range map[string]string{
			"applicant.email":              "IN_USE FEES_UNRESOLVED",
			recKey("USAGE", usage):         "IN_USE FEES_UNRESOLVED",
			recKey("MESSAGE_CONTENT", msg): "DUE ",
			recKey("ADVERTISING", ad):      "DUE ",
			recKey("CONTRACT", contract):   "DUE ",
		} {
			if s := got[k].State + " " + got[k].OpenReason; s != want {
				t.Errorf("with fees unpaid on 2026-11-01: %s is %q, want %q (%+v)", k, s, want, got[k])
			}
		}

		// Settled on 2027-01-20: kept through that day, due after.
		env.Clock.Set(at(2027, 1, 20, 15, 0, 0))
		f.billing(id, "SETTLED", at(2027, 1, 20, 15, 0, 0))
		env.Clock.Set(at(2027, 1, 20, 23, 59, 59))
		got = lawMe(t, env, id)
		if g := got["applicant.email"]; g.State != "IN_USE" || g.PurgeAfter != "2027-01-20" {
			t.Errorf("on the day of settlement: %+v, want IN_USE through 2027-01-20", g)
		}
		env.Clock.Set(at(2027, 1, 21, 0, 0, 0))
		got = lawMe(t, env, id)
		if g := got["applicant.email"]; g.State != "DUE" {
			t.Errorf("the day after settlement: %+v, want DUE", g)
		}
	})
}
