package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/shred"
)

func rewrapCommand() *cli.Command {
	return &cli.Command{
		Name:      "rewrap-keys",
		Usage:     "re-wrap every subscriber's data key with the primary master key",
		UsageText: "portal rewrap-keys",
		Description: "After a new master key is put first in PORTAL_ENCRYPTION_KEY (\"k2:new,k1:old\"), this\n" +
			"re-wraps every subscriber's data key with it, touching no value; once it has run, the old\n" +
			"key can be removed from the setting. Safe to interrupt and run again.",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			a, err := open(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			n, err := shred.New(a.Keys).Rewrap(ctx, a.DB, a.Clock.Now())
			if err != nil {
				return fmt.Errorf("rewrap-keys: %w", err)
			}
			fmt.Fprintf(cmd.Root().Writer, "%d data keys re-wrapped with master key %s\n", n, a.Keys.PrimaryID())
			return nil
		},
	}
}
