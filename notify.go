package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/notify"
)

const notifyUsage = `usage: portal notify COMMAND
  once                      post the due notices to PORTAL_WEBHOOK_URL once, then exit
  run                       post due notices every PORTAL_NOTIFY_INTERVAL until stopped
  dead [--limit N]          list the notices the deliverer gave up on
  attempts SUBSCRIBER ID    list the recorded attempts at one notice
  requeue SUBSCRIBER ID     send a dead notice again (audited)
`

// notifyCmd delivers notices from the command line (a worker process, or a
// one-off after an outage) and lets an operator inspect and requeue the
// notices the deliverer gave up on.
func notifyCmd(ctx context.Context, cfg app.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, notifyUsage)
		return errors.New("notify: a command is required")
	}
	sub, args := args[0], args[1:]
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	c := clock.Real{}
	outbox := notify.NewOutbox(db.ForNotify(), c)
	switch sub {
	case "once", "run":
		d, err := app.NewDeliverer(cfg, log, db.ForNotify(), c)
		if err != nil {
			return err
		}
		if d == nil {
			return errors.New("notify: PORTAL_WEBHOOK_URL is not set")
		}
		if sub == "run" {
			return d.Run(ctx)
		}
		rep, err := d.DeliverOnce(ctx)
		fmt.Fprintf(out, "claimed %d: delivered %d, to retry %d, dead %d, released %d\n", rep.Claimed, rep.Delivered, rep.Retried, rep.Dead, rep.Released)
		return err
	case "dead":
		fs := flag.NewFlagSet("notify dead", flag.ContinueOnError)
		fs.SetOutput(out)
		limit := fs.Int("limit", 50, "how many to list")
		if err := fs.Parse(args); err != nil {
			return err
		}
		rows, more, err := outbox.Dead(ctx, *limit)
		if err != nil {
			return err
		}
		for _, r := range rows {
			fmt.Fprintf(out, "%s\t%d\t%s\tattempts %d\tdead since %s\tdue by %s\n", r.SubscriberID, r.ID, r.Kind, r.Attempts, r.DeadAt.Format(time.RFC3339), r.DueBy.Format(time.RFC3339))
		}
		if more {
			fmt.Fprintln(out, "… more; raise --limit")
		}
		return nil
	case "attempts", "requeue":
		if len(args) != 2 {
			return fmt.Errorf("notify %s: takes SUBSCRIBER ID", sub)
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("notify %s: %q is not a message id", sub, args[1])
		}
		k := notify.Key{SubscriberID: args[0], ID: id}
		if sub == "requeue" {
			if err := outbox.Requeue(ctx, k, audit.System(ctx, "notify-cli")); err != nil {
				return fmt.Errorf("notify requeue: %w", err)
			}
			fmt.Fprintf(out, "message %d requeued\n", id)
			return nil
		}
		ds, err := outbox.Deliveries(ctx, k, 0)
		if err != nil {
			return err
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
	fmt.Fprint(out, notifyUsage)
	return fmt.Errorf("notify: unknown command %q", sub)
}
