package main

import "runtime/debug"

// The garbage collector's settings for serve. A request leaves much
// short-lived garbage and little live data, so Go's default of collecting
// whenever the heap has doubled (GOGC=100) spends a tenth of a busy
// server's processor on collection. Collecting when it has grown fivefold
// gives about a sixth more saves per second under `concord loadtest` on
// two cores, for more memory (the load test's server peaked at 166 MB
// instead of 104 MB). The soft limit bounds the heap of a server holding
// large analyses: near it, the collector runs as often as it must.
// GOGC and GOMEMLIMIT in the environment take precedence.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 1 << 30 // bytes
)

// tuneServeGC applies the settings above where getenv sets none.
func tuneServeGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
