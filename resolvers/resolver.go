// Package resolvers adapts the GraphQL schema to the domain services: each
// resolver decodes its arguments, calls one domain method and maps the
// result or error. No SQL, gorm or JWT code lives here.
package resolvers

import (
	"context"
	"github.com/xroshot/portal/actor"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/graph"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/transmit"
	"github.com/xroshot/portal/usenotice"
)

// Deps are the services the resolvers call. There is no clock: what
// depends on the time is decided by the domain, on its own clock.
type Deps struct {
	Catalog    *policy.Catalog
	Inventory  *inventory.Service
	Feed       *feed.Service
	Consent    *consent.Service
	RequestSvc *requests.Service
	Audit      *audit.Trail
	Purge      *purge.Service
	// Transmit and UsageNotice serve transmission requests and the yearly
	// notice of use and provision.
	Transmit    *transmit.Service
	UsageNotice *usenotice.Service
}

// Resolver is the root resolver.
type Resolver struct {
	Deps
}

// New returns the root resolver.
func New(d Deps) *Resolver {
	return &Resolver{Deps: d}
}

// Config is the executable schema's configuration: the resolvers, the
// @hasRole directive and the complexity of the paginated lists.
func Config(r *Resolver) graph.Config {
	c := graph.Config{Resolvers: r}
	c.Directives.HasRole = hasRole
	setComplexity(&c.Complexity)
	return c
}

// hasRole lets the field run only for an actor holding one of roles. No
// actor is UNAUTHENTICATED (with the reason a presented token was refused);
// an actor without the role is FORBIDDEN. Both are errors, never a silent
// null.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, roles []auth.Role) (any, error) {
	who, err := actor.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !who.HasAny(roles...) {
		return nil, apperr.Forbidden("this field needs one of the roles %v", roles)
	}
	return next(ctx)
}

// lang picks the answer language: the field's argument, else the request's
// Accept-Language.
func answerLang(ctx context.Context, arg *models.Language) policy.Lang {
	if arg != nil {
		if *arg == models.LanguageEn {
			return policy.En
		}
		return policy.Ko
	}
	return policy.LangFrom(ctx)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
