package seedgen_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/seedgen"
)

// now is the reference time of every generator in these tests; the feed's
// clock is a little later, as an import of yesterday's file would be.
var now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// newFeed is the assembled portal's feed, its clock a little after now.
// Prepare reads no store, so one store (SQLite, the cheaper) is enough.
func newFeed(t testing.TB) *feed.Service {
	t.Helper()
	return apptest.New(t, "sqlite", now.Add(3*time.Hour)).Feed
}

func jsonl(t testing.TB, g *seedgen.Generator, n int) string {
	t.Helper()
	var sb strings.Builder
	for _, l := range g.Lines(n) {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		sb.Write(b)
		sb.WriteByte('\n')
	}
	return sb.String()
}

func TestSameSeedSameLines(t *testing.T) {
	t.Parallel()
	a := jsonl(t, seedgen.New(seedgen.Options{Seed: 7, Now: now}), 300)
	b := jsonl(t, seedgen.New(seedgen.Options{Seed: 7, Now: now}), 300)
	if a != b {
		t.Fatal("two generators with the same seed and time yield different lines")
	}
	if c := jsonl(t, seedgen.New(seedgen.Options{Seed: 8, Now: now}), 300); c == a {
		t.Error("another seed yields the same lines")
	}
	// Subscriber i depends on nothing but i: generated backwards, or
	// alone, it is the same.
	g := seedgen.New(seedgen.Options{Seed: 7, Now: now})
	lines := strings.Split(strings.TrimSpace(a), "\n")
	for i := 299; i >= 0; i -= 37 {
		b, _ := json.Marshal(g.Line(i))
		if diff := cmp.Diff(lines[i], string(b)); diff != "" {
			t.Errorf("line %d generated alone (-in order +alone):\n%s", i, diff)
		}
	}
	// An extension's stream leaves the lines alone and is itself stable.
	if x, y := g.Rand("consents", 3).Uint64(), g.Rand("consents", 3).Uint64(); x != y {
		t.Error("Rand is not deterministic")
	}
	if g.Rand("consents", 3).Uint64() == g.Rand("requests", 3).Uint64() {
		t.Error("two extensions share a stream")
	}
}

