package models

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestCounterTriggerColumns: a change of any column of sessions but
// last_seen_at moves the accounts counter, a column added later included.
func TestCounterTriggerColumns(t *testing.T) {
	got := append(slices.Clone(sessionColumnsCounted), "last_seen_at")
	slices.Sort(got)
	if want := modelColumns(t, &Session{}); !slices.Equal(got, want) {
		t.Errorf("sessionColumnsCounted and last_seen_at are %v, the model has %v", got, want)
	}
}

// TestCachedSessionGuardedByCounter shows what the session cache rests on:
// with the trigger on deleted sessions gone, a session deleted behind the
// store's back is still answered from its cache, until any other change
// moves the accounts counter. With the trigger (every other test), a
// deletion is seen at once.
func TestCachedSessionGuardedByCounter(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	token, sess := f.session(t, f.delegate)
	if !f.alive(token) {
		t.Fatal("a new session is not live")
	}
	if err := f.s.w.Exec(`DELETE FROM sessions WHERE id = ?`, sess.ID).Error; err != nil {
		t.Fatal(err)
	}
	if f.alive(token) {
		t.Fatal("a deleted session is still live: the counter did not move")
	}

	token, sess = f.session(t, f.delegate)
	if !f.alive(token) {
		t.Fatal("a new session is not live")
	}
	drop := `DROP TRIGGER sessions_counter_delete`
	if isPostgres(f.s.w) {
		drop += ` ON sessions`
	}
	if err := f.s.w.Exec(drop).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.s.w.Exec(`DELETE FROM sessions WHERE id = ?`, sess.ID).Error; err != nil {
		t.Fatal(err)
	}
	if !f.alive(token) {
		t.Fatal("without the trigger, the deleted session was read again: the cache was not used")
	}
	if err := f.s.SetApprover(ctx, f.delegate.ID, true, f.facilitator.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.SessionByToken(ctx, token, fixturePolicy); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the counter moved: err = %v, want ErrNotFound", err)
	}
}
