package usenotice_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/usenotice"
)

// BenchmarkNoticeRun runs the yearly notice over a base seeded in
// PostgreSQL with SQL (PORTAL_BENCH_SUBSCRIBERS subscribers, 100,000 by
// default): every subscriber has a name, nine in ten a phone (the others
// are skipped for want of a contact), one usage record of the year and
// every other one a payment record too. Each iteration is a year of its
// own, so every iteration reaches the whole base. Run it once:
//
//	go test -run '^$' -bench NoticeRun -benchtime 1x ./usenotice/
func BenchmarkNoticeRun(b *testing.B) {
	n := 100_000
	if v := os.Getenv("PORTAL_BENCH_SUBSCRIBERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	env := apptest.New(b, "postgres", apptest.Start)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO subscribers (id, status, signed_up_at, billing_state) SELECT 'b' || lpad(i::text, 7, '0'), 'ACTIVE', '2024-01-02', 'SETTLED' FROM generate_series(1, $1) i`,
		`INSERT INTO holdings (id, subscriber_id, category, value_text, source, collected_at) SELECT 'hn' || i, 'b' || lpad(i::text, 7, '0'), 'applicant.name', '김민준', 'WEBSITE', '2024-01-02' FROM generate_series(1, $1) i`,
		`INSERT INTO holdings (id, subscriber_id, category, value_text, source, collected_at) SELECT 'hp' || i, 'b' || lpad(i::text, 7, '0'), 'applicant.phone', '010-2345-6789', 'WEBSITE', '2024-01-02' FROM generate_series(1, $1) i WHERE i % 10 <> 0`,
		`INSERT INTO records (subscriber_id, kind, occurred_at, external_id) SELECT 'b' || lpad(i::text, 7, '0'), 'USAGE', '2026-03-01', 'u' || i FROM generate_series(1, $1) i`,
		`INSERT INTO records (subscriber_id, kind, occurred_at, external_id) SELECT 'b' || lpad(i::text, 7, '0'), 'PAYMENT', '2026-04-01', 'p' || i FROM generate_series(1, $1) i WHERE i % 2 = 0`,
		`ANALYZE`,
	} {
		var err error
		if q == "ANALYZE" {
			_, err = env.DB.SQL().ExecContext(ctx, q)
		} else {
			_, err = env.DB.SQL().ExecContext(ctx, q, n)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := env.App.UsageNotice.Run(ctx, 2026+i, usenotice.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if got := rep.Queued + rep.SkippedNoContact + rep.SkippedStatuteOnly; got != n {
			b.Fatalf("the run reached %d of %d subscribers: %+v", got, n, rep)
		}
		b.ReportMetric(float64(rep.Queued), "queued")
		b.ReportMetric(float64(rep.SkippedNoContact), "skipped")
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/subscriber")
}
