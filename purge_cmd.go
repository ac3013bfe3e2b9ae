package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/purge"
)

// purgeCmd runs the purge once from the command line; --dry-run prints
// what would go, per clause and category, and erases nothing.
func purgeCmd(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(out)
	dry := fs.Bool("dry-run", false, "count what would be erased; erase nothing")
	clauses := fs.String("clause", "", "comma-separated clause codes to limit the run to")
	batch := fs.Int("batch", 0, "rows per transaction (default: the engine's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := purge.Options{DryRun: *dry, Actor: "cli:purge", BatchSize: *batch}
	if *clauses != "" {
		for _, c := range strings.Split(*clauses, ",") {
			o.Clauses = append(o.Clauses, strings.TrimSpace(c))
		}
	}
	rep, err := a.Purge.Run(ctx, o)
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	return rep.Print(out)
}
