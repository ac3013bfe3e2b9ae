package apitest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xroshot/portal/app/apptest"
)

// NewReplicas assembles n independent portals behind their own HTTP edges
// on one fresh PostgreSQL database (see apptest.Replicas): what a client
// meets when a load balancer sends its subscription to one replica and
// another client's change to another.
func NewReplicas(t testing.TB, n int) []*Env {
	t.Helper()
	reps := apptest.Replicas(t, n, Start)
	out := make([]*Env, n)
	for i, e := range reps {
		schema, loaders := e.App.Schema()
		out[i] = &Env{Env: e, Schema: schema, Handler: e.App.Edge(schema, loaders, prometheus.NewRegistry())}
	}
	return out
}
