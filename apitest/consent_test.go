package apitest_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
)

const receiptFields = `id version timestamp jurisdiction controller policyUrl policyVersion subject topic
  purpose purposeDescription purposeCategory piiCategories consentType action previousState state
  collectionMethod actor actorId reconfirmBy previousDigest digest json verified`

const setConsentMutation = `mutation Set($input: SetConsentInput!) {
  setConsent(input: $input) {
    replayed
    changes { changed consent { topic { code } state granted since reconfirmBy policyVersion receiptId } receipt { ` + receiptFields + ` } }
  }
}`

type receiptView struct {
	ID, Version, Jurisdiction, Controller, PolicyURL, PolicyVersion, Subject, Topic string
	Purpose, PurposeDescription, PurposeCategory, ConsentType                       string
	PiiCategories                                                                   []string
	Action, PreviousState, State, CollectionMethod, Actor, ActorID                  string
	Timestamp                                                                       time.Time
	ReconfirmBy, PreviousDigest                                                     *string
	Digest, JSON                                                                    string
	Verified                                                                        bool
}

type consentView struct {
	Topic         struct{ Code string }
	State         string
	Granted       bool
	Since         *time.Time
	ReconfirmBy   *string
	PolicyVersion *string
	ReceiptID     *string
}

type changeResult struct {
	Replayed bool
	Changes  []struct {
		Changed bool
		Consent consentView
		Receipt *receiptView
	}
}

// setConsent runs setConsent with the token and returns its result.
func setConsent(t *testing.T, env *apitest.Env, token string, input map[string]any) changeResult {
	t.Helper()
	var got struct{ SetConsent changeResult }
	env.Query(t, token, setConsentMutation, map[string]any{"input": input}).Decode(t, &got)
	return got.SetConsent
}

func subscriberToken(t *testing.T, env *apitest.Env, id string) string {
	t.Helper()
	return env.Token(t, id, "", auth.RoleSubscriber)
}

func minorWithGuardian(t *testing.T, env *apitest.Env, id, guardian string) {
	t.Helper()
	birth := apitest.Start.AddDate(-10, 0, 0).Format(time.DateOnly)
	if _, err := env.Feed.UpsertSubscriber(context.Background(), feed.SubscriberInput{
		ID: id, Status: models.StatusActive, SignedUpAt: apitest.Start.AddDate(-1, 0, 0), BirthDate: &birth, GuardianID: &guardian,
		Items: []feed.ItemInput{{Category: "applicant.name", Value: "박지우"}, {Category: "guardian.name", Value: "박소연"}},
	}); err != nil {
		t.Fatal(err)
	}
}

const consentsQuery = `{ me {
  consents { topic { code kind channel } state granted since reconfirmBy policyVersion receiptId }
  requiredProcessing { code basis required }
} }`

type historyPage struct {
	Me struct {
		ConsentHistory struct {
			Edges []struct {
				Cursor string
				Node   struct {
					ID, Action, From, To, Actor, ActorID, Via, PolicyVersion string
					Topic                                                    struct{ Code string }
					Reason, ClientRequestID                                  *string
					At                                                       time.Time
					Receipt                                                  receiptView
				}
			}
			PageInfo struct {
				HasNextPage     bool
				HasPreviousPage bool
				EndCursor       *string
			}
		}
	}
}

const historyQuery = `query H($first: Int, $after: String) { me { consentHistory(first: $first, after: $after) {
  edges { cursor node { id topic { code } action from to actor actorId via reason policyVersion at clientRequestId receipt { ` + receiptFields + ` } } }
  pageInfo { hasNextPage hasPreviousPage endCursor }
} } }`

