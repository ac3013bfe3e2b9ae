package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/models"
)

// verifyCmd checks the audit trail's hash chain from its anchor (or a given
// seq), or against a head link written down earlier outside the database,
// and fails naming the first broken event.
func verifyCmd(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(out)
	from := fs.Int64("from", 0, "first seq to check (0: the anchor)")
	since := fs.String("since", "", "a head link SEQ:HASH recorded earlier; checks nothing before it was cut or rewritten")
	batch := fs.Int("batch", audit.DefaultBatch, "events read at a time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	trail := a.Audit
	var (
		rep audit.Report
		err error
	)
	if *since != "" {
		seqText, hash, ok := strings.Cut(*since, ":")
		seq, perr := strconv.ParseInt(seqText, 10, 64)
		if !ok || perr != nil || len(hash) != 64 {
			return errors.New("verify: --since takes SEQ:HASH (the head printed by an earlier verify)")
		}
		rep, err = trail.VerifySince(ctx, models.AuditLink{Seq: seq, Hash: hash}, *batch)
	} else {
		rep, err = trail.Verify(ctx, *from, *batch)
	}
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !rep.OK() {
		fmt.Fprintf(out, "audit chain BROKEN at seq %d: %s (checked %d events from seq %d)\n", rep.Break.Seq, rep.Break.Reason, rep.Checked, rep.From)
		return fmt.Errorf("verify: the audit chain is broken at seq %d", rep.Break.Seq)
	}
	fmt.Fprintf(out, "audit chain OK: %d events from seq %d; head %d:%s (keep this line outside the database)\n", rep.Checked, rep.From, rep.Head.Seq, rep.Head.Hash)
	return nil
}
