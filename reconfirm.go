package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/xroshot/portal/app"
)

// reconfirmCmd issues the two-yearly marketing reconfirmation notices that
// are due (정보통신망법 시행령 제62조의3): each subscriber's notice is queued
// in the outbox and recorded. Safe to run on several workers at once.
func reconfirmCmd(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reconfirm", flag.ContinueOnError)
	fs.SetOutput(out)
	batch := fs.Int("batch", 100, "subscribers per batch")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch <= 0 || *batch > 10_000 {
		return fmt.Errorf("reconfirm: --batch must be between 1 and 10000")
	}
	subs, consents, err := a.Consent.RunReconfirmation(ctx, a.Clock.Now(), *batch)
	if err != nil {
		return fmt.Errorf("reconfirm: %w", err)
	}
	fmt.Fprintf(out, "reconfirmation notices queued for %d subscribers (%d consents)\n", subs, consents)
	return nil
}
