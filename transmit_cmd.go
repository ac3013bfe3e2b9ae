package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/usenotice"
)

// transmitCommand runs the transmission worker from the command line: a
// worker process beside replicas started with PORTAL_TRANSMIT_INTERVAL=0,
// or a one-off pass.
func transmitCommand() *cli.Command {
	return &cli.Command{
		Name:      "transmit",
		Usage:     "make and post due transmission deliveries (전송요구, 법 35조의2)",
		UsageText: "portal transmit once|run",
		Action: func(_ context.Context, cmd *cli.Command) error {
			if cmd.NArg() == 0 {
				return usageErrorf(cmd, "transmit needs a command: once or run")
			}
			return usageErrorf(cmd, "unknown transmit command %q", cmd.Args().First())
		},
		Commands: []*cli.Command{
			{Name: "once", Usage: "one pass: schedule due deliveries, post pending ones, expire downloads; then exit", Action: transmitAction(false)},
			{Name: "run", Usage: "a pass every PORTAL_TRANSMIT_INTERVAL (1m if 0 or unset) until stopped", Action: transmitAction(true)},
		},
	}
}

func transmitAction(loop bool) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		if err := wantArgs(cmd, 0); err != nil {
			return err
		}
		a, err := open(ctx, cmd)
		if err != nil {
			return err
		}
		defer a.Close()
		interval := a.Config.TransmitInterval
		if interval <= 0 {
			interval = time.Minute
		}
		w, err := a.TransmitWorker(interval)
		if err != nil {
			return err
		}
		if loop {
			return w.Run(ctx)
		}
		rep, err := w.RunOnce(ctx)
		fmt.Fprintf(cmd.Root().Writer, "scheduled %d (completed %d, expired %d, refused %d); delivered %d, to retry %d, failed %d, cancelled %d; downloads expired %d\n",
			rep.Scheduled, rep.Completed, rep.Expired, rep.Refused, rep.Delivered, rep.Retried, rep.Failed, rep.Cancelled, rep.DownloadsExpired)
		return err
	}
}

// usageNoticeCommand runs the yearly notice of use and provision (법
// 20조의2) and reports its coverage.
func usageNoticeCommand() *cli.Command {
	year := &cli.IntFlag{Name: "year", Usage: "the calendar year (KST) the notice covers", Required: true, Validator: between("--year", 2000, 9999)}
	return &cli.Command{
		Name:      "usage-notice",
		Usage:     "the yearly notice of use and provision (이용·제공 내역 통지, 법 20조의2)",
		UsageText: "portal usage-notice run|coverage --year YYYY",
		Action: func(_ context.Context, cmd *cli.Command) error {
			if cmd.NArg() == 0 {
				return usageErrorf(cmd, "usage-notice needs a command: run or coverage")
			}
			return usageErrorf(cmd, "unknown usage-notice command %q", cmd.Args().First())
		},
		Commands: []*cli.Command{
			{
				Name:  "run",
				Usage: "queue the year's notice to every subscriber not yet reached, in batches; resumable and idempotent",
				Flags: []cli.Flag{year, &cli.IntFlag{Name: "batch", Value: usenotice.DefaultBatch, Usage: "subscribers per batch", Validator: between("--batch", 1, usenotice.MaxBatch)}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0); err != nil {
						return err
					}
					return withApp(ctx, cmd, func(a *app.App) error {
						start := time.Now()
						rep, err := a.UsageNotice.Run(ctx, cmd.Int("year"), usenotice.Options{Batch: cmd.Int("batch")})
						fmt.Fprintf(cmd.Root().Writer, "year %d: %d batches, queued %d, skipped (no contact) %d, skipped (statute-kept only) %d in %s\n",
							rep.Year, rep.Batches, rep.Queued, rep.SkippedNoContact, rep.SkippedStatuteOnly, time.Since(start).Round(time.Millisecond))
						return err
					})
				},
			},
			{
				Name:  "coverage",
				Usage: "how far the year's notice reached: notified, pending, failed, skipped, remaining",
				Flags: []cli.Flag{year},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0); err != nil {
						return err
					}
					return withApp(ctx, cmd, func(a *app.App) error {
						c, err := a.UsageNotice.Coverage(ctx, cmd.Int("year"))
						if err != nil {
							return err
						}
						fmt.Fprintf(cmd.Root().Writer, "year %d: notified %d, pending %d, failed %d, skipped (no contact) %d, skipped (statute-kept only) %d, remaining %d\n",
							c.Year, c.Notified, c.Pending, c.Failed, c.SkippedNoContact, c.SkippedStatuteOnly, c.Remaining)
						return nil
					})
				},
			},
		},
	}
}

// withApp assembles the portal for fn and closes it after.
func withApp(ctx context.Context, cmd *cli.Command, fn func(a *app.App) error) error {
	a, err := open(ctx, cmd)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}