// A subscriber grants and withdraws every topic; the history and receipts
// tell who, what, when, how and under which policy version.
func TestASubscriberGrantsAndWithdrawsEveryConsentTopic(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			subscriber(t, env, "sub-1", apitest.Start.AddDate(-2, 0, 0), 0, 0)
			tok := subscriberToken(t, env, "sub-1")

			var before struct {
				Me struct {
					Consents []struct {
						Topic struct {
							Code, Kind string
							Channel    *string
						}
						State string
					}
					RequiredProcessing []struct {
						Code, Basis string
						Required    bool
					}
				}
			}
			env.Query(t, tok, consentsQuery, nil).Decode(t, &before)
			var topics []string
			for _, c := range before.Me.Consents {
				topics = append(topics, c.Topic.Code)
				if c.State != "NOT_RECORDED" {
					t.Errorf("%s before any change: %s", c.Topic.Code, c.State)
				}
			}
			wantTopics := []string{"optional.number_info_service", "optional.discount_certificate", "marketing.sms", "marketing.email", "marketing.phone", "marketing.push", "marketing.night"}
			if diff := cmp.Diff(wantTopics, topics); diff != "" {
				t.Errorf("topics (-want +got):\n%s", diff)
			}
			var required []string
			for _, p := range before.Me.RequiredProcessing {
				required = append(required, p.Code+" "+p.Basis)
			}
			if diff := cmp.Diff([]string{"SERVICE CONTRACT", "OPERATIONS LEGITIMATE", "OUTSOURCING CONTRACT"}, required); diff != "" {
				t.Errorf("required processing (-want +got):\n%s", diff)
			}

			receipts := map[string]receiptView{}
			for i, topic := range topics {
				via := "WEB"
				if i%2 == 1 {
					via = "APP"
				}
				g := setConsent(t, env, tok, map[string]any{"topic": topic, "granted": true, "via": via, "clientRequestId": "grant-" + topic})
				if len(g.Changes) != 1 || !g.Changes[0].Changed || !g.Changes[0].Consent.Granted || g.Changes[0].Receipt == nil {
					t.Fatalf("grant %s: %+v", topic, g)
				}
				r := *g.Changes[0].Receipt
				receipts[r.ID] = r
				if r.Subject != "sub-1" || r.Topic != topic || r.Action != "GRANT" || r.State != "GRANTED" || r.PreviousState != "NOT_RECORDED" ||
					r.CollectionMethod != via || r.Actor != "SUBSCRIBER" || r.ActorID != "sub-1" || r.PolicyVersion != env.Catalog.Version ||
					r.Jurisdiction != "KR" || r.PolicyURL == "" || r.Controller == "" || r.ConsentType != "EXPLICIT" || !r.Verified ||
					r.Version != consent.ReceiptVersion || !r.Timestamp.Equal(env.Clock.Now()) || len(r.PiiCategories) == 0 {
					t.Errorf("grant receipt of %s = %+v", topic, r)
				}
				if marketing := strings.HasPrefix(topic, "marketing."); marketing != (r.ReconfirmBy != nil) {
					t.Errorf("%s: reconfirmBy %v", topic, r.ReconfirmBy)
				}
				env.Clock.Advance(time.Minute)
			}
			for _, topic := range topics {
				w := setConsent(t, env, tok, map[string]any{"topic": topic, "granted": false})
				r := w.Changes[0].Receipt
				if !w.Changes[0].Changed || w.Changes[0].Consent.State != "WITHDRAWN" || r.Action != "WITHDRAW" || r.PreviousState != "GRANTED" || r.PreviousDigest == nil {
					t.Errorf("withdraw %s: %+v", topic, w.Changes[0])
				}
				receipts[r.ID] = *r
				env.Clock.Advance(time.Minute)
			}

			// The history, paged, has every change once, newest first.
			var seen []string
			var after *string
			for page := 0; page < 10; page++ {
				var h historyPage
				env.Query(t, tok, historyQuery, map[string]any{"first": 4, "after": after}).Decode(t, &h)
				for _, e := range h.Me.ConsentHistory.Edges {
					n := e.Node
					want, ok := receipts[n.ID]
					if !ok {
						t.Fatalf("history has an unknown event %s", n.ID)
					}
					if diff := cmp.Diff(want, n.Receipt); diff != "" || !n.Receipt.Verified {
						t.Errorf("receipt %s in the history differs from the one issued (-issued +history):\n%s", n.ID, diff)
					}
					if n.Actor != "SUBSCRIBER" || n.PolicyVersion != env.Catalog.Version || n.Topic.Code != want.Topic || n.To != want.State {
						t.Errorf("event %+v", n)
					}
					seen = append(seen, n.Topic.Code+" "+n.Action)
				}
				if !h.Me.ConsentHistory.PageInfo.HasNextPage {
					break
				}
				after = h.Me.ConsentHistory.PageInfo.EndCursor
			}
			if len(seen) != 2*len(topics) {
				t.Fatalf("history has %d events, want %d", len(seen), 2*len(topics))
			}
			if seen[0] != "marketing.night WITHDRAW" || seen[len(seen)-1] != "optional.number_info_service GRANT" {
				t.Errorf("history not newest first: %v", seen)
			}

			// A receipt can be checked later by its id.
			var one struct {
				Me struct{ ConsentReceipt receiptView }
			}
			for id := range receipts {
				env.Query(t, tok, `query R($id: ID!) { me { consentReceipt(id: $id) { `+receiptFields+` } } }`, map[string]any{"id": id}).Decode(t, &one)
				if !one.Me.ConsentReceipt.Verified || one.Me.ConsentReceipt.Digest != receipts[id].Digest {
					t.Errorf("receipt %s read back: %+v", id, one.Me.ConsentReceipt)
				}
				break
			}
			res := env.Query(t, tok, `{ me { consentReceipt(id: "no-such-receipt") { id } } }`, nil)
			if diff := cmp.Diff([]string{"NOT_FOUND"}, res.Codes()); diff != "" {
				t.Errorf("unknown receipt codes (-want +got):\n%s", diff)
			}
		})
	}
}

