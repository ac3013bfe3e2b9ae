// Package actor is the one shape of "who is asking": built once from the
// verified token at the HTTP edge (Attach) and passed explicitly to every
// domain method that acts for someone. The domain decides from it alone;
// nothing below the edge reads a token, a principal or a role claim.
package actor

import (
	"context"
	"slices"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/auth"
)

// Role is a role of the token contract (auth owns the closed set).
type Role = auth.Role

// The roles, re-exported so the domain names them from here.
const (
	RoleSubscriber = auth.RoleSubscriber
	RoleAgent      = auth.RoleAgent
	RoleAdmin      = auth.RoleAdmin
	RoleSystem     = auth.RoleSystem
)

// Actor is who acts: the token's subject and roles, the guardian acting for
// a minor, and, for staff acting for a subscriber, the request that
// authorises them.
type Actor struct {
	// Subject is the token's sub: the subscriber (also under a guardian's
	// token), the staff member, a feeding system, or the portal's own job.
	Subject string
	// Roles are the token's roles, each once.
	Roles []Role
	// Guardian is act.sub (RFC 8693): the legal guardian acting for the
	// minor named by Subject; "" when the subject acts for themselves.
	Guardian string
	// Request is the request whose assignment authorises a staff member to
	// act for its subscriber (docs/LAW.md "who may ask"); "" when none is named.
	// A token never names one: the domain that checked the request does
	// (Through).
	Request string
	// TokenID is the token's jti; ExpiresAt ends long-lived connections
	// (subscriptions) with the token. Both zero outside a request.
	TokenID   string
	ExpiresAt time.Time
}

// FromPrincipal is the actor of a verified token.
func FromPrincipal(p *auth.Principal) Actor {
	if p == nil {
		return Actor{}
	}
	return Actor{Subject: p.Subject, Roles: slices.Clone(p.Roles), Guardian: p.Actor, TokenID: p.TokenID, ExpiresAt: p.ExpiresAt}
}

// Subscriber is a subscriber acting for themselves.
func Subscriber(id string) Actor { return Actor{Subject: id, Roles: []Role{RoleSubscriber}} }

// GuardianOf is a legal guardian acting for the minor.
func GuardianOf(minor, guardian string) Actor {
	return Actor{Subject: minor, Roles: []Role{RoleSubscriber}, Guardian: guardian}
}

// Staff is a staff member in the given roles (agent, admin).
func Staff(id string, roles ...Role) Actor { return Actor{Subject: id, Roles: roles} }

// System is one of the portal's own jobs or feeding systems, named id.
func System(id string) Actor { return Actor{Subject: id, Roles: []Role{RoleSystem}} }

// Through is a, acting through the request (its id) that authorises it.
func (a Actor) Through(requestID string) Actor {
	a.Request = requestID
	return a
}

// Known reports whether anyone is acting: false for the zero actor of a
// request without a valid token.
func (a Actor) Known() bool { return a.Subject != "" }

// Has reports whether a holds role r.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// HasAny reports whether a holds one of roles.
func (a Actor) HasAny(roles ...Role) bool {
	return slices.ContainsFunc(roles, a.Has)
}

// IsSubscriber reports whether a acts as a data subject (or a guardian for
// one).
func (a Actor) IsSubscriber() bool { return a.Has(RoleSubscriber) }

// IsStaff reports whether a works the request queue: agents and admins.
func (a Actor) IsStaff() bool { return a.HasAny(RoleAgent, RoleAdmin) }

// IsAdmin reports whether a is privacy staff.
func (a Actor) IsAdmin() bool { return a.Has(RoleAdmin) }

// ActsForMinor reports whether a guardian holds the token.
func (a Actor) ActsForMinor() bool { return a.Guardian != "" }

// Who is the person who acted: the guardian under a guardian's token, else
// the subject.
func (a Actor) Who() string {
	if a.Guardian != "" {
		return a.Guardian
	}
	return a.Subject
}

type key struct{}

// Attach builds the actor of the principal auth verified for ctx, once, and
// puts it on ctx. The HTTP edge calls it after verifying the token (headers
// or a WebSocket's connection_init); without a principal ctx is returned
// as it is, and Require reports why.
func Attach(ctx context.Context) context.Context {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ctx
	}
	return With(ctx, FromPrincipal(p))
}

// With returns ctx carrying a. Commands and tests that act without a token
// use it; a request's actor comes from Attach.
func With(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, key{}, a)
}

// From returns the actor of ctx; ok is false when no one is known.
func From(ctx context.Context) (Actor, bool) {
	a, _ := ctx.Value(key{}).(Actor)
	return a, a.Known()
}

// Require returns the actor of ctx, or UNAUTHENTICATED with the reason a
// presented token was refused (or that none was presented).
func Require(ctx context.Context) (Actor, error) {
	if a, ok := From(ctx); ok {
		return a, nil
	}
	if err := auth.AuthError(ctx); err != nil {
		return Actor{}, apperr.Unauthenticated("%s", err.Error())
	}
	return Actor{}, apperr.Unauthenticated("a bearer token is required")
}
