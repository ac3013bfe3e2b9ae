package main

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/app"
)

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the GraphQL schema (SDL); docs/schema.graphql is a committed copy",
		Description: "Needs no configuration and opens no database. scripts/test.sh checks that\n" +
			"docs/schema.graphql matches: after changing graph/*.graphqls run\n" +
			"go run . schema > docs/schema.graphql",
		Action: func(_ context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			app.WriteSDL(cmd.Root().Writer)
			return nil
		},
	}
}