// Withdrawing the discount-certificate consent makes that holding due for
// the next purge, at once; nothing else changes.
func TestWithdrawingTheDiscountCertificateConsentMakesThatHoldingDue(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			subscriber(t, env, "sub-1", apitest.Start.AddDate(-2, 0, 0), 0, 0)
			tok := subscriberToken(t, env, "sub-1")
			states := func() map[string]string {
				var got meData
				env.Query(t, tok, meQuery, nil).Decode(t, &got)
				out := map[string]string{}
				for _, h := range got.Me.Holdings {
					s := h.Retention.State
					if h.Retention.PurgeAfter != nil {
						s += " " + *h.Retention.PurgeAfter
					}
					out[h.Category.Code] = s
				}
				return out
			}
			before := states()
			if before["optional.discount_certificate"] != "IN_USE" {
				t.Fatalf("before: %v", before)
			}
			setConsent(t, env, tok, map[string]any{"topic": "optional.discount_certificate", "granted": false})

			after := states()
			want := map[string]string{}
			for k, v := range before {
				want[k] = v
			}
			want["optional.discount_certificate"] = "DUE " + models.DateOf(apitest.Start).String()
			if diff := cmp.Diff(want, after); diff != "" {
				t.Errorf("holdings after the withdrawal (-want +got):\n%s", diff)
			}
			// The purge finds it by its stored date.
			hs, err := env.DB.ListHoldings(context.Background(), "sub-1")
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				if due := h.Category == "optional.discount_certificate"; due != (h.PurgeAfter != nil) {
					t.Errorf("%s: stored purge date %v", h.Category, h.PurgeAfter)
				}
			}
		})
	}
}

// For a subscriber under 14 only the recorded guardian changes consents:
// the child's own token is refused with a clear message.
func TestAMinorsConsentsChangeOnlyThroughTheGuardian(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			minorWithGuardian(t, env, "minor-1", "guardian-1")
			input := map[string]any{"input": map[string]any{"topic": "marketing.push", "granted": true}}

			res := env.Query(t, subscriberToken(t, env, "minor-1"), setConsentMutation, input)
			if diff := cmp.Diff([]string{"FORBIDDEN"}, res.Codes()); diff != "" {
				t.Fatalf("the minor's own token: codes (-want +got):\n%s", diff)
			}
			if msg := res.Errors[0].Message; !strings.Contains(msg, "under 14") || !strings.Contains(msg, "guardian") {
				t.Errorf("message %q does not say why", msg)
			}
			res = env.Query(t, env.Token(t, "minor-1", "guardian-2", auth.RoleSubscriber), setConsentMutation, input)
			if diff := cmp.Diff([]string{"FORBIDDEN"}, res.Codes()); diff != "" {
				t.Errorf("another guardian: codes (-want +got):\n%s", diff)
			}

			got := setConsent(t, env, env.Token(t, "minor-1", "guardian-1", auth.RoleSubscriber), map[string]any{"topic": "marketing.push", "granted": true})
			r := got.Changes[0].Receipt
			if r.Actor != "GUARDIAN" || r.ActorID != "guardian-1" || r.Subject != "minor-1" {
				t.Errorf("the guardian's change is recorded as %s %s for %s", r.Actor, r.ActorID, r.Subject)
			}
			// The child may still look.
			var h historyPage
			env.Query(t, subscriberToken(t, env, "minor-1"), historyQuery, nil).Decode(t, &h)
			if e := h.Me.ConsentHistory.Edges; len(e) != 1 || e[0].Node.Actor != "GUARDIAN" {
				t.Errorf("the minor's history = %+v", e)
			}
		})
	}
}

