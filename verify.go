package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check the audit trail's hash chain",
		UsageText: "portal verify [--from SEQ | --since SEQ:HASH] [--batch N]",
		Description: "Checks every event's hash link from the chain's anchor (or --from), or from a head link\n" +
			"written down earlier outside the database (--since), and fails naming the first broken\n" +
			"event. On success it prints the head link to keep for the next --since.",
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "from", Usage: "first seq to check (0: the anchor)"},
			&cli.StringFlag{Name: "since", Usage: "a head link SEQ:HASH printed by an earlier verify; also detects a chain cut or rewritten before it"},
			&cli.IntFlag{Name: "batch", Value: audit.DefaultBatch, Usage: "events read from the database at a time (1 to 100000)", Validator: between("--batch", 1, 100_000)},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := wantArgs(cmd, 0); err != nil {
				return err
			}
			var head *models.AuditLink
			if s := cmd.String("since"); s != "" {
				if cmd.IsSet("from") {
					return usageErrorf(cmd, "--from and --since exclude each other")
				}
				seqText, hash, ok := strings.Cut(s, ":")
				seq, perr := strconv.ParseInt(seqText, 10, 64)
				if !ok || perr != nil || len(hash) != 64 {
					return usageErrorf(cmd, "--since takes SEQ:HASH (the head printed by an earlier verify)")
				}
				head = &models.AuditLink{Seq: seq, Hash: hash}
			}
			a, err := open(ctx, cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			var rep audit.Report
			if head != nil {
				rep, err = a.Audit.VerifySince(ctx, *head, cmd.Int("batch"))
			} else {
				rep, err = a.Audit.Verify(ctx, cmd.Int64("from"), cmd.Int("batch"))
			}
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			out := cmd.Root().Writer
			if !rep.OK() {
				fmt.Fprintf(out, "audit chain BROKEN at seq %d: %s (checked %d events from seq %d)\n", rep.Break.Seq, rep.Break.Reason, rep.Checked, rep.From)
				return fmt.Errorf("verify: the audit chain is broken at seq %d", rep.Break.Seq)
			}
			fmt.Fprintf(out, "audit chain OK: %d events from seq %d; head %d:%s (keep this line outside the database)\n", rep.Checked, rep.From, rep.Head.Seq, rep.Head.Hash)
			return nil
		},
	}
}
