package requests

import (
	"context"
	"strconv"
	"time"

	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/models"
)

// holdReason is the hold an open request places.
func holdReason(r *models.Request) models.HoldReason {
	if r.Type == models.RequestDispute {
		if r.FeeRelated {
			return models.HoldFeeDispute
		}
		return models.HoldDispute
	}
	return models.HoldDeletionRequest
}

// placeHold pauses purging of the request's scope: everything, or the
// holdings of its categories and its records (by kind or id).
func (s *Service) placeHold(ctx context.Context, tx Store, r *models.Request, scope Scope, at time.Time) error {
	p := holds.Placement{SubscriberID: r.SubscriberID, Reason: holdReason(r), SourceRef: r.ID, PlacedBy: "request:" + r.ID, AllItems: scope.All}
	if !scope.All {
		if len(scope.Categories) > 0 {
			// Kept-apart holdings too: a hold must stop their erasure as well.
			hs, err := tx.ListAllHoldings(ctx, r.SubscriberID)
			if err != nil {
				return err
			}
			for _, h := range hs {
				if scope.CoversHolding(h.Category) {
					p.Holdings = append(p.Holdings, h.ID)
				}
			}
		}
		p.Records = append(p.Records, scope.RecordIDs...)
		if len(scope.RecordKinds) > 0 {
			var after int64
			for len(p.Records) <= holds.MaxLinkedItems {
				keys, err := tx.RecordKeys(ctx, r.SubscriberID, after, 1000)
				if err != nil {
					return err
				}
				for _, k := range keys {
					if scope.CoversRecord(k.Kind, 0) && !contains(scope.RecordIDs, k.ID) {
						p.Records = append(p.Records, k.ID)
					}
					after = k.ID
				}
				if len(keys) < 1000 {
					break
				}
			}
			if len(p.Records) > holds.MaxLinkedItems {
				// More than a hold links one by one: hold everything.
				p.AllItems, p.Holdings, p.Records = true, nil, nil
			}
		}
		if len(p.Holdings) == 0 && len(p.Records) == 0 && !p.AllItems {
			// Nothing held yet in scope (the categories are empty): a hold on
			// everything would over-reach, so there is nothing to hold.
			return nil
		}
	}
	_, err := holds.PlaceIn(ctx, tx, p, at)
	return err
}

// releaseHolds releases every active hold the request placed.
func (s *Service) releaseHolds(ctx context.Context, tx Store, r *models.Request, at time.Time) error {
	active, err := tx.ActiveHolds(ctx, r.SubscriberID)
	if err != nil {
		return err
	}
	for _, h := range active {
		if h.SourceRef == r.ID {
			if _, err := holds.ReleaseIn(ctx, tx, h.ID, at, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// covers reports whether an active hold covers an item of a request's
// outcome (itemType HOLDING or RECORD, ref its id): the hold rule is the
// holds package's.
func covers(h *models.Hold, itemType, ref string) bool {
	it := holds.Item{SubscriberID: h.SubscriberID}
	switch itemType {
	case "HOLDING":
		it.HoldingID = ref
	case "RECORD":
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return false
		}
		it.RecordID = id
	default:
		return false
	}
	return holds.Covers(h, it)
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