// Bad input, staff without a reason or an assigned request, and a reused
// request id get a clear error and write nothing.
func TestConsentMutationsRefuseBadInputAndWriteNothing(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			subscriber(t, env, "sub-1", apitest.Start.AddDate(-2, 0, 0), 0, 0)
			tok := subscriberToken(t, env, "sub-1")
			setConsent(t, env, tok, map[string]any{"topic": "marketing.sms", "granted": true, "clientRequestId": "once"})
			agent := env.Token(t, "agent-1", "", auth.RoleAgent)
			admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
			batch := `mutation B($input: SetConsentsInput!) { setConsents(input: $input) { changes { changed } } }`
			tests := []struct {
				name     string
				token    string
				query    string
				input    map[string]any
				wantCode string
				wantMsg  string
			}{
				{name: "unknown topic", token: tok, input: map[string]any{"topic": "marketing.fax", "granted": true}, wantCode: "BAD_USER_INPUT", wantMsg: "unknown consent topic"},
				{name: "a channel of another topic", token: tok, input: map[string]any{"topic": "marketing.sms", "granted": true, "channel": "EMAIL"}, wantCode: "BAD_USER_INPUT", wantMsg: "does not belong"},
				{name: "night-time consent for e-mail", token: tok, input: map[string]any{"topic": "marketing.night", "granted": true, "channel": "EMAIL"}, wantCode: "BAD_USER_INPUT", wantMsg: "e-mail"},
				{name: "an unknown channel", token: tok, input: map[string]any{"topic": "marketing.sms", "granted": true, "channel": "FAX"}, wantCode: "BAD_USER_INPUT"},
				{name: "a batch with one bad change", token: tok, query: batch, input: map[string]any{"changes": []any{map[string]any{"topic": "marketing.email", "granted": true}, map[string]any{"topic": "nope", "granted": true}}}, wantCode: "BAD_USER_INPUT"},
				{name: "an agent without a reason", token: agent, input: map[string]any{"topic": "marketing.email", "granted": false, "subscriberId": "sub-1"}, wantCode: "BAD_USER_INPUT", wantMsg: "reason"},
				{name: "an agent with a reason", token: agent, input: map[string]any{"topic": "marketing.email", "granted": false, "subscriberId": "sub-1", "reason": "asked at the desk", "via": "AGENT_DESK"}, wantCode: "FORBIDDEN", wantMsg: "assigned"},
				{name: "an admin with a reason", token: admin, input: map[string]any{"topic": "marketing.email", "granted": false, "subscriberId": "sub-1", "reason": "asked at the desk"}, wantCode: "FORBIDDEN", wantMsg: "assigned"},
				{name: "a feeding system", token: env.Token(t, "crm", "", auth.RoleSystem), input: map[string]any{"topic": "marketing.email", "granted": true}, wantCode: "FORBIDDEN"},
				{name: "no token", input: map[string]any{"topic": "marketing.email", "granted": true}, wantCode: "UNAUTHENTICATED"},
				{name: "a request id reused for another change", token: tok, input: map[string]any{"topic": "marketing.email", "granted": true, "clientRequestId": "once"}, wantCode: "CONFLICT", wantMsg: "different change"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					q := tc.query
					if q == "" {
						q = setConsentMutation
					}
					res := env.Query(t, tc.token, q, map[string]any{"input": tc.input})
					if diff := cmp.Diff([]string{tc.wantCode}, res.Codes()); diff != "" {
						t.Fatalf("codes (-want +got):\n%s\nerrors: %+v", diff, res.Errors)
					}
					if !strings.Contains(res.Errors[0].Message, tc.wantMsg) {
						t.Errorf("message %q does not contain %q", res.Errors[0].Message, tc.wantMsg)
					}
				})
			}
			var h historyPage
			env.Query(t, tok, historyQuery, nil).Decode(t, &h)
			if n := len(h.Me.ConsentHistory.Edges); n != 1 {
				t.Errorf("history has %d events after the refused calls, want 1", n)
			}
			out, err := env.DB.ListOutbox(context.Background(), "sub-1", 100)
			if err != nil || len(out) != 1 {
				t.Errorf("outbox has %d notices (%v), want 1", len(out), err)
			}
			// The same request id with the same change is a replay.
			again := setConsent(t, env, tok, map[string]any{"topic": "marketing.sms", "granted": true, "clientRequestId": "once"})
			if !again.Replayed || !again.Changes[0].Changed {
				t.Errorf("replay = %+v", again)
			}
		})
	}
}

