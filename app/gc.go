package app

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
)

// The server's garbage collector, unless GOGC or GOMEMLIMIT say otherwise.
// A GraphQL response is built from many short-lived objects (the home
// screen allocates about 0.8 MB for a 15 kB answer) over a live heap of
// 15–20 MB, so at Go's default (GOGC=100) the collector runs several times
// a second under load and takes a fifth of the server's CPU. Collecting at
// five times the live heap instead cut the server's CPU per home screen by
// about 20 % (BENCHMARKS.md); the soft memory limit makes the collector
// work harder, rather than the heap grow, should the live heap approach
// it, keeping the process under the 200 MB it is allowed.
const (
	serverGCPercent   = 400
	serverMemoryLimit = 150 << 20
)

// tuneGC applies the server's collector defaults where the environment
// sets none. The Go runtime reads GOGC and GOMEMLIMIT itself; they are not
// portal configuration, so they are only looked at here, to leave them to
// the operator when set.
func tuneGC(log *slog.Logger) {
	gogc, memlimit := os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT")
	if gogc == "" {
		debug.SetGCPercent(serverGCPercent)
		gogc = strconv.Itoa(serverGCPercent)
	}
	if memlimit == "" {
		debug.SetMemoryLimit(serverMemoryLimit)
		memlimit = strconv.Itoa(serverMemoryLimit>>20) + "MiB"
	}
	log.Info("garbage collector", "GOGC", gogc, "GOMEMLIMIT", memlimit)
}
