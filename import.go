package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/feed"
)

// importCmd loads an operator's base from JSON Lines (one subscriber a line,
// with records), through the same feed and rules as the API. Bad lines are
// reported by number and skipped; the exit status is non-zero if any failed.
func importCmd(ctx context.Context, a *app.App, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: portal import FILE (JSON Lines; - for standard input)")
	}
	var (
		in   io.Reader = os.Stdin
		size int64     = -1
	)
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	bar := progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	start := time.Now()
	var lastBytes int64
	rep, err := a.Feed.Import(ctx, in, feed.ImportOptions{
		OnError: func(e feed.LineError) { fmt.Fprintln(stdout, e.String()) },
		OnProgress: func(read int64, r feed.ImportReport) {
			if read > lastBytes {
				_ = bar.Add64(read - lastBytes)
				lastBytes = read
			}
			done := r.Imported + r.Failed
			if done%100 == 0 {
				rate := float64(done) / time.Since(start).Seconds()
				bar.Describe(fmt.Sprintf("importing: %d subscribers (%.0f/s), %d records, %d failed", done, rate, r.Records, r.Failed))
			}
		},
	})
	_ = bar.Finish()
	el := time.Since(start)
	fmt.Fprintf(stdout, "imported %d of %d subscribers (%d records) in %s, %.0f subscribers/s; %d lines failed\n",
		rep.Imported, rep.Lines, rep.Records, el.Round(time.Millisecond), float64(rep.Imported)/el.Seconds(), rep.Failed)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if rep.Failed > 0 {
		return fmt.Errorf("import: %d of %d lines failed", rep.Failed, rep.Lines)
	}
	return nil
}