// Every generated line passes every rule of the feed, and the mix is the
// one the seed command promises.
func TestEveryLinePassesTheFeed(t *testing.T) {
	t.Parallel()
	const n = 1000
	g := seedgen.New(seedgen.Options{Seed: 42, Now: now})
	f := newFeed(t)
	cat, _ := policy.Default()
	var (
		status   = map[string]int{}
		billing  = map[string]int{}
		kinds    = map[string]int{}
		cats     = map[string]int{}
		records  int
		recent   int
		messages int
		minors   int
		ids      = map[string]bool{}
	)
	mobile := regexp.MustCompile(`^010-[2-9]\d{3}-\d{4}$`)
	for i := range n {
		s := g.Generate(i)
		l := s.Line
		p, err := f.Prepare(l)
		if err != nil {
			t.Fatalf("line %d (%s) refused: %v", i, l.ID, err)
		}
		if ids[l.ID] {
			t.Fatalf("id %s generated twice", l.ID)
		}
		ids[l.ID] = true
		status[l.Status]++
		if l.BillingState != nil {
			billing[l.Status+" "+*l.BillingState]++
		}
		if len(p.Records) != len(l.Records) {
			t.Errorf("%s: %d records prepared of %d: external ids repeat", l.ID, len(p.Records), len(l.Records))
		}
		records += len(l.Records)
		for _, r := range l.Records {
			kinds[r.Kind]++
			if r.Kind == "MESSAGE_CONTENT" {
				messages++
				if now.Sub(r.OccurredAt) < 28*24*time.Hour {
					recent++
				}
			}
		}
		held := map[string]bool{}
		for _, it := range l.Items {
			cats[it.Category]++
			held[it.Category] = true
			if strings.HasSuffix(it.Category, ".phone") && !mobile.MatchString(it.Value) {
				t.Errorf("%s: %s %q is not 010-XXXX-XXXX", l.ID, it.Category, it.Value)
			}
		}
		// Every value is sealed with the subscriber's own data key, not only
		// the ones the notice marks as encrypted (crypto-shredding).
		if p.Key == nil || p.Key.SubscriberID != l.ID || len(p.Key.Wrapped) == 0 {
			t.Errorf("%s: prepared without a wrapped data key: %+v", l.ID, p.Key)
		}
		for _, h := range p.Holdings {
			if len(h.ValueCipher) == 0 || h.ValueText != nil || h.KeyID == nil || *h.KeyID != protect.DataKeyID {
				t.Errorf("%s: %s not sealed with the data key: cipher %d bytes, text %v", l.ID, h.Category, len(h.ValueCipher), h.ValueText != nil)
			}
		}
		for _, r := range p.Records {
			if r.Summary != "" {
				t.Errorf("%s: record %s/%s summary stored in the clear", l.ID, r.Kind, r.ExternalID)
			}
		}
		if l.BirthDate != nil && (p.Subscriber.BirthDate != nil || len(p.Subscriber.BirthDateCipher) == 0) {
			t.Errorf("%s: birth date stored in the clear", l.ID)
		}
		if s.Minor {
			minors++
			birth, _ := time.Parse(time.DateOnly, *l.BirthDate)
			sub := models.Subscriber{BirthDate: l.BirthDate}
			if !sub.IsMinorAt(now) || l.GuardianID == nil || !held["guardian.name"] || !held["guardian.phone"] || !held["payer.name"] {
				t.Errorf("%s: minor born %s without guardian and payer: %+v", l.ID, birth.Format(time.DateOnly), held)
			}
		} else if l.GuardianID != nil || held["guardian.name"] {
			t.Errorf("%s: adult with a guardian", l.ID)
		}
		if (l.Status == "TERMINATED") != (l.TerminatedAt != nil) {
			t.Errorf("%s: status %s, terminated at %v", l.ID, l.Status, l.TerminatedAt)
		}
	}
	share := func(k int) float64 { return float64(k) / n }
	if a, s, x := share(status["ACTIVE"]), share(status["SUSPENDED"]), share(status["TERMINATED"]); a < 0.75 || a > 0.85 || s < 0.03 || s > 0.08 || x < 0.11 || x > 0.19 {
		t.Errorf("status mix %v, want about 80 %% active, 5 %% suspended, 15 %% terminated", status)
	}
	if billing["TERMINATED UNPAID"] == 0 || billing["TERMINATED OVERPAID"] == 0 {
		t.Errorf("no terminated subscriber with unpaid or overpaid fees: %v", billing)
	}
	if avg := float64(records) / n; avg < 90 || avg > 110 {
		t.Errorf("%.1f records a subscriber, want about 100", avg)
	}
	for _, k := range cat.RecordKinds {
		if kinds[k.Code] == 0 {
			t.Errorf("no %s record generated", k.Code)
		}
	}
	for _, c := range cat.Categories {
		if c.Class != policy.ClassGenerated && cats[c.Code] == 0 && c.Code != "payer.alien_registration_number" {
			t.Errorf("no %s item generated", c.Code)
		}
	}
	if share(minors) < 0.01 || share(minors) > 0.06 {
		t.Errorf("%d minors of %d", minors, n)
	}
	if float64(recent)/float64(messages) < 0.6 {
		t.Errorf("only %d of %d messages are from the last 28 days", recent, messages)
	}
}

// Generating and preparing one subscriber: the CPU cost the seed command
// spends per subscriber before the database sees it.
func BenchmarkGeneratePrepare(b *testing.B) {
	g := seedgen.New(seedgen.Options{Seed: 1, Now: now})
	f := newFeed(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := f.Prepare(g.Line(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// Generating one subscriber alone, and as a JSON line.
func BenchmarkGenerate(b *testing.B) {
	g := seedgen.New(seedgen.Options{Seed: 1, Now: now})
	b.Run("line", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = g.Line(i)
			i++
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := json.Marshal(g.Line(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
