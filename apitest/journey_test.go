package apitest_test

import (
	"context"
	"testing"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
)

type purgeReport struct {
	RunPurge struct {
		Erased, SkippedHeld int
		Counts              []struct {
			Clause, ItemType, Code string
			Erased, SkippedHeld    int
		}
	}
}

const runPurge = `mutation { runPurge { erased skippedHeld counts { clause itemType code erased skippedHeld } } }`

// The whole journey of issue 5 on both stores: a subscriber disputes a bill
// → its records are held and a purge run skips them → an agent is assigned,
// comments, resolves → the hold is released → the next purge erases what is
// due, and the subscriber sees what went and under which clause.
func TestDisputeHoldsThePurgeUntilResolved(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := apitest.New(t, d)
			env.Clock.Set(kst(2026, 1, 10))
			subscriber(t, env, "sub-1", kst(2021, 3, 2), 0, 0)
			if _, err := env.Feed.AppendRecords(ctx, "sub-1", []feed.RecordInput{
				{Kind: "USAGE", OccurredAt: kst(2025, 12, 3), ExternalID: "use-12", Summary: "문자 120건"},
				{Kind: "USAGE", OccurredAt: kst(2025, 11, 3), ExternalID: "use-11", Summary: "문자 90건"},
				{Kind: "BILLING", OccurredAt: kst(2025, 12, 31), ExternalID: "bill-12", Summary: "청구 33000원"},
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Feed.Terminate(ctx, "sub-1", kst(2026, 1, 10)); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Feed.SetBillingState(ctx, "sub-1", models.BillingSettled, kst(2026, 1, 10)); err != nil {
				t.Fatal(err)
			}
			// Seven months later: the post-termination period has ended.
			env.Clock.Set(kst(2026, 8, 20))
			subTok := env.Token(t, "sub-1", "", auth.RoleSubscriber)
			agentTok := env.Token(t, "agent-1", "", auth.RoleAgent)
			adminTok := env.Token(t, "admin-1", "", auth.RoleAdmin)

			var filed struct{ FileRequest struct{ ID string } }
			do(t, env, subTok, `mutation { fileRequest(input: {type: DISPUTE, scope: {recordKinds: ["USAGE"]}, reason: "12월 청구의 사용량이 틀렸습니다", idempotencyKey: "dispute-usage-1"}) { id } }`, nil, &filed)

			var first purgeReport
			do(t, env, adminTok, runPurge, nil, &first)
			if first.RunPurge.SkippedHeld != 2 {
				t.Errorf("first run skipped %d held items, want the 2 disputed usage records: %+v", first.RunPurge.SkippedHeld, first.RunPurge)
			}
			if first.RunPurge.Erased == 0 {
				t.Errorf("first run erased nothing; the e-mail and phone were due")
			}
			keys, _ := env.DB.RecordKeys(ctx, "sub-1", 0, 100)
			usage := 0
			for _, k := range keys {
				if k.Kind == "USAGE" {
					usage++
				}
			}
			if usage != 2 {
				t.Fatalf("%d usage records survive the first run, want 2 (held)", usage)
			}

			id := filed.FileRequest.ID
			do(t, env, agentTok, `mutation($id: ID!) { assignRequest(id: $id, assigneeId: "agent-1") { id } }`, map[string]any{"id": id}, nil)
			do(t, env, agentTok, `mutation($id: ID!) { commentOnRequest(id: $id, body: "사용 기록을 확인했습니다") { id } }`, map[string]any{"id": id}, nil)
			do(t, env, agentTok, `mutation($id: ID!) { resolveRequest(input: {id: $id, resolution: REJECTED, reasonCode: "USAGE_CORRECT", text: "사용 기록이 정확합니다"}) { id } }`, map[string]any{"id": id}, nil)

			var second purgeReport
			do(t, env, adminTok, runPurge, nil, &second)
			if second.RunPurge.Erased != 2 || second.RunPurge.SkippedHeld != 0 {
				t.Errorf("second run = %+v, want the 2 released usage records erased", second.RunPurge)
			}
			keys, _ = env.DB.RecordKeys(ctx, "sub-1", 0, 100)
			for _, k := range keys {
				if k.Kind == "USAGE" {
					t.Errorf("a usage record survived the second run")
				}
			}

			var me struct {
				Me struct {
					Erased []struct {
						ItemType, Code, Explanation string
						Count                       int
						Clause                      struct{ Code string }
					}
				}
			}
			do(t, env, subTok, `{ me { erased { itemType code count clause { code } explanation(lang: EN) } } }`, nil, &me)
			found := false
			for _, e := range me.Me.Erased {
				if e.Code == "USAGE" && e.Count == 2 && e.Clause.Code == "POST_TERMINATION" {
					found = true
				}
			}
			if !found {
				t.Errorf("me.erased = %+v, want the 2 usage records erased under POST_TERMINATION", me.Me.Erased)
			}
			// Non-admins cannot run the purge.
			if res := env.Query(t, agentTok, runPurge, nil); len(res.Codes()) != 1 || res.Codes()[0] != "FORBIDDEN" {
				t.Errorf("agent running the purge: %v", res.Codes())
			}
		})
	}
}
