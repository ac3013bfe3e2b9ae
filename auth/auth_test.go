package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Role
		wantErr bool
	}{
		{name: "subscriber", in: "subscriber", want: RoleSubscriber},
		{name: "agent", in: "agent", want: RoleAgent},
		{name: "admin", in: "admin", want: RoleAdmin},
		{name: "system", in: "system", want: RoleSystem},
		{name: "wrong case is not a role", in: "Admin", wantErr: true},
		{name: "unknown", in: "superuser", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRole(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrUnknownRole) {
					t.Fatalf("ParseRole(%q) error = %v, want ErrUnknownRole", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRole(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRole(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	alice := &Principal{Subject: "alice", Roles: []Role{RoleSubscriber}}
	refused := invalid("token expired")
	tests := []struct {
		name    string
		ctx     context.Context
		want    *Principal
		wantErr error
	}{
		{name: "no token", ctx: context.Background(), wantErr: ErrNoToken},
		{name: "refused token carries its reason", ctx: WithAuthError(context.Background(), refused), wantErr: refused},
		{name: "principal", ctx: WithPrincipal(context.Background(), alice), want: alice},
		{name: "nil principal counts as none", ctx: WithPrincipal(context.Background(), nil), wantErr: ErrNoToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Require(tt.ctx)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Require error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Require mismatch (-want +got):\n%s", diff)
			}
			fromCtx, ok := FromContext(tt.ctx)
			if diff := cmp.Diff(tt.want != nil, ok); diff != "" {
				t.Errorf("FromContext ok mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, fromCtx); diff != "" {
				t.Errorf("FromContext mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
