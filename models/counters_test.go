package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"concord/models"
)

// A session is answered from store A's cache while nothing it comes from
// has changed; every change made through store B (another instance on the
// same database) is seen by A at its next request, and what a caller does
// with its copy never reaches the next caller.
func TestSessionFollowsEveryAccountChange(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoStores(t)
	policy := models.SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
	fac := mustUser(t, a, "chair", models.RoleFacilitator, "")
	u := mustUser(t, a, "kadri", models.RoleDelegate, "EST")
	token, _, err := a.CreateSession(ctx, u.ID, policy, "browser")
	if err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T) *models.User {
		t.Helper()
		_, got, err := a.SessionByToken(ctx, token, policy)
		if err != nil {
			t.Fatalf("the session: %v", err)
		}
		return got
	}
	first := read(t)
	first.Role, first.Member.Name = "scribbled", "scribbled"
	if got := read(t); got.Role != models.RoleDelegate || got.Member.Name != "Estonia" {
		t.Fatalf("after a caller changed its copy: role %q, member %q", got.Role, got.Member.Name)
	}

	steps := []struct {
		name   string
		change func() error
		check  func(*models.User) bool
	}{
		{"made head of delegation", func() error { return b.SetApprover(ctx, u.ID, true, fac.ID) },
			func(u *models.User) bool { return u.Approver }},
		{"the member renamed", func() error {
			return b.SeedMembers(ctx, []models.Member{{Code: "EST", Name: "Republic of Estonia", Accession: 2004}})
		}, func(u *models.User) bool { return u.Member.Name == "Republic of Estonia" }},
	}
	for _, step := range steps {
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := read(t); !step.check(got) {
			t.Fatalf("%s: store A still answers %+v", step.name, got)
		}
	}
	// A new role ends the account's sessions; a revoked account has none.
	if err := b.SetRole(ctx, u.ID, models.RoleObserver, nil, fac.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SessionByToken(ctx, token, policy); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("after a new role was given through B: err = %v, want ErrNotFound", err)
	}
	if token, _, err = a.CreateSession(ctx, u.ID, policy, "browser"); err != nil {
		t.Fatal(err)
	}
	if got := read(t); got.Role != models.RoleObserver || got.MemberID != nil || got.Member != nil {
		t.Fatalf("signed in again: %+v, want an observer without a member", got)
	}
	if err := b.RevokeUser(ctx, u.ID, fac.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SessionByToken(ctx, token, policy); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("after the account was revoked through B: err = %v, want ErrNotFound", err)
	}
}

// Recording a session's activity does not move the accounts counter, so a
// store's cached session may show an older last activity than the stored
// one: a session that looks idle from the cache is checked against the
// stored row before it is ended.
func TestCachedSessionIdleCheckedAgainstStoredActivity(t *testing.T) {
	ctx := context.Background()
	a, b, clock := twoStores(t)
	policy := models.SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
	u := mustUser(t, a, "kadri", models.RoleDelegate, "EST")
	token, _, err := a.CreateSession(ctx, u.ID, policy, "browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SessionByToken(ctx, token, policy); err != nil {
		t.Fatal(err)
	}
	clock.advance(20 * time.Minute)
	if _, _, err := b.SessionByToken(ctx, token, policy); err != nil { // B records the activity
		t.Fatal(err)
	}
	clock.advance(20 * time.Minute) // 40 minutes after A last saw it, 20 after B did
	if _, _, err := a.SessionByToken(ctx, token, policy); err != nil {
		t.Fatalf("a session used 20 minutes ago through B was ended by A: %v", err)
	}
	clock.advance(31 * time.Minute)
	if _, _, err := b.SessionByToken(ctx, token, policy); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("a session idle for 31 minutes: err = %v, want ErrNotFound", err)
	}
	if _, _, err := a.SessionByToken(ctx, token, policy); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("a session ended through B is still live on A: %v", err)
	}
}

// A consultation read by key is cached by store A; a change made through
// store B is seen at A's next read, and a caller's copy is its own.
func TestConsultationByKeyFollowsEveryChange(t *testing.T) {
	ctx := context.Background()
	a, b, clock := twoStores(t)
	fac := mustUser(t, a, "chair", models.RoleFacilitator, "")
	c := openConsultation(t, a, "cache", fac.ID, scale("q1", "no", "maybe", "yes"))
	read := func(t *testing.T) *models.Consultation {
		t.Helper()
		got, err := a.ConsultationByKey(ctx, "cache")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := read(t)
	deadline := clock.Now().Add(48 * time.Hour)
	first.Title, first.Deadline = "scribbled", &deadline
	if got := read(t); got.Title != c.Title || got.Deadline != nil {
		t.Fatalf("after a caller changed its copy: title %q, deadline %v", got.Title, got.Deadline)
	}
	if err := b.SetStatus(ctx, c.ID, models.StatusClosed, fac.ID); err != nil {
		t.Fatal(err)
	}
	if got := read(t); got.Status != models.StatusClosed {
		t.Fatalf("closed through B, store A reads status %q", got.Status)
	}
	in := models.ConsultationInput{Key: "cache", Title: "Renamed", Deadline: deadline.Format("2006-01-02T15:04")}
	if err := b.UpdateConsultation(ctx, c.ID, in, fac.ID); err != nil {
		t.Fatal(err)
	}
	if got := read(t); got.Title != "Renamed" || got.Deadline == nil || !got.Deadline.Equal(deadline.Truncate(time.Minute)) {
		t.Fatalf("updated through B, store A reads title %q, deadline %v", got.Title, got.Deadline)
	}
}
