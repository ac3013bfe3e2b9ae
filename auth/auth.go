// Package auth turns a bearer JWT into a Principal that the rest of the portal
// can trust, and carries it through the request context.
//
// Verification is deliberately narrow: the key source fixes the algorithms, the
// issuer and audience must match, exp is mandatory, and every refusal is an
// ErrInvalidToken with a short reason that is safe to show to the caller. The
// token itself never appears in an error, so nothing here can leak it into a
// log or a GraphQL response.
package auth

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Role is what a token allows its bearer to do. The set is closed: the portal
// never grants anything for a role string it does not know.
type Role string

// The roles a token may carry in its "roles" claim.
const (
	// RoleSubscriber is a data subject looking at or acting on their own data
	// (or, with an actor, a guardian doing so for a minor).
	RoleSubscriber Role = "subscriber"
	// RoleAgent is support staff working the request queue; what they may read
	// is further limited by assignment, which the domain checks.
	RoleAgent Role = "agent"
	// RoleAdmin is privacy staff: audit log, purge runs, every request.
	RoleAdmin Role = "admin"
	// RoleSystem is the operator's own feeding systems (subscriber, record and
	// billing feeds), never a person.
	RoleSystem Role = "system"
)

var knownRoles = []Role{RoleSubscriber, RoleAgent, RoleAdmin, RoleSystem}

var (
	// ErrNoToken means the caller presented no credentials at all, so a
	// protected field can tell "log in" apart from "your token is bad".
	ErrNoToken = errors.New("no token")
	// ErrInvalidToken is wrapped by every verification failure; the wrapping
	// message adds a short reason that is safe to return to the client.
	ErrInvalidToken = errors.New("invalid token")
	// ErrUnknownRole lets callers that parse role names from configuration or
	// schema directives reject typos instead of granting nothing silently.
	ErrUnknownRole = errors.New("unknown role")
)

// invalid builds the error callers see for a refused token. The reason must be
// a fixed phrase, never anything taken from the token.
func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, reason)
}

// ParseRole accepts exactly the role names of the token contract, so a
// misspelled role in a directive or config fails loudly.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(knownRoles, r) {
		return r, nil
	}
	return "", fmt.Errorf("%w %q", ErrUnknownRole, s)
}

// Principal is who a verified token speaks for. The HTTP edge turns it into
// the request's actor.Actor, which the resolvers and the domain decide from;
// they never see the token or the principal.
type Principal struct {
	// Subject is the token's sub: a subscriber id, a staff id or a service id.
	Subject string
	// Roles holds the known roles of the token, each once; never empty.
	Roles []Role
	// Actor is act.sub (RFC 8693): the guardian acting for the minor named
	// by Subject, or "" when the subject acts for themselves.
	Actor string
	// TokenID is the jti, kept so audit events can name the token used.
	TokenID string
	// ExpiresAt lets long-lived connections (subscriptions) end with the token.
	ExpiresAt time.Time
}
