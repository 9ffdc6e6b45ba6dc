package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneServeGC checks that serve's collector settings apply unless the
// environment sets its own. (Not parallel: the settings are the process's.)
func TestTuneServeGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	current := func() (int, int64) {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1) // a negative limit reads it
	}
	tests := []struct {
		name        string
		env         map[string]string
		wantPercent int
		wantLimit   int64
	}{
		{"defaults", nil, serveGCPercent, serveMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "150"}, 100, serveMemoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "2GiB"}, serveGCPercent, math.MaxInt64},
	}
	for _, tt := range tests {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		tuneServeGC(func(k string) string { return tt.env[k] })
		if p, l := current(); p != tt.wantPercent || l != tt.wantLimit {
			t.Errorf("%s: GC percent %d, limit %d; want %d, %d", tt.name, p, l, tt.wantPercent, tt.wantLimit)
		}
	}
}
