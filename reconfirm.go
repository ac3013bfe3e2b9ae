package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"
)

func reconfirmCommand() *cli.Command {
	return &cli.Command{
		Name:  "reconfirm",
		Usage: "queue the due two-yearly marketing reconfirmation notices",
		Description: "Each subscriber whose marketing consent is due for its two-yearly reconfirmation\n" +
			"(정보통신망법 시행령 제62조의3) gets one notice in the outbox, recorded. Safe to run on\n" +
			"several workers at once.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "batch", Value: 100, Usage: "subscribers per batch (1 to 10000)", Validator: between("--batch", 1, 10_000)},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			a, err := open(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			subs, consents, err := a.Consent.RunReconfirmation(ctx, a.Clock.Now(), cmd.Int("batch"))
			if err != nil {
				return fmt.Errorf("reconfirm: %w", err)
			}
			fmt.Fprintf(cmd.Root().Writer, "reconfirmation notices queued for %d subscribers (%d consents)\n", subs, consents)
			return nil
		},
	}
}
