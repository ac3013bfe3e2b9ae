package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/seedgen"
	"github.com/xroshot/portal/store"
)

// seedBatch is how many subscribers go into one bulk insert: one COPY per
// table on PostgreSQL, one transaction on SQLite.
const seedBatch = 1000

// SeedStore generates, prepares and bulk-inserts n subscribers for load
// tests and benchmarks (`portal seed`): every line is checked, sealed and
// scheduled by the feed's rules (feed.Service.Prepare), then written in
// bulk and audited as its import would be. It refuses a database that
// already holds subscribers unless force, and one holding this seed's.
func (a *App) SeedStore(ctx context.Context, g *seedgen.Generator, n int, force bool, stdout, stderr io.Writer) error {
	held, err := a.DB.CountSubscribers(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if held > 0 {
		if !force {
			return fmt.Errorf("seed: refused: the database already holds %d subscribers; seed an empty database, or add to this one with --force", held)
		}
		clash, err := a.DB.GetSubscribers(ctx, []string{g.SubscriberID(0), g.SubscriberID(n - 1)})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if len(clash) > 0 {
			return fmt.Errorf("seed: refused: the database already holds subscribers of this seed (%s…); choose another --seed", g.SubscriberID(0))
		}
	}
	type counts struct{ subscribers, holdings, records, feeIssues, holds int }
	var total counts
	rec, actor := audit.NewRecorder(a.Clock), audit.System(ctx, "seed")
	start := time.Now()
	bar := seedBar(n, "seeding "+a.DB.Dialect(), stderr)
	err = runSeed(ctx, g, n, func(b *seedBuffer, i int) error {
		p, err := a.Feed.Prepare(g.Line(i))
		if err != nil {
			return fmt.Errorf("subscriber %s: %w", g.SubscriberID(i), err)
		}
		b.rows.Add(p)
		p.Audit.Actor = actor
		b.audit = append(b.audit, p.Audit)
		return nil
	}, func(b *seedBuffer) error {
		// Each subscriber is audited as its import would be, in the
		// transaction that writes it.
		err := a.DB.BulkInsert(ctx, &b.rows, func(tx *store.DB) error {
			for _, e := range b.audit {
				if err := rec.Record(ctx, tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		total.subscribers += len(b.rows.Subscribers)
		total.holdings += len(b.rows.Holdings)
		total.records += len(b.rows.Records)
		total.feeIssues += len(b.rows.FeeIssues)
		total.holds += len(b.rows.Holds)
		_ = bar.Add(len(b.rows.Subscribers))
		return nil
	})
	_ = bar.Finish()
	el := time.Since(start)
	fmt.Fprintf(stdout, "seeded %d subscribers (%d holdings, %d records, %d fee issues, %d holds) into %s in %s, %.0f subscribers/s\n",
		total.subscribers, total.holdings, total.records, total.feeIssues, total.holds, a.DB.Dialect(), el.Round(time.Millisecond), float64(total.subscribers)/el.Seconds())
	if err != nil {
		return fmt.Errorf("seed: stopped after %d subscribers: %w", total.subscribers, err)
	}
	return nil
}

// SeedJSONL writes n generated subscribers as JSON Lines to path (- for
// stdout), the input of `portal import`.
func SeedJSONL(ctx context.Context, g *seedgen.Generator, n int, path string, stdout, stderr io.Writer) (err error) {
	out := stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("seed: %w", cerr)
			}
		}()
		out = f
	}
	w := bufio.NewWriterSize(out, 1<<20)
	start := time.Now()
	var written int64
	lines := 0
	bar := seedBar(n, "generating", stderr)
	err = runSeed(ctx, g, n, func(b *seedBuffer, i int) error {
		line, err := json.Marshal(g.Line(i))
		if err != nil {
			return err
		}
		b.json = append(append(b.json, line...), '\n')
		b.lines++
		return nil
	}, func(b *seedBuffer) error {
		if _, err := w.Write(b.json); err != nil {
			return err
		}
		written += int64(len(b.json))
		lines += b.lines
		_ = bar.Add(b.lines)
		return nil
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	_ = bar.Finish()
	el := time.Since(start)
	fmt.Fprintf(stderr, "wrote %d subscribers (%d bytes) in %s, %.0f subscribers/s\n",
		lines, written, el.Round(time.Millisecond), float64(lines)/el.Seconds())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return nil
}

func seedBar(n int, what string, w io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("subscribers"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		// Starts the bar's clock now, not at the first batch.
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionSetVisibility(isTerminal(w)),
	)
}

// seedBuffer is one batch of subscribers on its way to the writer.
type seedBuffer struct {
	from, to int
	rows     store.BulkRows
	audit    []audit.Event
	json     []byte
	lines    int
	err      error
	ready    chan struct{}
}

// runSeed generates subscribers 0 to n-1 in batches: workers fill batches
// in parallel (fill, once per subscriber) while write takes them one at a
// time in order, so the database or file sees the subscribers in sequence
// and generation overlaps writing. At most a few batches are in memory,
// whatever n. It stops at the first error or when ctx ends.
func runSeed(ctx context.Context, g *seedgen.Generator, n int, fill func(b *seedBuffer, i int) error, write func(b *seedBuffer) error) error {
	workers := max(runtime.GOMAXPROCS(0), 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan *seedBuffer)
	ordered := make(chan *seedBuffer, workers+1)
	go func() {
		defer close(todo)
		defer close(ordered)
		for from := 0; from < n; from += seedBatch {
			b := &seedBuffer{from: from, to: min(from+seedBatch, n), ready: make(chan struct{})}
			select {
			case ordered <- b:
			case <-ctx.Done():
				return
			}
			select {
			case todo <- b:
			case <-ctx.Done():
				b.err = ctx.Err()
				close(b.ready)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range todo {
				for i := b.from; i < b.to && b.err == nil; i++ {
					if ctx.Err() != nil {
						b.err = ctx.Err()
						break
					}
					b.err = fill(b, i)
				}
				close(b.ready)
			}
		})
	}
	defer wg.Wait()
	for b := range ordered {
		<-b.ready
		if b.err != nil {
			cancel()
			return b.err
		}
		if err := write(b); err != nil {
			cancel()
			return err
		}
	}
	return ctx.Err()
}

// isTerminal reports whether w is a terminal a person watches: progress
// bars are drawn only there, not into a file or a log pipeline.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
