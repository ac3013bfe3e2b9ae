package seedgen_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/seedgen"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

func TestZZPhases(t *testing.T) {
	g := seedgen.New(seedgen.Options{Seed: 3, Now: now})
	file := jsonl(t, g, 200)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		keys := newKeys(t)
		f := storeFeed(t, db, keys)
		st := time.Now()
		f.Import(context.Background(), strings.NewReader(file), feed.ImportOptions{})
		t.Logf("import %v", time.Since(st))
		st = time.Now()
		f.Import(context.Background(), strings.NewReader(file), feed.ImportOptions{})
		t.Logf("import2 %v", time.Since(st))
		st = time.Now()
		dump(t, db, keys)
		t.Logf("dump %v", time.Since(st))
		bulk := storetest.Open(t, db.Dialect())
		bf := storeFeed(t, bulk, keys)
		var rows store.BulkRows
		st = time.Now()
		for _, l := range g.Lines(200) {
			p, _ := bf.Prepare(l)
			rows.Add(p)
		}
		t.Logf("prepare %v", time.Since(st))
		st = time.Now()
		if err := bulk.BulkInsert(context.Background(), &rows); err != nil {
			t.Fatal(err)
		}
		t.Logf("bulk %v", time.Since(st))
	})
}
