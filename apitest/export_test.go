package apitest_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/demo"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
)

// The access export of a demo subscriber holds every item and record `me`
// shows, in the clear, with purposes, clauses, laws, purge dates, sources
// and collection dates, consents and their history; it matches its
// committed JSON Schema and has a readable rendering; it holds nothing of
// anyone else; only the subscriber or the guardian downloads it, each
// download is audited, and it is deleted once it expires.
func TestAccessExportInFull(t *testing.T) {
	bothStores(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		if _, err := demo.Seed(ctx, env.DB, env.Feed, env.Consent, env.Requests, env.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		subTok := env.Token(t, demo.ActiveID, "", auth.RoleSubscriber)

		// What me shows: every holding and record, masked.
		var me struct {
			Me struct {
				Holdings []struct {
					ID, Value string
					Encrypted bool
					Category  struct{ Code string }
				}
			}
		}
		do(t, env, subTok, `{ me { holdings { id value encrypted category { code } } } }`, nil, &me)
		shownRecords := map[string]string{}
		var after *string
		for {
			var page struct {
				Me struct {
					Records struct {
						Edges    []struct{ Node struct{ ID, Summary string } }
						PageInfo struct {
							HasNextPage bool
							EndCursor   *string
						}
					}
				}
			}
			do(t, env, subTok, `query($after: String) { me { records(first: 100, after: $after) { edges { node { id summary } } pageInfo { hasNextPage endCursor } } } }`, map[string]any{"after": after}, &page)
			for _, e := range page.Me.Records.Edges {
				shownRecords[strings.TrimPrefix(e.Node.ID, "Record:")] = e.Node.Summary
			}
			if !page.Me.Records.PageInfo.HasNextPage {
				break
			}
			after = page.Me.Records.PageInfo.EndCursor
		}

		acc := fileReq(t, env, subTok, map[string]any{"type": "ACCESS", "idempotencyKey": "access-demo-0001"})
		exportQ := `query($id: ID!) { request(id: $id) { export { expiresAt digest format document rendering(lang: EN) } } }`
		var got struct {
			Request struct {
				Export *struct {
					ExpiresAt                           time.Time
					Digest, Format, Document, Rendering string
				}
			}
		}
		do(t, env, subTok, exportQ, map[string]any{"id": acc.ID}, &got)
		ex := got.Request.Export
		if ex == nil || ex.Format != requests.ExportFormat || !ex.ExpiresAt.Equal(env.Clock.Now().UTC().Truncate(time.Microsecond).Add(7*24*time.Hour)) {
			t.Fatalf("export = %+v", ex)
		}

		// The document matches the committed schema.
		var schemaText struct{ AccessExportSchema string }
		do(t, env, "", `{ accessExportSchema }`, nil, &schemaText)
		c := jsonschema.NewCompiler()
		sch, err := jsonschema.UnmarshalJSON(strings.NewReader(schemaText.AccessExportSchema))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("export.schema.json", sch); err != nil {
			t.Fatal(err)
		}
		schema, err := c.Compile("export.schema.json")
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(ex.Document))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Fatalf("the export does not match its schema: %v", err)
		}

		var doc struct {
			Subscriber struct{ ID string }
			Purposes   []struct{ Code string }
			Holdings   []exportedItem
			Records    []exportedItem
			Consents   []struct{ Topic, State string }
			History    []struct{ Topic, To string } `json:"consentHistory"`
		}
		if err := json.Unmarshal([]byte(ex.Document), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Subscriber.ID != demo.ActiveID || len(doc.Purposes) == 0 || len(doc.Consents) == 0 || len(doc.History) < len(doc.Consents) {
			t.Errorf("export subscriber %q, %d purposes, %d consents, %d history events", doc.Subscriber.ID, len(doc.Purposes), len(doc.Consents), len(doc.History))
		}
		byID := map[string]exportedItem{}
		for _, it := range append(doc.Holdings, doc.Records...) {
			byID[it.ID] = it
		}
		for _, h := range me.Me.Holdings {
			it, ok := byID[h.ID]
			if !ok {
				t.Errorf("holding %s (%s) that me shows is not in the export", h.ID, h.Category.Code)
				continue
			}
			cat, _ := env.Catalog.Category(h.Category.Code)
			if protect.Mask(cat.Mask, it.Value) != h.Value || (h.Encrypted && it.Value == h.Value) {
				t.Errorf("holding %s: export value masks to %q, me shows %q (encrypted %v)", h.Category.Code, protect.Mask(cat.Mask, it.Value), h.Value, h.Encrypted)
			}
			it.check(t)
		}
		if len(doc.Holdings) != len(me.Me.Holdings) || len(doc.Records) != len(shownRecords) {
			t.Errorf("export holds %d holdings and %d records, me shows %d and %d", len(doc.Holdings), len(doc.Records), len(me.Me.Holdings), len(shownRecords))
		}
		for id, masked := range shownRecords {
			it, ok := byID[id]
			if !ok {
				t.Errorf("record %s that me shows is not in the export", id)
				continue
			}
			kind, _ := env.Catalog.RecordKind(it.Code)
			if protect.Mask(kind.Mask, it.Value) != masked {
				t.Errorf("record %s: export content masks to %q, me shows %q", id, protect.Mask(kind.Mask, it.Value), masked)
			}
			it.check(t)
		}

		// Nothing of anyone else: no other subscriber's id, value or record.
		for _, other := range []string{demo.TerminatedID, demo.MinorID} {
			if strings.Contains(ex.Document, other) {
				t.Errorf("the export names %s", other)
			}
			hs, err := env.DB.ListHoldings(ctx, other)
			if err != nil {
				t.Fatal(err)
			}
			otherSubj, err := env.Inventory.Load(ctx, other)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				v, err := env.Inventory.Reveal(otherSubj, h)
				if err != nil {
					t.Fatal(err)
				}
				if len(v) >= 6 && strings.Contains(ex.Document, strconv.Quote(v)) && !ownValue(doc.Holdings, v) {
					t.Errorf("the export holds %s's %s", other, h.Category)
				}
			}
		}

		// The rendering reads the same facts.
		for _, want := range []string{"# Your personal data", "## Items held", "## Records", "## Consent history", "Kept under"} {
			if !strings.Contains(ex.Rendering, want) {
				t.Errorf("rendering lacks %q", want)
			}
		}

		// Only the subscriber downloads it; staff and others get nothing.
		admin := env.Token(t, demo.AdminID, "", auth.RoleAdmin)
		var staffView struct {
			Request struct{ Export *struct{ Document string } }
		}
		do(t, env, admin, `query($id: ID!) { request(id: $id) { export { document } } }`, map[string]any{"id": acc.ID}, &staffView)
		if staffView.Request.Export != nil {
			t.Errorf("an admin downloaded the subscriber's export")
		}
		wantCode(t, env.Query(t, env.Token(t, demo.TerminatedID, "", auth.RoleSubscriber), exportQ, map[string]any{"id": acc.ID}), "NOT_FOUND", "")
		// Every download is audited: two so far.
		do(t, env, subTok, exportQ, map[string]any{"id": acc.ID}, nil)
		var audits struct {
			AuditEvents struct {
				Edges []struct{ Node struct{ ActorID string } }
			}
		}
		do(t, env, admin, `{ auditEvents(filter: {subjectId: "`+demo.ActiveID+`", action: "`+requests.ActionExportDownload+`"}) { edges { node { actorId } } } }`, nil, &audits)
		if n := len(audits.AuditEvents.Edges); n != 2 {
			t.Errorf("%d audited downloads, want 2", n)
		}

		// The guardian downloads the export of the child they act for.
		guardTok := env.Token(t, demo.MinorID, demo.GuardianID, auth.RoleSubscriber)
		gacc := fileReq(t, env, guardTok, map[string]any{"type": "ACCESS", "idempotencyKey": "access-minor-001"})
		var gview struct {
			Request struct{ Export *struct{ Document string } }
		}
		do(t, env, guardTok, `query($id: ID!) { request(id: $id) { export { document } } }`, map[string]any{"id": gacc.ID}, &gview)
		if gview.Request.Export == nil || !strings.Contains(gview.Request.Export.Document, demo.MinorID) || strings.Contains(gview.Request.Export.Document, demo.ActiveID) {
			t.Errorf("the guardian's download = %+v", gview.Request.Export)
		}

		// Expired: no download, and the purge deletes it.
		env.Clock.Advance(7*24*time.Hour + time.Second)
		subTok = env.Token(t, demo.ActiveID, "", auth.RoleSubscriber)
		do(t, env, subTok, exportQ, map[string]any{"id": acc.ID}, &got)
		if got.Request.Export != nil {
			t.Errorf("an expired export was downloaded")
		}
		rep, err := env.Purge.Run(ctx, purge.Options{Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.ExportsDeleted < 2 {
			t.Errorf("the purge deleted %d expired exports, want the 2 of this test (and the demo's)", rep.ExportsDeleted)
		}
		if _, err := env.DB.GetExport(ctx, acc.ID); err == nil {
			t.Errorf("the expired export is still stored")
		}
	})
}

type exportedItem struct {
	ID, Code, Value, Source string
	CollectedAt             time.Time
	Purposes                []string
	PurgeAfter              *time.Time
	Clauses                 []struct {
		Code  string
		Law   *struct{ Ko, En string }
		Until *time.Time
	}
}

// check: every item says what it is for, under which clauses it is kept
// (and the law, for a statute's clause) and when it was collected.
func (it exportedItem) check(t *testing.T) {
	t.Helper()
	if len(it.Purposes) == 0 || len(it.Clauses) == 0 || it.CollectedAt.IsZero() {
		t.Errorf("item %s (%s) lacks purposes, clauses or its collection date: %+v", it.ID, it.Code, it)
	}
	for _, c := range it.Clauses {
		if c.Code == "TAX_RECORDS" && (c.Law == nil || !strings.Contains(c.Law.Ko, "국세기본법")) {
			t.Errorf("item %s kept under TAX_RECORDS without its law", it.Code)
		}
	}
}

func ownValue(items []exportedItem, v string) bool {
	for _, it := range items {
		if it.Value == v {
			return true
		}
	}
	return false
}
