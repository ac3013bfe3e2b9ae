package apitest_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
)

// kst is noon in Korea on the given day: far from any date boundary.
func kst(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 3, 0, 0, 0, time.UTC)
}

type itemView struct {
	State      string
	PurgeAfter string
	OpenReason string
}

// inventoryAt asks me, as the subscriber, at the env's current time, and
// returns each holding by category and each record by external kind+date.
func inventoryAt(t *testing.T, env *apitest.Env, id string) map[string]itemView {
	t.Helper()
	var got struct {
		Me struct {
			Holdings []struct {
				Category  struct{ Code string }
				Retention struct {
					State      string
					PurgeAfter *string
					OpenReason *string
				}
			}
			Records struct {
				Edges []struct {
					Node struct {
						Kind       struct{ Code string }
						OccurredAt time.Time
						Retention  struct {
							State      string
							PurgeAfter *string
							OpenReason *string
						}
					}
				}
			}
		}
	}
	env.Query(t, env.Token(t, id, "", auth.RoleSubscriber), `{ me { holdings { category { code } retention { state purgeAfter openReason } } records(first: 100) { edges { node { kind { code } occurredAt retention { state purgeAfter openReason } } } } } }`, nil).Decode(t, &got)
	out := map[string]itemView{}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, h := range got.Me.Holdings {
		out[h.Category.Code] = itemView{h.Retention.State, str(h.Retention.PurgeAfter), str(h.Retention.OpenReason)}
	}
	for _, e := range got.Me.Records.Edges {
		n := e.Node
		out[n.Kind.Code+"@"+n.OccurredAt.Format(time.DateOnly)] = itemView{n.Retention.State, str(n.Retention.PurgeAfter), str(n.Retention.OpenReason)}
	}
	return out
}

