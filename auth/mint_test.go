package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestMintRoundTrip(t *testing.T) {
	t.Parallel()
	v := newHSVerifier(t)
	m := Minter{Issuer: testIssuer, Audience: testAudience, Secret: testSecret, Now: fixedNow}

	tests := []struct {
		name    string
		subject string
		roles   []Role
		actor   string
		want    *Principal
	}{
		{
			name: "subscriber", subject: "sub-1", roles: []Role{RoleSubscriber},
			want: &Principal{Subject: "sub-1", Roles: []Role{RoleSubscriber}, ExpiresAt: testNow.Add(15 * time.Minute)},
		},
		{
			name: "guardian for a minor", subject: "minor-1", roles: []Role{RoleSubscriber}, actor: "guardian-1",
			want: &Principal{Subject: "minor-1", Roles: []Role{RoleSubscriber}, Actor: "guardian-1", ExpiresAt: testNow.Add(15 * time.Minute)},
		},
		{
			name: "agent and admin", subject: "staff-1", roles: []Role{RoleAgent, RoleAdmin},
			want: &Principal{Subject: "staff-1", Roles: []Role{RoleAgent, RoleAdmin}, ExpiresAt: testNow.Add(15 * time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token, err := m.Mint(tt.subject, tt.roles, tt.actor, 15*time.Minute)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			got, err := v.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.TokenID == "" {
				t.Error("minted token has no jti")
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Principal{}, "TokenID")); diff != "" {
				t.Errorf("principal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMintTokenIDsDiffer(t *testing.T) {
	t.Parallel()
	v := newHSVerifier(t)
	m := Minter{Issuer: testIssuer, Audience: testAudience, Secret: testSecret, Now: fixedNow}
	seen := map[string]bool{}
	for range 20 {
		token, err := m.Mint("sub-1", []Role{RoleSubscriber}, "", time.Minute)
		if err != nil {
			t.Fatalf("Mint: %v", err)
		}
		p, err := v.Verify(token)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if seen[p.TokenID] {
			t.Fatalf("jti %q minted twice", p.TokenID)
		}
		seen[p.TokenID] = true
	}
}

func TestMintRefuses(t *testing.T) {
	t.Parallel()
	good := Minter{Issuer: testIssuer, Audience: testAudience, Secret: testSecret}
	tests := []struct {
		name    string
		m       Minter
		subject string
		roles   []Role
		ttl     time.Duration
		wantErr string
	}{
		{name: "short secret", m: Minter{Issuer: testIssuer, Audience: testAudience, Secret: []byte("short")}, subject: "s", roles: []Role{RoleSubscriber}, ttl: time.Minute, wantErr: "at least 32 bytes"},
		{name: "no issuer", m: Minter{Audience: testAudience, Secret: testSecret}, subject: "s", roles: []Role{RoleSubscriber}, ttl: time.Minute, wantErr: "issuer and audience"},
		{name: "no subject", m: good, roles: []Role{RoleSubscriber}, ttl: time.Minute, wantErr: "subject is required"},
		{name: "no roles", m: good, subject: "s", ttl: time.Minute, wantErr: "at least one role"},
		{name: "unknown role", m: good, subject: "s", roles: []Role{"root"}, ttl: time.Minute, wantErr: "unknown role"},
		{name: "zero ttl", m: good, subject: "s", roles: []Role{RoleSubscriber}, wantErr: "ttl must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.m.Mint(tt.subject, tt.roles, "", tt.ttl)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Mint error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
