package resolvers

import (
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/graph"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/requests"
)

// setComplexity gives lists a cost proportional to what they can return, so
// the complexity limit bounds what one query can fetch: a page costs its size
// times its children, a capped list its cap.
func setComplexity(c *graph.ComplexityRoot) {
	c.Me.Records = func(child int, _ *string, first *int, _ *string) int {
		return 1 + pageCost(first, inventory.DefaultPage, inventory.MaxPage)*child
	}
	c.Me.Holdings = func(child int, _ *models.HoldingFilter) int {
		// A profile has about twenty items; the store caps it far above.
		return 1 + 25*child
	}
	c.Me.ConsentHistory = func(child int, first *int, _ *string) int {
		return 1 + pageCost(first, consent.DefaultPage, consent.MaxPage)*child
	}
	c.Me.Consents = func(child int) int {
		// One per consent topic of the notice (seven).
		return 1 + 10*child
	}
	c.Query.ReconfirmationsDue = func(child int, first *int, _ *string) int {
		return 1 + pageCost(first, consent.DefaultPage, consent.MaxPage)*child
	}
	c.Query.ActiveSuspensions = func(child int, _ *string, first *int, _ *string) int {
		return 1 + pageCost(first, requests.DefaultPage, requests.MaxPage)*child
	}
	c.Me.Suspensions = func(child int) int {
		// Capped at one page of a subscriber's suspensions.
		return 1 + requests.MaxPage*child
	}
}

// pageCost is the number of items a page argument can return; an invalid
// value is refused by the resolver, so it costs the cap here.
func pageCost(first *int, def, max int) int {
	switch {
	case first == nil:
		return def
	case *first < 0 || *first > max:
		return max
	}
	return *first
}
