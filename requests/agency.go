package requests

import "context"

// AgencyStore is what the rule of staff agency reads.
type AgencyStore interface {
	HasAssignedRequest(ctx context.Context, agentID, subscriberID string) (bool, error)
}

// Agency is the one rule of staff agency (docs/LAW.md "who may ask": an agent
// needs a power of attorney; the portal's equivalent is the subscriber's
// own request): a staff member acts for a subscriber, and sees their data,
// only while an open request of the subscriber is assigned to them. The
// requests service checks it before an agent opens a subscriber; the
// consent service reads it through its Delegation interface, given at
// construction.
type Agency struct{ store AgencyStore }

// NewAgency is the rule over the requests store.
func NewAgency(s AgencyStore) Agency { return Agency{store: s} }

// MayActFor reports whether the staff member has an open request of the
// subscriber assigned to them.
func (a Agency) MayActFor(ctx context.Context, staffID, subscriberID string) (bool, error) {
	return a.store.HasAssignedRequest(ctx, staffID, subscriberID)
}

// Agency is the service's rule of staff agency.
func (s *Service) Agency() Agency { return s.agency }
