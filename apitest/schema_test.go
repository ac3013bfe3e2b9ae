package apitest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
)

// A combined query without a token: me's UNAUTHENTICATED error nulls me
// alone, and the public policy still answers (me is nullable on purpose).
func TestAnAuthErrorOnMeDoesNotNullThePolicy(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			r := env.Query(t, "", `{ policy { version } me { id } }`, nil)
			var data struct {
				Policy *struct{ Version string }
				Me     *struct{ ID string }
			}
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Fatalf("data %s: %v", r.Data, err)
			}
			if data.Policy == nil || data.Policy.Version == "" {
				t.Errorf("policy = %s, want the notice's version", r.Data)
			}
			if data.Me != nil {
				t.Errorf("me = %+v without a token, want null", data.Me)
			}
			if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
				t.Fatalf("errors = %+v, want one UNAUTHENTICATED", r.Errors)
			}
			if len(r.Errors[0].Path) != 1 || r.Errors[0].Path[0] != "me" {
				t.Errorf("error path = %v, want [me]", r.Errors[0].Path)
			}

			// A staff token on me is FORBIDDEN, again only for me.
			r = env.Query(t, env.Token(t, "agent-1", "", auth.RoleAgent), `{ policy { version } me { id } }`, nil)
			data.Policy, data.Me = nil, nil
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Fatal(err)
			}
			if data.Policy == nil || data.Me != nil || len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
				t.Errorf("agent: data %s errors %+v, want policy, me null and one FORBIDDEN", r.Data, r.Errors)
			}
		})
	}
}

