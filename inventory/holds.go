package inventory

import (
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/retention"
)

// Holds are a subject's active holds, indexed by what they cover, so that
// assessing each item of the inventory costs no query: they are read once,
// in Load.
type Holds struct {
	// all are the holds on everything of the subscriber.
	all      []retention.Hold
	holdings map[string][]retention.Hold
	records  map[int64][]retention.Hold
}

// indexHolds builds the index from the store's active holds. It is the
// rule of holds.Covers for the active holds of one subscriber, indexed so
// that an inventory of any size costs one pass (TestTheHoldRuleIsOneRule
// pins the two to the same fixtures).
func indexHolds(hs []*models.Hold) Holds {
	var out Holds
	for _, h := range hs {
		rh := retention.Hold{ID: h.ID, Reason: string(h.Reason)}
		if h.AllItems {
			out.all = append(out.all, rh)
			continue
		}
		for _, it := range h.Items {
			switch {
			case it.HoldingID != nil:
				if out.holdings == nil {
					out.holdings = map[string][]retention.Hold{}
				}
				out.holdings[*it.HoldingID] = append(out.holdings[*it.HoldingID], rh)
			case it.RecordID != nil:
				if out.records == nil {
					out.records = map[int64][]retention.Hold{}
				}
				out.records[*it.RecordID] = append(out.records[*it.RecordID], rh)
			}
		}
	}
	return out
}

// ForHolding returns the active holds covering a holding; the slice is
// shared and must not be modified.
func (h Holds) ForHolding(id string) []retention.Hold { return h.join(h.holdings[id]) }

// ForRecord returns the active holds covering a record; the slice is shared
// and must not be modified.
func (h Holds) ForRecord(id int64) []retention.Hold { return h.join(h.records[id]) }

func (h Holds) join(own []retention.Hold) []retention.Hold {
	switch {
	case len(own) == 0:
		return h.all
	case len(h.all) == 0:
		return own
	}
	out := make([]retention.Hold, 0, len(h.all)+len(own))
	return append(append(out, h.all...), own...)
}
