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

// newDeliverer builds the notification deliverer of the configuration, or
// nil when no webhook is configured.
func newDeliverer(cfg Config, log *slog.Logger, db notify.Store, c clock.Clock) (*notify.Deliverer, error) {
	if cfg.WebhookURL == "" {
		return nil, nil
	}
	d, err := notify.New(db, notify.Config{
		URL: cfg.WebhookURL, Secret: []byte(cfg.WebhookSecret), Interval: cfg.NotifyInterval,
		Clock: c, Logger: log.With("job", "notify"),
	})
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return d, nil
}

// startNotifier runs the deliverer in the background until ctx ends, when
// one is configured, and returns a function waiting for it to stop: call it
// before the store closes. Without PORTAL_WEBHOOK_URL notices wait in the
// outbox, and it says so.
func (a *app) startNotifier(ctx context.Context) (wait func(), err error) {
	d, err := newDeliverer(a.cfg, a.log, a.db.ForNotify(), a.clock)
	if err != nil {
		return nil, err
	}
	if d == nil {
		level := slog.LevelWarn
		if a.cfg.Development() {
			level = slog.LevelInfo
		}
		a.log.Log(ctx, level, "PORTAL_WEBHOOK_URL is not set: subscriber notices stay in the outbox, undelivered")
		return func() {}, nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			a.log.Error("notification deliverer stopped", slog.Any("error", err))
		}
	}()
	return func() { <-done }, nil
}

// notifyCmd delivers notices from the command line (a worker process, or a
// one-off after an outage) and lets an operator inspect and requeue the
// notices the deliverer gave up on.
func notifyCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, notifyUsage)
		return errors.New("notify: a command is required")
	}
	sub, args := args[0], args[1:]
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	c := clock.Real{}
	outbox := notify.NewOutbox(db.ForNotify(), c)
	switch sub {
	case "once", "run":
		d, err := newDeliverer(cfg, log, db.ForNotify(), c)
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
