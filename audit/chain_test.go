package audit_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/reqctx"
)

func sample() *models.AuditEvent {
	return &models.AuditEvent{
		Seq: 42, OccurredAt: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
		ActorID: "agent-7", ActorRoles: "agent", Action: "subscriber.read", SubjectID: new("sub-1"),
		TargetType: "subscriber", TargetID: "sub-1", RequestID: "req-1", ClientAddr: "10.0.0.7",
		Details: "{}", PrevHash: audit.GenesisHash,
	}
}

// The encoding is frozen: every stored chain depends on it. A change here
// must come with a new chain tag, not a new golden value. The golden value
// was checked against an independent implementation of the encoding that
// Hash documents (Python hashlib and struct).
func TestHashIsStable(t *testing.T) {
	t.Parallel()
	const golden = "7f6d57bf6e913249596ca2c980125ac195ad2dc6debe32d36032197d1b7c37c7"
	if got := audit.Hash(sample()); got != golden {
		t.Errorf("Hash(sample) = %s, want %s", got, golden)
	}
	e := sample()
	e.OccurredAt = e.OccurredAt.In(clock.KST)
	e.Hash = "anything"
	if got := audit.Hash(e); got != golden {
		t.Errorf("Hash depends on the time zone or on the stored hash: %s", got)
	}
}

func TestHashCoversEveryField(t *testing.T) {
	t.Parallel()
	base := audit.Hash(sample())
	tests := []struct {
		name   string
		change func(e *models.AuditEvent)
	}{
		{"seq", func(e *models.AuditEvent) { e.Seq++ }},
		{"time by a microsecond", func(e *models.AuditEvent) { e.OccurredAt = e.OccurredAt.Add(time.Microsecond) }},
		{"actor", func(e *models.AuditEvent) { e.ActorID = "agent-8" }},
		{"roles", func(e *models.AuditEvent) { e.ActorRoles = "admin,agent" }},
		{"acting for", func(e *models.AuditEvent) { e.ActingFor = new("minor-1") }},
		{"acting for, empty rather than null", func(e *models.AuditEvent) { e.ActingFor = new("") }},
		{"action", func(e *models.AuditEvent) { e.Action = "subscriber.export" }},
		{"subject", func(e *models.AuditEvent) { e.SubjectID = new("sub-2") }},
		{"subject null", func(e *models.AuditEvent) { e.SubjectID = nil }},
		{"target type", func(e *models.AuditEvent) { e.TargetType = "request" }},
		{"target id", func(e *models.AuditEvent) { e.TargetID = "sub-2" }},
		{"request id", func(e *models.AuditEvent) { e.RequestID = "req-2" }},
		{"client address", func(e *models.AuditEvent) { e.ClientAddr = "10.0.0.8" }},
		{"details", func(e *models.AuditEvent) { e.Details = `{"n":1}` }},
		{"prev hash", func(e *models.AuditEvent) { e.PrevHash = strings.Repeat("1", 64) }},
		// Length prefixes: moving bytes across a field boundary changes the hash.
		{"boundary between target type and id", func(e *models.AuditEvent) { e.TargetType, e.TargetID = "subscribers", "ub-1" }},
		{"boundary between request id and address", func(e *models.AuditEvent) { e.RequestID, e.ClientAddr = "req-110.0.0.7", "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := sample()
			tc.change(e)
			if audit.Hash(e) == base {
				t.Errorf("changing the %s leaves the hash unchanged", tc.name)
			}
		})
	}
}

