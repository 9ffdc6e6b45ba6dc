package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/models"
)

// The deadline job, started as serve starts it: its first pass ends a
// procedure whose deadline passed while the server was down, stamped with
// the deadline; a later tick ends the next one; stop waits for it.
func TestDeadlineJob(t *testing.T) {
	ctx := context.Background()
	store, err := openStore(ctx, filepath.Join(t.TempDir(), "concord.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	store.SetClock(func() time.Time { return now })
	store.SetPasswordCost(bcrypt.MinCost)
	fac, err := store.CreateUser(ctx, models.NewUser{Username: "fac", Name: "Fac", Role: models.RoleFacilitator, Password: "amber lantern over quiet fjords"})
	if err != nil {
		t.Fatal(err)
	}
	members, err := store.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if _, err := store.CreateUser(ctx, models.NewUser{Username: "d-" + strings.ToLower(m.Code), Name: m.Name,
			Role: models.RoleDelegate, MemberID: &m.ID, Password: "amber lantern over quiet fjords"}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := store.CreateConsultation(ctx, models.ConsultationInput{Key: "strategy", Title: "Strategy"}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateQuestion(ctx, c.ID, models.QuestionInput{Key: "q", Section: "S", Kind: models.KindText, Text: "Why?"}, fac.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.SetStatus(ctx, c.ID, models.StatusOpen, fac.ID); err != nil {
		t.Fatal(err)
	}
	circulate := func(in time.Duration) *models.Procedure {
		t.Helper()
		d, err := store.CreateDraft(ctx, c.ID, "Text", fac.ID)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := store.SaveDraftVersion(ctx, d.ID, []models.ParagraphInput{{Text: "Allies agree."}}, "", fac.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, err := store.Circulate(ctx, v.ID, now.Add(in), fac.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := circulate(time.Hour)
	second := circulate(3 * time.Hour)
	now = now.Add(2 * time.Hour) // the server was down past the first deadline

	ticks := make(chan time.Time)
	done := make(chan int)
	stop := startDeadlineJob(ctx, store, slog.New(slog.DiscardHandler), ticks, done)
	if n := <-done; n != 1 {
		t.Errorf("first pass ended %d procedure(s), want 1", n)
	}
	now = now.Add(2 * time.Hour)
	ticks <- now
	if n := <-done; n != 1 {
		t.Errorf("pass after a tick ended %d procedure(s), want 1", n)
	}
	stop()

	for _, p := range []*models.Procedure{first, second} {
		d, err := store.Draft(ctx, p.DraftID)
		if err != nil {
			t.Fatal(err)
		}
		got := d.Procedures[0]
		if got.State != models.ProcedureAdopted || got.ClosedAt == nil || !got.ClosedAt.Equal(p.Deadline) {
			t.Errorf("procedure %d: %s closed %v, want adopted at its deadline %v", p.ID, got.State, got.ClosedAt, p.Deadline)
		}
	}
}