// Fifty concurrent changes to one topic leave a consistent history: every
// call either changed the topic, found it already as asked, or got CONFLICT
// and wrote nothing; the events form one unbroken chain whose last state is
// the current one, one result notice per change.
func TestFiftyConcurrentChangesKeepTheHistoryConsistent(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			subscriber(t, env, "sub-1", apitest.Start.AddDate(-2, 0, 0), 0, 0)
			tok := subscriberToken(t, env, "sub-1")
			const n = 50
			type outcome struct {
				code    string
				changed bool
			}
			results := make([]outcome, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					input := map[string]any{"topic": "optional.discount_certificate", "granted": i%2 == 0}
					if i%5 == 0 {
						// Some are double submits of one request.
						input = map[string]any{"topic": "optional.discount_certificate", "granted": true, "clientRequestId": "double"}
					}
					res := env.Query(t, tok, `mutation S($input: SetConsentInput!) { setConsent(input: $input) { replayed changes { changed } } }`, map[string]any{"input": input})
					if len(res.Errors) > 0 {
						results[i] = outcome{code: res.Errors[0].Code()}
						return
					}
					var got struct {
						SetConsent struct {
							Replayed bool
							Changes  []struct{ Changed bool }
						}
					}
					res.Decode(t, &got)
					results[i] = outcome{code: "OK", changed: got.SetConsent.Changes[0].Changed && !got.SetConsent.Replayed}
				}()
			}
			wg.Wait()

			changes := 0
			codes := map[string]int{}
			for _, r := range results {
				codes[r.code]++
				if r.changed {
					changes++
				}
			}
			if codes["OK"]+codes["CONFLICT"] != n {
				t.Fatalf("outcomes %v: want only successes and CONFLICT", codes)
			}
			ctx := context.Background()
			evs, _, err := env.DB.ListConsentEvents(ctx, models.ConsentEventPage{SubscriberID: "sub-1", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			sort.Slice(evs, func(i, j int) bool { return evs[i].Seq < evs[j].Seq })
			if len(evs) != changes {
				t.Errorf("%d events for %d reported changes (outcomes %v)", len(evs), changes, codes)
			}
			if err := consent.VerifyChain(evs); err != nil {
				t.Errorf("the history is inconsistent: %v", err)
			}
			cur, err := env.DB.ListConsents(ctx, "sub-1")
			if err != nil || len(cur) != 1 {
				t.Fatalf("current = %+v, %v", cur, err)
			}
			if last := evs[len(evs)-1]; cur[0].Seq != last.Seq || cur[0].State != last.ToState || cur[0].ReceiptID != last.ReceiptID {
				t.Errorf("current %+v does not match the last event %+v", cur[0], last)
			}
			out, err := env.DB.ListOutbox(ctx, "sub-1", 1000)
			if err != nil || len(out) != changes {
				t.Errorf("%d result notices for %d changes (%v)", len(out), changes, err)
			}
			// The holding's stored purge date follows the final state.
			hs, err := env.DB.ListHoldings(ctx, "sub-1")
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				if h.Category == "optional.discount_certificate" && (h.PurgeAfter != nil) != (cur[0].State == "WITHDRAWN") {
					t.Errorf("purge date %v with the consent %s", h.PurgeAfter, cur[0].State)
				}
			}
			t.Logf("%s: %v, %d changes", d, codes, changes)
		})
	}
}

