package actor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/auth"
)

func TestAttachBuildsTheActorOnceFromThePrincipal(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &auth.Principal{Subject: "minor-1", Actor: "guardian-1", Roles: []auth.Role{auth.RoleSubscriber}, TokenID: "jti-1", ExpiresAt: exp}
	ctx := actor.Attach(auth.WithPrincipal(context.Background(), p))
	p.Roles[0] = auth.RoleAdmin // the actor keeps its own roles
	got, err := actor.Require(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := actor.Actor{Subject: "minor-1", Roles: []actor.Role{actor.RoleSubscriber}, Guardian: "guardian-1", TokenID: "jti-1", ExpiresAt: exp}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actor (-want +got):\n%s", diff)
	}
	if got.Who() != "guardian-1" || !got.ActsForMinor() || !got.IsSubscriber() || got.IsStaff() || got.IsAdmin() {
		t.Errorf("a guardian's actor reads wrong: who %q, minor %v, subscriber %v, staff %v, admin %v", got.Who(), got.ActsForMinor(), got.IsSubscriber(), got.IsStaff(), got.IsAdmin())
	}
}

func TestRequireSaysWhyThereIsNoActor(t *testing.T) {
	t.Parallel()
	refused := auth.WithAuthError(context.Background(), errors.New("invalid token: token expired"))
	tests := []struct {
		name    string
		ctx     context.Context
		wantMsg string
	}{
		{name: "no token", ctx: context.Background(), wantMsg: "a bearer token is required"},
		{name: "a refused token", ctx: actor.Attach(refused), wantMsg: "invalid token: token expired"},
		{name: "a nil principal", ctx: actor.Attach(auth.WithPrincipal(context.Background(), nil)), wantMsg: "a bearer token is required"},
		{name: "the zero actor", ctx: actor.With(context.Background(), actor.Actor{}), wantMsg: "a bearer token is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := actor.Require(tc.ctx)
			if code, _ := apperr.CodeOf(err); code != apperr.CodeUnauthenticated || apperr.Message(err) != tc.wantMsg {
				t.Errorf("Require = %v (%s), want UNAUTHENTICATED %q", err, code, tc.wantMsg)
			}
			if _, ok := actor.From(tc.ctx); ok {
				t.Error("From reports an actor")
			}
		})
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                     string
		a                        actor.Actor
		subscriber, staff, admin bool
	}{
		{name: "subscriber", a: actor.Subscriber("s"), subscriber: true},
		{name: "agent", a: actor.Staff("a", actor.RoleAgent), staff: true},
		{name: "admin", a: actor.Staff("a", actor.RoleAdmin), staff: true, admin: true},
		{name: "system", a: actor.System("portal:purge")},
		{name: "a role the portal does not know", a: actor.Actor{Subject: "x", Roles: []actor.Role{"root"}}},
		{name: "nobody", a: actor.Actor{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := [3]bool{tc.a.IsSubscriber(), tc.a.IsStaff(), tc.a.IsAdmin()}; got != [3]bool{tc.subscriber, tc.staff, tc.admin} {
				t.Errorf("subscriber, staff, admin = %v, want %v", got, [3]bool{tc.subscriber, tc.staff, tc.admin})
			}
			if tc.a.HasAny() {
				t.Error("HasAny of no roles is true")
			}
		})
	}
	if got := actor.Staff("agent-1", actor.RoleAgent).Through("req-1"); got.Request != "req-1" || got.Who() != "agent-1" {
		t.Errorf("Through = %+v", got)
	}
}
