package apitest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/loadtest"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/seedgen"
)

// BenchmarkHomeScreen is the home screen (loadtest.MeQuery, the load
// benchmark's query) through the whole HTTP edge on PostgreSQL, for
// subscribers generated as the load benchmark's seed makes them (about 100
// records, 7 holdings, every consent, a dispute). Allocations, statements
// and round trips a request are the figures to compare: unlike time they
// do not follow the machine's load.
func BenchmarkHomeScreen(b *testing.B) {
	env := apitest.New(b, "postgres")
	ctx := context.Background()
	g := seedgen.New(seedgen.Options{Seed: 1, Now: apitest.Start})
	const n = 8
	tokens := make([]string, n)
	for i := range n {
		s := g.Generate(i)
		if _, err := env.Feed.ImportSubscriber(ctx, s.Line); err != nil {
			b.Fatal(err)
		}
		act := ""
		if s.Minor {
			act = *s.Line.GuardianID
		}
		tokens[i] = env.Token(b, s.Line.ID, act, auth.RoleSubscriber)
		// A dispute of everything, as the load benchmark's requests are
		// mostly: the hold it places is on the home screen's path too.
		if _, err := env.Requests.File(ctx, actor.Actor{Subject: s.Line.ID, Roles: []actor.Role{actor.RoleSubscriber}, Guardian: act}, requests.FileInput{
			Type: models.RequestDispute, Scope: requests.Scope{All: true}, Reason: "제 정보가 아닙니다",
			IdempotencyKey: "bench-" + s.Line.ID, Via: "APP",
		}); err != nil {
			b.Fatal(err)
		}
	}
	for i, tok := range tokens {
		res := env.Query(b, tok, loadtest.MeQuery, nil)
		if len(res.Errors) > 0 || !strings.Contains(string(res.Data), `"requests":{"edges":[{`) {
			b.Fatalf("subscriber %d: %s %+v", i, res.Data, res.Errors)
		}
	}
	b.ReportAllocs()
	before, trips := env.DB.Statements(), env.DB.RoundTrips()
	i := 0
	for b.Loop() {
		res := env.Query(b, tokens[i%n], loadtest.MeQuery, nil)
		if len(res.Errors) > 0 {
			b.Fatalf("errors: %+v", res.Errors)
		}
		i++
	}
	b.ReportMetric(float64(env.DB.Statements()-before)/float64(i), "statements/op")
	b.ReportMetric(float64(env.DB.RoundTrips()-trips)/float64(i), "roundtrips/op")
}