// Marketing consents are reconfirmed by the subscriber, and admins see the
// reconfirmation queue.
func TestMarketingReconfirmationOverHTTP(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			for _, id := range []string{"sub-1", "sub-2"} {
				subscriber(t, env, id, apitest.Start.AddDate(-2, 0, 0), 0, 0)
				setConsent(t, env, subscriberToken(t, env, id), map[string]any{"topic": "marketing.sms", "granted": true})
				setConsent(t, env, subscriberToken(t, env, id), map[string]any{"topic": "marketing.email", "granted": true})
			}
			env.Clock.Set(apitest.Start.AddDate(2, 0, -10))
			admin := env.Token(t, "admin-1", "", auth.RoleAdmin)
			const dueQuery = `query D($first: Int, $after: String) { reconfirmationsDue(first: $first, after: $after) {
  edges { cursor node { subscriberId topic { code } since reconfirmBy } } pageInfo { hasNextPage endCursor } } }`
			type duePage struct {
				ReconfirmationsDue struct {
					Edges []struct {
						Node struct {
							SubscriberID string
							Topic        struct{ Code string }
							ReconfirmBy  string
						}
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
			var queue []string
			var after *string
			for range 5 {
				var p duePage
				env.Query(t, admin, dueQuery, map[string]any{"first": 3, "after": after}).Decode(t, &p)
				for _, e := range p.ReconfirmationsDue.Edges {
					queue = append(queue, fmt.Sprintf("%s %s %s", e.Node.SubscriberID, e.Node.Topic.Code, e.Node.ReconfirmBy))
				}
				if !p.ReconfirmationsDue.PageInfo.HasNextPage {
					break
				}
				after = p.ReconfirmationsDue.PageInfo.EndCursor
			}
			by := models.DateOf(apitest.Start.AddDate(2, 0, 0)).String()
			want := []string{"sub-1 marketing.email " + by, "sub-1 marketing.sms " + by, "sub-2 marketing.email " + by, "sub-2 marketing.sms " + by}
			if diff := cmp.Diff(want, queue); diff != "" {
				t.Errorf("queue (-want +got):\n%s", diff)
			}
			res := env.Query(t, subscriberToken(t, env, "sub-1"), dueQuery, nil)
			if diff := cmp.Diff([]string{"FORBIDDEN"}, res.Codes()); diff != "" {
				t.Errorf("a subscriber reading the queue: codes (-want +got):\n%s", diff)
			}

			var got struct{ ReconfirmMarketingConsents changeResult }
			env.Query(t, subscriberToken(t, env, "sub-1"), `mutation { reconfirmMarketingConsents(input: {via: APP}) { replayed changes { changed consent { topic { code } state reconfirmBy } receipt { action state collectionMethod } } } }`, nil).Decode(t, &got)
			newBy := models.DateOf(env.Clock.Now().AddDate(2, 0, 0)).String()
			for _, c := range got.ReconfirmMarketingConsents.Changes {
				if !c.Changed || c.Receipt.Action != "RECONFIRM" || c.Consent.ReconfirmBy == nil || *c.Consent.ReconfirmBy != newBy {
					t.Errorf("reconfirmed %s: %+v", c.Consent.Topic.Code, c)
				}
			}
			var after2 duePage
			env.Query(t, admin, dueQuery, nil).Decode(t, &after2)
			if n := len(after2.ReconfirmationsDue.Edges); n != 2 {
				t.Errorf("queue after sub-1 reconfirmed has %d entries, want sub-2's 2", n)
			}
		})
	}
}

// Reading consents and their history costs a fixed number of statements,
// however long the history is.
func TestConsentReadsCostAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			env := apitest.New(t, d)
			subscriber(t, env, "small", apitest.Start.AddDate(-2, 0, 0), 0, 0)
			subscriber(t, env, "large", apitest.Start.AddDate(-2, 0, 0), 0, 0)
			setConsent(t, env, subscriberToken(t, env, "small"), map[string]any{"topic": "marketing.sms", "granted": true})
			for i := range 30 {
				setConsent(t, env, subscriberToken(t, env, "large"), map[string]any{"topic": "marketing.sms", "granted": i%2 == 0})
				setConsent(t, env, subscriberToken(t, env, "large"), map[string]any{"topic": "marketing.push", "granted": i%2 == 0})
			}
			q := `{ me { consents { state receiptId } consentHistory(first: 100) { edges { node { id receipt { verified } } } } } }`
			count := func(sub string) int64 {
				before := env.DB.Statements()
				res := env.Query(t, subscriberToken(t, env, sub), q, nil)
				if len(res.Errors) > 0 {
					t.Fatalf("errors: %+v", res.Errors)
				}
				return env.DB.Statements() - before
			}
			if small, large := count("small"), count("large"); small != large {
				t.Errorf("statements: %d for a short history, %d for a long one; want the same", small, large)
			}
		})
	}
}
