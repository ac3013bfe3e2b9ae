package purge

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/xroshot/portal/models"
)

// MaxErasuresShown bounds the erasure records read for one subscriber.
const MaxErasuresShown = 1000

// Erased is Count items of one category or record kind (Code) erased on
// ErasedAt under Clause by purge run RunID: what a subscriber is told about
// their data (ErasedFor), and what a batch reports (Store.Erase). It never
// carries the erased values.
type Erased struct {
	RunID    int64
	Type     models.ItemType
	Code     string
	Clause   string
	Count    int64
	ErasedAt time.Time
}

// ErasedFor lists what the purge erased of a subscriber's data, newest
// first, one line per run, type, code and clause, for as long as the purge
// runs are kept.
func (s *Service) ErasedFor(ctx context.Context, subscriberID string) ([]Erased, error) {
	rows, err := s.store.ListErasures(ctx, subscriberID, MaxErasuresShown)
	if err != nil {
		return nil, err
	}
	type k struct {
		run          int64
		typ          models.ItemType
		code, clause string
	}
	idx := map[k]int{}
	var out []Erased
	for _, r := range rows {
		key := k{r.RunID, r.ItemType, r.Code, r.Clause}
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, Erased{RunID: r.RunID, Type: r.ItemType, Code: r.Code, Clause: r.Clause, ErasedAt: r.ErasedAt})
		}
		out[i].Count += r.Count
		if r.ErasedAt.Before(out[i].ErasedAt) {
			out[i].ErasedAt = r.ErasedAt
		}
	}
	return out, nil
}

// Print writes the report as a table, one line per clause and category or
// record kind, for the purge command.
func (r *Report) Print(w io.Writer) error {
	verb := "erased"
	if r.DryRun {
		verb = "would erase"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "purge run %d by %s at %s: %s\n", r.RunID, r.Actor, r.StartedAt.Format(time.RFC3339), r.Outcome)
	fmt.Fprintf(tw, "CLAUSE\tTYPE\tCATEGORY/KIND\t%s\tHELD\n", verb)
	for _, c := range r.Counts {
		clause := c.Clause
		if clause == "" {
			clause = "(unrecorded)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", clause, c.Type, c.Code, c.Erased, c.SkippedHeld)
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t%d\t%d\n", r.Erased, r.SkippedHeld)
	return tw.Flush()
}
