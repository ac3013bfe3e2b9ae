package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "load subscribers and their records from JSON Lines",
		ArgsUsage: "FILE",
		UsageText: "portal import FILE   (- reads standard input)",
		Description: "One subscriber a line, with records (README, import), through the same feed and rules as the\n" +
			"API. Bad lines are reported by their line number in the file and skipped; the exit status\n" +
			"is 1 if any failed. Importing the same file twice changes nothing.",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 1); err != nil {
				return err
			}
			// The file first: a wrong name opens no database.
			in, size, err := app.OpenInput(cmd.Args().First())
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			defer in.Close()
			a, err := open(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Import(ctx, in, size, cmd.Root().Writer, cmd.Root().ErrWriter)
		},
	}
}
