package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/notify"
)

// notifyCommand delivers notices from the command line (a worker process,
// or a one-off after an outage) and lets an operator inspect and requeue
// the notices the deliverer gave up on.
func notifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "notify",
		Usage:     "deliver due notices to the webhook; list, inspect and requeue dead ones",
		UsageText: "portal notify once|run|dead|attempts|requeue",
		Action: func(_ context.Context, cmd *cli.Command) error {
			if cmd.NArg() == 0 {
				return usageErrorf(cmd, "notify needs a command: once, run, dead, attempts or requeue")
			}
			return usageErrorf(cmd, "unknown notify command %q", cmd.Args().First())
		},
		Commands: []*cli.Command{
			{
				Name:   "once",
				Usage:  "post the due notices to PORTAL_WEBHOOK_URL once, then exit",
				Action: deliverAction(false),
			},
			{
				Name:   "run",
				Usage:  "post due notices every PORTAL_NOTIFY_INTERVAL until stopped (a worker process)",
				Action: deliverAction(true),
			},
			{
				Name:  "dead",
				Usage: "list the notices the deliverer gave up on",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "limit", Value: 50, Usage: "how many to list (1 to 10000)", Validator: between("--limit", 1, 10_000)},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if err := wantArgs(cmd, 0); err != nil {
						return err
					}
					return withOutbox(ctx, cmd, func(outbox *notify.Outbox) error {
						rows, more, err := outbox.Dead(ctx, cmd.Int("limit"))
						if err != nil {
							return err
						}
						out := cmd.Root().Writer
						if len(rows) == 0 {
							fmt.Fprintln(out, "no dead notices: the deliverer has given up on none")
							return nil
						}
						for _, r := range rows {
							fmt.Fprintf(out, "%s\t%d\t%s\tattempts %d\tdead since %s\tdue by %s\n", r.SubscriberID, r.ID, r.Kind, r.Attempts, r.DeadAt.Format(time.RFC3339), r.DueBy.Format(time.RFC3339))
						}
						if more {
							fmt.Fprintln(out, "… more; raise --limit")
						}
						return nil
					})
				},
			},
			{
				Name:      "attempts",
				Usage:     "list the recorded attempts at one notice",
				ArgsUsage: "SUBSCRIBER ID",
				Action:    keyAction(attempts),
			},
			{
				Name:      "requeue",
				Usage:     "send a dead notice again (audited)",
				ArgsUsage: "SUBSCRIBER ID",
				Action:    keyAction(requeue),
			},
		},
	}
}

// withOutbox opens the store for fn.
func withOutbox(ctx context.Context, cmd *cli.Command, fn func(outbox *notify.Outbox) error) error {
	cfg, log, err := setup(cmd)
	if err != nil {
		return err
	}
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(notify.NewOutbox(db.ForNotify(), clock.Real{}))
}

func deliverAction(loop bool) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		if err := wantArgs(cmd, 0); err != nil {
			return err
		}
		cfg, log, err := setup(cmd)
		if err != nil {
			return err
		}
		if cfg.WebhookURL == "" {
			return errors.New("notify: PORTAL_WEBHOOK_URL is not set")
		}
		db, err := app.OpenStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer db.Close()
		d, err := app.NewDeliverer(cfg, log, db.ForNotify(), clock.Real{})
		if err != nil {
			return err
		}
		if loop {
			return d.Run(ctx)
		}
		rep, err := d.DeliverOnce(ctx)
		fmt.Fprintf(cmd.Root().Writer, "claimed %d: delivered %d, to retry %d, dead %d, released %d\n", rep.Claimed, rep.Delivered, rep.Retried, rep.Dead, rep.Released)
		return err
	}
}

// keyAction runs fn on the notice its SUBSCRIBER ID arguments name.
func keyAction(fn func(ctx context.Context, cmd *cli.Command, outbox *notify.Outbox, k notify.Key) error) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		if err := wantArgs(cmd, 2); err != nil {
			return err
		}
		id, err := strconv.ParseInt(cmd.Args().Get(1), 10, 64)
		if err != nil {
			return usageErrorf(cmd, "%q is not a message id", cmd.Args().Get(1))
		}
		k := notify.Key{SubscriberID: cmd.Args().First(), ID: id}
		return withOutbox(ctx, cmd, func(outbox *notify.Outbox) error { return fn(ctx, cmd, outbox, k) })
	}
}

func requeue(ctx context.Context, cmd *cli.Command, outbox *notify.Outbox, k notify.Key) error {
	if err := outbox.Requeue(ctx, k, audit.System(ctx, "notify-cli")); err != nil {
		return fmt.Errorf("notify requeue: %w", err)
	}
	fmt.Fprintf(cmd.Root().Writer, "message %d requeued\n", k.ID)
	return nil
}

func attempts(ctx context.Context, cmd *cli.Command, outbox *notify.Outbox, k notify.Key) error {
	ds, err := outbox.Deliveries(ctx, k, 0)
	if err != nil {
		return err
	}
	out := cmd.Root().Writer
	if len(ds) == 0 {
		fmt.Fprintf(out, "no attempts recorded at message %d of %s\n", k.ID, k.SubscriberID)
		return nil
	}
	for _, d := range ds {
		status, why := "-", ""
		if d.StatusCode != nil {
			status = strconv.Itoa(*d.StatusCode)
		}
		if d.Error != nil {
			why = *d.Error
		}
		fmt.Fprintf(out, "attempt %d\t%s\t%s\t%dms\t%s\t%s\n", d.Attempt, d.AttemptedAt.Format(time.RFC3339), status, d.DurationMS, d.Outcome, why)
	}
	return nil
}
