package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"concord/models"
)

func TestSessionByTokenExpiry(t *testing.T) {
	policy := models.SessionPolicy{Idle: 30 * time.Minute, Absolute: 2 * time.Hour}
	type step struct {
		wait  time.Duration // clock moves this much before the lookup
		alive bool
	}
	tests := []struct {
		name   string
		revoke bool // revoke the account after login
		steps  []step
	}{
		{"fresh", false, []step{{0, true}}},
		{"just inside the idle limit", false, []step{{29*time.Minute + 59*time.Second, true}}},
		{"at the idle limit", false, []step{{30 * time.Minute, false}}},
		{"activity keeps it alive", false, []step{{20 * time.Minute, true}, {20 * time.Minute, true}, {20 * time.Minute, true}}},
		{"idle after activity", false, []step{{20 * time.Minute, true}, {31 * time.Minute, false}}},
		{"ended sessions stay ended", false, []step{{31 * time.Minute, false}, {0, false}}},
		{"absolute limit despite activity", false, []step{
			{25 * time.Minute, true}, {25 * time.Minute, true}, {25 * time.Minute, true}, {25 * time.Minute, true},
			{19 * time.Minute, true}, {time.Minute, false}}},
		{"revoked account", true, []step{{0, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := freshStore(t)
			ctx := context.Background()
			u := mustUser(t, s, "kadri", models.RoleDelegate, "EST")
			token, sess, err := s.CreateSession(ctx, u.ID, policy, "test agent")
			if err != nil {
				t.Fatal(err)
			}
			if sess.CSRFToken == "" || sess.TokenHash == token || sess.TokenHash != models.HashToken(token) {
				t.Fatalf("session stores %+v for token %q", sess, token)
			}
			if tc.revoke {
				other := mustUser(t, s, "fran", models.RoleFacilitator, "")
				if err := s.RevokeUser(ctx, u.ID, other.ID); err != nil {
					t.Fatal(err)
				}
			}
			for i, st := range tc.steps {
				clock.advance(st.wait)
				got, gotUser, err := s.SessionByToken(ctx, token, policy)
				if st.alive {
					if err != nil {
						t.Fatalf("step %d: %v, want a live session", i, err)
					}
					if got.ID != sess.ID || gotUser.ID != u.ID || gotUser.Member == nil || gotUser.Member.Code != "EST" {
						t.Errorf("step %d: session %d of user %d", i, got.ID, gotUser.ID)
					}
					continue
				}
				if !errors.Is(err, models.ErrNotFound) {
					t.Fatalf("step %d: err = %v, want ErrNotFound", i, err)
				}
			}
		})
	}
	t.Run("unknown and empty tokens", func(t *testing.T) {
		s, _ := freshStore(t)
		for _, tok := range []string{"", "no-such-token"} {
			if _, _, err := s.SessionByToken(context.Background(), tok, policy); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("token %q: err = %v, want ErrNotFound", tok, err)
			}
		}
	})
	t.Run("expired session is deleted", func(t *testing.T) {
		s, clock := freshStore(t)
		ctx := context.Background()
		u := mustUser(t, s, "kadri", models.RoleDelegate, "EST")
		token, _, err := s.CreateSession(ctx, u.ID, policy, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.advance(policy.Idle)
		if _, _, err := s.SessionByToken(ctx, token, policy); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
		// Even with the clock turned back, the session is gone.
		s.SetClock(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) })
		if _, _, err := s.SessionByToken(ctx, token, policy); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("an expired session came back: err = %v", err)
		}
		live, err := s.UserSessions(ctx, u.ID, policy)
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != 0 {
			t.Errorf("%d sessions listed", len(live))
		}
	})
}

func TestCreateSessionUserAgent(t *testing.T) {
	tests := []struct {
		name  string
		agent string
		want  string
	}{
		{"short, kept", "Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (X11; Linux x86_64)"},
		{"long, cut at 200 bytes", strings.Repeat("a", 250), strings.Repeat("a", 200)},
		{"cut inside a character, the half dropped", strings.Repeat("a", 199) + "é and more", strings.Repeat("a", 199)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := freshStore(t)
			ctx := context.Background()
			u := mustUser(t, s, "kadri", models.RoleDelegate, "EST")
			policy := models.SessionPolicy{Idle: time.Hour, Absolute: time.Hour}
			if _, _, err := s.CreateSession(ctx, u.ID, policy, tc.agent); err != nil {
				t.Fatal(err)
			}
			list, err := s.UserSessions(ctx, u.ID, policy)
			if err != nil || len(list) != 1 {
				t.Fatalf("sessions %v, %v", list, err)
			}
			if got := list[0].UserAgent; got != tc.want || !utf8.ValidString(got) {
				t.Errorf("user agent stored as %q, want %q", got, tc.want)
			}
		})
	}
}
