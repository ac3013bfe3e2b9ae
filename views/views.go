// Package views holds the API's view types that carry domain values the
// GraphQL schema does not show, so they cannot live in models (which the
// domain packages import): a view here may hold an inventory.Subject with
// its type, where models could only hold an any.
package views

import (
	"time"

	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
)

// MeNode is the subscriber answering `me`. Subject carries the loaded
// subscriber and retention facts from the me resolver to its list fields,
// so they are read once per request; it is opaque to GraphQL.
type MeNode struct {
	ID               string
	Language         models.Language
	Status           models.SubscriberStatus
	SignedUpAt       time.Time
	TerminatedAt     *time.Time
	BirthDate        *string
	Minor            bool
	ActingGuardianID *string
	BillingState     models.BillingState
	Subject          *inventory.Subject
}
