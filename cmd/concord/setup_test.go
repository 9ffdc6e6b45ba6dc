package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSecondStartPointsToTheSetupLink: an instance starting within a
// minute of another on the same database, while no facilitator exists,
// prints no second setup link (which would revoke the first) but points to
// the first instance's log.
func TestSecondStartPointsToTheSetupLink(t *testing.T) {
	db := filepath.Join(t.TempDir(), "concord.db")
	first := startServe(t, "-db", db, "-addr", "127.0.0.1:0")
	if !strings.Contains(first, "/invite/") {
		t.Fatalf("no setup link printed on the first start:\n%s", first)
	}
	second := startServe(t, "-db", db, "-addr", "127.0.0.1:0")
	if strings.Contains(second, "/invite/") {
		t.Errorf("a second setup link was printed moments after the first:\n%s", second)
	}
	if want := "A setup link was issued moments ago by another instance: use the link in its log."; !strings.Contains(second, want) {
		t.Errorf("the second start does not say where the link is; want %q in:\n%s", want, second)
	}
}