func TestFromContext(t *testing.T) {
	t.Parallel()
	withReq := func(ctx context.Context) context.Context {
		return reqctx.WithClientAddr(reqctx.WithRequestID(ctx, "req-9"), "192.0.2.1")
	}
	tests := []struct {
		name string
		ctx  context.Context
		want audit.Actor
	}{
		{
			name: "an agent",
			ctx:  withReq(actor.With(context.Background(), actor.Staff("agent-7", actor.RoleAgent, actor.RoleAdmin))),
			want: audit.Actor{ID: "agent-7", Roles: []string{"agent", "admin"}, RequestID: "req-9", ClientAddr: "192.0.2.1"},
		},
		{
			name: "a guardian acting for a minor",
			ctx:  withReq(actor.With(context.Background(), actor.GuardianOf("minor-1", "guardian-1"))),
			want: audit.Actor{ID: "guardian-1", ActingFor: "minor-1", Roles: []string{"subscriber"}, RequestID: "req-9", ClientAddr: "192.0.2.1"},
		},
		{
			name: "no actor",
			ctx:  withReq(context.Background()),
			want: audit.Actor{RequestID: "req-9", ClientAddr: "192.0.2.1"},
		},
		{
			name: "outside a request",
			ctx:  context.Background(),
			want: audit.Actor{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, audit.FromContext(tc.ctx)); diff != "" {
				t.Errorf("FromContext (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(audit.Actor{ID: "portal:purge", Roles: []string{"system"}}, audit.System(context.Background(), "purge")); diff != "" {
		t.Errorf("System outside a request (-want +got):\n%s", diff)
	}
}

// refuseStore fails the test if anything reaches the store.
type refuseStore struct{ t *testing.T }

func (s refuseStore) AppendAuditEvent(context.Context, func(models.AuditLink) (*models.AuditEvent, error)) error {
	s.t.Error("an invalid event reached the store")
	return nil
}

func TestRecordRefusesBadEvents(t *testing.T) {
	t.Parallel()
	agent := audit.Actor{ID: "agent-7", Roles: []string{"agent"}}
	ok := audit.Event{Actor: agent, Action: "subscriber.read", TargetType: "subscriber"}
	tests := []struct {
		name   string
		change func(e *audit.Event)
		want   error
	}{
		{name: "no actor", change: func(e *audit.Event) { e.Actor = audit.Actor{} }, want: audit.ErrNoActor},
		{name: "an action without a dot", change: func(e *audit.Event) { e.Action = "read" }},
		{name: "an action in capitals", change: func(e *audit.Event) { e.Action = "Subscriber.Read" }},
		{name: "no target type", change: func(e *audit.Event) { e.TargetType = "" }},
		{name: "a long id", change: func(e *audit.Event) { e.TargetID = strings.Repeat("x", 300) }},
		{name: "a NUL in an id", change: func(e *audit.Event) { e.Subject = "sub\x00" }},
		{name: "nested details", change: func(e *audit.Event) { e.Details = map[string]any{"profile": map[string]any{"name": "x"}} }},
		{name: "a detail key that is not a name", change: func(e *audit.Event) { e.Details = map[string]any{"a b": 1} }},
		{name: "large details", change: func(e *audit.Event) {
			e.Details = map[string]any{"clauses": slices.Repeat([]string{strings.Repeat("x", 90)}, 30)}
		}},
		// The allow-list: a key it does not name, whatever its value, and
		// values about a person under keys it does.
		{name: "a subscriber's billing state", change: func(e *audit.Event) { e.Details = map[string]any{"state": "UNPAID"} }},
		{name: "a free-text note", change: func(e *audit.Event) { e.Details = map[string]any{"note": "called from 010-1234-5678"} }},
		{name: "an e-mail under a code key", change: func(e *audit.Event) { e.Details = map[string]any{"kind": "kim@example.com"} }},
		{name: "a phone number under a code key", change: func(e *audit.Event) { e.Details = map[string]any{"via": "01012345678"} }},
		{name: "a name with a space under a code key", change: func(e *audit.Event) { e.Details = map[string]any{"type": "Kim Minji"} }},
		{name: "a text in a code list", change: func(e *audit.Event) {
			e.Details = map[string]any{"changes": []string{"marketing.sms:GRANTED", "서울시 강남구"}}
		}},
		{name: "a negative count", change: func(e *audit.Event) { e.Details = map[string]any{"erased": -1} }},
		{name: "a text as a count", change: func(e *audit.Event) { e.Details = map[string]any{"items": "3"} }},
		{name: "a float as a count", change: func(e *audit.Event) { e.Details = map[string]any{"erased": 1.5} }},
		{name: "a text as a time", change: func(e *audit.Event) { e.Details = map[string]any{"before": "yesterday"} }},
		{name: "a role with a comma", change: func(e *audit.Event) { e.Actor.Roles = []string{"agent,admin"} }},
	}
	rec := audit.NewRecorder(clock.Real{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := ok
			tc.change(&e)
			err := rec.Record(context.Background(), refuseStore{t}, e)
			if err == nil {
				t.Fatal("Record accepted it")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Record = %v, want %v", err, tc.want)
			}
		})
	}
}

// okStore takes the event it is handed, so a test can read what Record
// would write.
type okStore struct{ got *models.AuditEvent }

func (s *okStore) AppendAuditEvent(_ context.Context, build func(models.AuditLink) (*models.AuditEvent, error)) error {
	e, err := build(models.AuditLink{Hash: audit.GenesisHash})
	s.got = e
	return err
}

func TestRecordAcceptsAllowedDetails(t *testing.T) {
	t.Parallel()
	before := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	details := map[string]any{
		"type": "DELETION", "status": "RESOLVED", "items": 3, "erased": int64(7), "attempt": 2,
		"changes": []string{"marketing.sms:GRANTED"}, "dryRun": true, "before": before, "via": "",
		"counts": []string{"TAX_RECORDS:HOLDING:applicant.name:3:0"},
	}
	s := &okStore{}
	e := audit.Event{Actor: audit.Actor{ID: "portal:purge"}, Action: "purge.run_finished", TargetType: "purge_run", TargetID: "1", Details: details}
	if err := audit.NewRecorder(clock.Real{}).Record(context.Background(), s, e); err != nil {
		t.Fatalf("Record refused allowed details: %v", err)
	}
	want := `{"attempt":2,"before":"2024-01-01T00:00:00Z","changes":["marketing.sms:GRANTED"],"counts":["TAX_RECORDS:HOLDING:applicant.name:3:0"],"dryRun":true,"erased":7,"items":3,"status":"RESOLVED","type":"DELETION","via":""}`
	if s.got == nil || s.got.Details != want {
		t.Errorf("details = %v, want %s", s.got, want)
	}
}
