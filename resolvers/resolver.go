// Package resolvers adapts the GraphQL schema to the domain services: each
// resolver decodes its arguments, calls one domain method and maps the
// result or error. No SQL, gorm or JWT code lives here.
package resolvers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/clock"
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

// Deps are the services the resolvers call.
type Deps struct {
	Catalog    *policy.Catalog
	Clock      clock.Clock
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
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
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

// hasRole lets the field run only for a principal holding one of roles. No
// principal is UNAUTHENTICATED (with the reason a presented token was
// refused); a principal without the role is FORBIDDEN. Both are errors, never
// a silent null.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, roles []models.Role) (any, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if p.Has(toAuthRole(r)) {
			return next(ctx)
		}
	}
	return nil, apperr.Forbidden("this field needs one of the roles %v", roles)
}

// principal returns the authenticated principal or an UNAUTHENTICATED error
// that says why.
func principal(ctx context.Context) (*auth.Principal, error) {
	if p, ok := auth.FromContext(ctx); ok && p != nil {
		return p, nil
	}
	if err := auth.AuthError(ctx); err != nil {
		return nil, apperr.Unauthenticated("%s", err.Error())
	}
	return nil, apperr.Unauthenticated("a bearer token is required")
}

func toAuthRole(r models.Role) auth.Role {
	switch r {
	case models.RoleSubscriber:
		return auth.RoleSubscriber
	case models.RoleAgent:
		return auth.RoleAgent
	case models.RoleAdmin:
		return auth.RoleAdmin
	case models.RoleSystem:
		return auth.RoleSystem
	}
	panic(fmt.Sprintf("resolvers: role %q has no auth role", r))
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
