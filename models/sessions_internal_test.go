package models

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSessionLimits(t *testing.T) {
	cases := []struct {
		name string
		// steps are waits, each followed by a use of the session.
		steps []time.Duration
		alive bool
	}{
		{"fresh", nil, true},
		{"idle just under the limit", []time.Duration{29 * time.Minute}, true},
		{"idle for the limit", []time.Duration{30 * time.Minute}, false},
		{"used every 20 minutes for 11 hours", repeat(20*time.Minute, 33), true},
		{"used every 20 minutes past 12 hours", repeat(20*time.Minute, 36), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			tok, _ := f.session(t, f.delegate)
			alive := true
			for _, d := range tc.steps {
				f.advance(d)
				alive = f.alive(tok)
				if !alive {
					break
				}
			}
			if alive != tc.alive {
				t.Fatalf("alive = %v, want %v", alive, tc.alive)
			}
			if !alive && f.alive(tok) {
				t.Fatal("an ended session came back")
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestUserSessionsAndEndSessions(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	tokA, a := f.session(t, f.delegate)
	f.advance(40 * time.Minute) // a is now idle past the limit
	tokB, b := f.session(t, f.delegate)
	tokC, c := f.session(t, f.delegate)
	facTok, _ := f.session(t, f.facilitator)

	list, err := f.s.UserSessions(ctx, f.delegate.ID, fixturePolicy)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	if len(ids) != 2 || ids[0] != c.ID || ids[1] != b.ID {
		t.Fatalf("live sessions %v, want [%d %d] (the idle %d left out)", ids, c.ID, b.ID, a.ID)
	}

	// Another account's session cannot be ended through this one.
	facSess, _, err := f.s.SessionByToken(ctx, facTok, fixturePolicy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.EndSessions(ctx, f.delegate.ID, facSess.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ending another account's session: %v, want ErrNotFound", err)
	}
	if n, err := f.s.EndSessions(ctx, f.delegate.ID, b.ID); err != nil || n != 1 {
		t.Fatalf("end one session: %d, %v", n, err)
	}
	if f.alive(tokB) || !f.alive(tokC) {
		t.Fatal("ending one session ended the wrong one")
	}
	if n, err := f.s.EndSessions(ctx, f.delegate.ID, 0); err != nil || n < 1 {
		t.Fatalf("end all sessions: %d, %v", n, err)
	}
	if f.alive(tokA) || f.alive(tokC) || !f.alive(facTok) {
		t.Fatal("end all: the delegate's sessions must end, the facilitator's must not")
	}
	if got := f.auditCount(t, AuditSessionsEnded); got != 2 {
		t.Fatalf("%d sessions.ended events, want 2", got)
	}
}
