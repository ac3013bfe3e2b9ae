package apptest

import (
	"context"
	"testing"
	"time"

	"github.com/xroshot/portal/app"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// Replicas assembles n portals on one fresh PostgreSQL database, as n
// replicas behind a load balancer run: each has its own connection pool,
// services, clock, request broker and LISTEN/NOTIFY relay (app.Assemble
// makes one for a PostgreSQL URL), and they share only the database and
// the configuration (keys, token issuer). Their relays are listening when
// Replicas returns.
func Replicas(t testing.TB, n int, start time.Time) []*Env {
	t.Helper()
	url := storetest.PostgresURL(t)
	spec, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*Env, n)
	for i := range out {
		db, err := store.Open(context.Background(), store.Options{URL: url, MaxOpenConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		e := on(t, db, start, app.Config{EncryptionKey: spec, DatabaseURL: url}, nil)
		if e.App.Relay == nil {
			t.Fatal("app.Assemble made no relay for a PostgreSQL store")
		}
		ctx, cancel := context.WithCancel(context.Background())
		wait, err := e.App.Relay.Start(ctx, e.Requests.Broker())
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); wait() })
		out[i] = e
	}
	return out
}