// TestLifeOfASubscriberThroughTheAPI walks one subscriber from sign-up to
// the end of the tax clause, fed the way the operator feeds, and checks what
// the portal tells them at each step, on both stores.
func TestLifeOfASubscriberThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := apitest.New(t, d)
			const id = "life-1"
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}

			// 2020-01-15: signs up with a name, an e-mail and a discount certificate.
			env.Clock.Set(kst(2020, 1, 15))
			_, err := env.Feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: kst(2020, 1, 15), Items: []feed.ItemInput{
				{Category: "applicant.name", Value: "홍길동"},
				{Category: "applicant.email", Value: "gildong.hong@example.com"},
			}})
			must(err)

			// Uses the service for years: pays, is billed, sends messages.
			env.Clock.Set(kst(2026, 3, 5))
			_, err = env.Feed.AppendRecords(ctx, id, []feed.RecordInput{
				{Kind: "PAYMENT", OccurredAt: kst(2025, 6, 1), ExternalID: "pay-1"},
				{Kind: "BILLING", OccurredAt: kst(2025, 5, 31), ExternalID: "bill-1"},
				{Kind: "USAGE", OccurredAt: kst(2025, 6, 3), ExternalID: "use-1"},
				{Kind: "MESSAGE_CONTENT", OccurredAt: kst(2026, 3, 1), ExternalID: "msg-1"},
			})
			must(err)

			t.Run("while active, everything is in use until termination, but messages go in 28 days", func(t *testing.T) {
				got := inventoryAt(t, env, id)
				want := map[string]itemView{
					"applicant.name":             {"IN_USE", "", "ACTIVE_SUBSCRIPTION"},
					"applicant.email":            {"IN_USE", "", "ACTIVE_SUBSCRIPTION"},
					"PAYMENT@2025-06-01":         {"IN_USE", "", "ACTIVE_SUBSCRIPTION"},
					"BILLING@2025-05-31":         {"IN_USE", "", "ACTIVE_SUBSCRIPTION"},
					"USAGE@2025-06-03":           {"IN_USE", "", "ACTIVE_SUBSCRIPTION"},
					"MESSAGE_CONTENT@2026-03-01": {"IN_USE", "2026-03-29", ""},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})

			// 2026-03-10: terminates with fees unpaid.
			env.Clock.Set(kst(2026, 3, 10))
			_, err = env.Feed.Terminate(ctx, id, kst(2026, 3, 10))
			must(err)
			_, err = env.Feed.SetBillingState(ctx, id, models.BillingUnpaid, kst(2026, 3, 10))
			must(err)

			t.Run("after termination with unpaid fees, the six months wait until they are settled", func(t *testing.T) {
				env.Clock.Set(kst(2026, 11, 1))
				got := inventoryAt(t, env, id)
				// Unpaid fees stop the post-termination clock and hold
				// nothing else: message content went on time (issue 12,
				// finding 1).
				want := map[string]itemView{
					"applicant.name":             {"IN_USE", "", "FEES_UNRESOLVED"},
					"applicant.email":            {"IN_USE", "", "FEES_UNRESOLVED"},
					"PAYMENT@2025-06-01":         {"IN_USE", "", "FEES_UNRESOLVED"},
					"BILLING@2025-05-31":         {"IN_USE", "", "FEES_UNRESOLVED"},
					"USAGE@2025-06-03":           {"IN_USE", "", "FEES_UNRESOLVED"},
					"MESSAGE_CONTENT@2026-03-01": {"DUE", "2026-03-29", ""},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})

			// 2027-01-20: the fees are settled.
			env.Clock.Set(kst(2027, 1, 20))
			_, err = env.Feed.SetBillingState(ctx, id, models.BillingSettled, kst(2027, 1, 20))
			must(err)

			t.Run("once settled, what only the contract kept is due; statutes keep their fields", func(t *testing.T) {
				env.Clock.Set(kst(2027, 2, 1))
				got := inventoryAt(t, env, id)
				// Tax: the last fee record is the payment of 2025-06-01. Its
				// VAT return (first half of 2025) was due 2025-07-25, a
				// Friday; its corporate tax return (fiscal 2025) 2026-03-31,
				// a Tuesday. The later governs: five years from 2026-04-01,
				// through 2031-03-31, for the fee records and the name. The
				// E-Commerce Act's five years for the payment (through
				// 2030-06-01) end earlier.
				want := map[string]itemView{
					"applicant.name":             {"RETAINED_BY_STATUTE", "2031-03-31", ""},
					"applicant.email":            {"DUE", "2027-01-20", ""},
					"PAYMENT@2025-06-01":         {"RETAINED_BY_STATUTE", "2031-03-31", ""},
					"BILLING@2025-05-31":         {"RETAINED_BY_STATUTE", "2031-03-31", ""},
					"USAGE@2025-06-03":           {"DUE", "2027-01-20", ""},
					"MESSAGE_CONTENT@2026-03-01": {"DUE", "2026-03-29", ""},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})

			t.Run("the tax clause keeps its fields through its last day in Korea", func(t *testing.T) {
				env.Clock.Set(time.Date(2031, 3, 31, 14, 59, 59, 0, time.UTC))
				got := inventoryAt(t, env, id)
				for _, k := range []string{"applicant.name", "PAYMENT@2025-06-01", "BILLING@2025-05-31"} {
					if got[k].State != "RETAINED_BY_STATUTE" {
						t.Errorf("%s at 23:59:59 KST on its last day = %+v, want RETAINED_BY_STATUTE", k, got[k])
					}
				}
			})

			t.Run("years later, the tax clause has ended too", func(t *testing.T) {
				// Midnight KST: 15:00 UTC the day before.
				env.Clock.Set(time.Date(2031, 3, 31, 15, 0, 0, 0, time.UTC))
				got := inventoryAt(t, env, id)
				for k, v := range got {
					if v.State != "DUE" {
						t.Errorf("%s = %+v, want DUE", k, v)
					}
				}
			})
		})
	}
}