// The enums keep the wire format: a variable that was a JSON string stays
// the same string, an unknown value is refused by validation, and output
// enums serialise as the strings clients read before.
func TestEnumsKeepTheirStrings(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	r := env.Query(t, "", `{ policy(lang: EN) { purposes { code basis } consentTopics { code kind channel } clauses { code basis } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var data struct {
		Policy struct {
			Purposes      []struct{ Code, Basis string }
			ConsentTopics []struct {
				Code, Kind string
				Channel    *string
			}
		}
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	bases := map[string]string{}
	for _, p := range data.Policy.Purposes {
		bases[p.Code] = p.Basis
	}
	// The shipped notice: marketing is the one purpose on consent, service on contract.
	if bases["MARKETING"] != "CONSENT" || bases["SERVICE"] != "CONTRACT" {
		t.Errorf("bases = %v", bases)
	}
	kinds := map[string]string{}
	for _, c := range data.Policy.ConsentTopics {
		kinds[c.Code] = c.Kind
		if c.Code == "marketing.sms" && (c.Channel == nil || *c.Channel != "SMS") {
			t.Errorf("marketing.sms channel = %v, want SMS", c.Channel)
		}
	}
	if kinds["marketing.sms"] != "MARKETING_CHANNEL" || kinds["marketing.night"] != "MARKETING_NIGHT" || kinds["optional.discount_certificate"] != "OPTIONAL_ITEM" {
		t.Errorf("kinds = %v", kinds)
	}

	sys := env.Token(t, "crm", "", auth.RoleSystem)
	upsert := `mutation($in: SubscriberInput!) { upsertSubscriber(input: $in) { id } }`
	item := func(source string) map[string]any {
		return map[string]any{"id": "sub-enum", "status": "ACTIVE", "signedUpAt": "2024-01-02T03:04:05Z",
			"items": []map[string]any{{"category": "applicant.email", "value": "a@example.com", "source": source}}}
	}
	if r := env.Query(t, sys, upsert, map[string]any{"in": item("WEBSITE")}); len(r.Errors) > 0 {
		t.Fatalf("a source as a JSON string: %+v", r.Errors)
	}
	if r := env.Query(t, sys, upsert, map[string]any{"in": item("CARRIER_PIGEON")}); len(r.Codes()) != 1 {
		t.Errorf("an unknown source: errors %+v, want one", r.Errors)
	}
	tok := env.Token(t, "sub-enum", "", auth.RoleSubscriber)
	r = env.Query(t, tok, `{ me { holdings { source category { code } } } }`, nil)
	var me struct {
		Me struct {
			Holdings []struct {
				Source   string
				Category struct{ Code string }
			}
		}
	}
	if err := json.Unmarshal(r.Data, &me); err != nil || len(me.Me.Holdings) != 1 || me.Me.Holdings[0].Source != "WEBSITE" {
		t.Errorf("holdings %s (%v), want the email collected via WEBSITE", r.Data, err)
	}
}

// node(id:) refetches a request by its id with exactly Query.request's
// authorisation: the owner and an admin get it, another subscriber and an
// unassigned agent get the same NOT_FOUND request(id:) gives them.
func TestNodeRefetchesARequestUnderTheSameRule(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := apitest.New(t, d)
			subscriber(t, env, "sub-1", apitest.Start.AddDate(-1, 0, 0), 0, 0)
			subscriber(t, env, "sub-2", apitest.Start.AddDate(-1, 0, 0), 0, 0)
			var filed struct{ FileRequest struct{ ID string } }
			do(t, env, subscriberToken(t, env, "sub-1"), `mutation { fileRequest(input: {type: ACCESS, idempotencyKey: "node-access-1"}) { id } }`, nil, &filed)
			id := filed.FileRequest.ID

			const q = `query($id: ID!) { node(id: $id) { __typename id ... on Request { type subscriberId } } }`
			for _, who := range []struct {
				name, token string
			}{
				{"the subscriber", subscriberToken(t, env, "sub-1")},
				{"an admin", env.Token(t, "admin-1", "", auth.RoleAdmin)},
			} {
				var got struct {
					Node struct{ Typename, ID, Type, SubscriberID string } `json:"node"`
				}
				r := env.Query(t, who.token, q, map[string]any{"id": id})
				if len(r.Errors) > 0 {
					t.Fatalf("%s: %+v", who.name, r.Errors)
				}
				raw := strings.ReplaceAll(string(r.Data), "__typename", "typename")
				if err := json.Unmarshal([]byte(raw), &got); err != nil {
					t.Fatal(err)
				}
				if got.Node.Typename != "Request" || got.Node.ID != id || got.Node.Type != "ACCESS" || got.Node.SubscriberID != "sub-1" {
					t.Errorf("%s: node = %+v, want request %s of sub-1", who.name, got.Node, id)
				}
			}
			for _, who := range []struct {
				name, token string
			}{
				{"another subscriber", subscriberToken(t, env, "sub-2")},
				{"an unassigned agent", env.Token(t, "agent-9", "", auth.RoleAgent)},
				{"no token", ""},
				{"a system", env.Token(t, "crm", "", auth.RoleSystem)},
			} {
				viaNode := env.Query(t, who.token, q, map[string]any{"id": id})
				viaRoot := env.Query(t, who.token, `query($id: ID!) { request(id: $id) { id } }`, map[string]any{"id": id})
				if len(viaNode.Errors) == 0 || !cmp.Equal(viaNode.Codes(), viaRoot.Codes()) {
					t.Errorf("%s: node errors %v, request errors %v: want the same refusal", who.name, viaNode.Codes(), viaRoot.Codes())
				}
				if string(viaNode.Data) != `{"node":null}` {
					t.Errorf("%s: data %s, want {\"node\":null}", who.name, viaNode.Data)
				}
			}
		})
	}
}

// A subscriber asking for its own view and the staff queue in one query
// gets its view; only the queue is refused (role-guarded roots are nullable).
func TestARefusedRootFieldNullsOnlyItself(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	subscriber(t, env, "sub-1", apitest.Start.AddDate(-1, 0, 0), 0, 0)
	r := env.Query(t, subscriberToken(t, env, "sub-1"), `{ me { id } requests { edges { cursor } } auditEvents { edges { cursor } } }`, nil)
	var data struct {
		Me          *struct{ ID string }
		Requests    *struct{}
		AuditEvents *struct{}
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
	if data.Me == nil || data.Me.ID != "sub-1" || data.Requests != nil || data.AuditEvents != nil {
		t.Errorf("data = %s, want me answered and the staff fields null", r.Data)
	}
	if !cmp.Equal(r.Codes(), []string{"FORBIDDEN", "FORBIDDEN"}) {
		t.Errorf("codes = %v, want two FORBIDDEN", r.Codes())
	}
}

// Introspection tells tools the scalars' specifications and every
// description, as graphql-js's getIntrospectionQuery asks for them.
func TestIntrospectionShowsSpecifiedByAndDescriptions(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, "sqlite")
	r := env.Query(t, "", `{ time: __type(name: "Time") { specifiedByURL description } node: __type(name: "Node") { description possibleTypes { name } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var data struct {
		Time struct{ SpecifiedByURL, Description *string }
		Node struct {
			Description   *string
			PossibleTypes []struct{ Name string }
		}
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Time.SpecifiedByURL == nil || !strings.Contains(*data.Time.SpecifiedByURL, "rfc3339") || data.Time.Description == nil {
		t.Errorf("Time = %s", r.Data)
	}
	if data.Node.Description == nil || len(data.Node.PossibleTypes) != 1 || data.Node.PossibleTypes[0].Name != "Request" {
		t.Errorf("Node = %s", r.Data)
	}
}
