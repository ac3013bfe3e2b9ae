package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/xroshot/portal/feed"
)

// OpenInput opens the file to import, or standard input for "-", and its
// size when known (-1 otherwise).
func OpenInput(path string) (io.ReadCloser, int64, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), -1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return f, size, nil
}

// Import loads an operator's base from JSON Lines (one subscriber a line,
// with records; `portal import`), through the same feed and rules as the
// API, showing progress on stderr when it is a terminal. Bad lines are
// reported on stdout by their line number and skipped; it fails if any did.
func (a *App) Import(ctx context.Context, in io.Reader, size int64, stdout, stderr io.Writer) error {
	bar := progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		// Redrawn into a file or a log pipeline, a bar is noise between
		// the log lines.
		progressbar.OptionSetVisibility(isTerminal(stderr)),
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
	// Corrections the subscribers asked for take effect when the corrected
	// values are fed: approve those this import delivered.
	settled, err := a.Requests.SettleAllCorrections(ctx)
	if err != nil {
		return fmt.Errorf("import: settle corrections: %w", err)
	}
	if settled > 0 {
		fmt.Fprintf(stdout, "%d correction requests took effect\n", settled)
	}
	if rep.Failed > 0 {
		return fmt.Errorf("import: %d of %d lines failed", rep.Failed, rep.Lines)
	}
	return nil
}
