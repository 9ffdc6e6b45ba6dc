package handlers

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"concord/internal/testdb"
	"concord/models"
)

// TestReportCache checks that the analysis of a round is computed once per
// change of its data, not once per view: each step changes something (or
// nothing) and says how many analyses the cache has run in all, and which
// text the report then holds.
func TestReportCache(t *testing.T) {
	ctx := context.Background()
	store, err := models.Open(testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.SetPasswordCost(bcrypt.MinCost)
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	author, err := store.CreateUser(ctx, models.NewUser{Username: "author", Name: "Author", Role: models.RoleFacilitator,
		Password: "amber lantern over quiet fjords"})
	if err != nil {
		t.Fatal(err)
	}
	newConsultation := func(key string) *models.Consultation {
		c, err := store.CreateConsultation(ctx, models.ConsultationInput{Key: key, Title: key}, author.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	scale := models.QuestionInput{Key: "posture", Section: "Posture", Kind: models.KindScale, Text: "How far?",
		Labels: []string{"a", "b", "c", "d", "e"}}
	cons := newConsultation("review")
	q, err := store.CreateQuestion(ctx, cons.ID, scale, author.ID)
	if err != nil {
		t.Fatal(err)
	}
	other := newConsultation("other")
	if _, err := store.CreateQuestion(ctx, other.ID, scale, author.ID); err != nil {
		t.Fatal(err)
	}
	est, err := store.MemberByCode(ctx, "EST")
	if err != nil {
		t.Fatal(err)
	}
	submit := func(consID uint, preferred int) {
		t.Helper()
		_, err := store.SubmitPositions(ctx, models.Submission{ConsultationID: consID, MemberID: est.ID, UserID: author.ID,
			Source: models.SourceForm, OnBehalf: true, IgnoreWindow: true,
			Inputs: []models.PositionInput{{QuestionKey: "posture", Preferred: preferred}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	reload := func() *models.Consultation {
		t.Helper()
		c, err := store.ConsultationByID(ctx, cons.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	rc := newReportCache(2)
	steps := []struct {
		name     string
		change   func()
		computed int
		text     string // the question's text in the report
		section  string
		median   float64
	}{
		{"first view", func() {}, 1, "How far?", "Posture", 0},
		{"second view", func() {}, 1, "How far?", "Posture", 0},
		{"a position", func() { submit(cons.ID, 4) }, 2, "How far?", "Posture", 4},
		{"a position in another consultation", func() { submit(other.ID, 2) }, 2, "How far?", "Posture", 4},
		{"a changed position", func() { submit(cons.ID, 2) }, 3, "How far?", "Posture", 2},
		{"an edited question", func() {
			in := scale
			in.Text = "How far, at most?"
			if err := store.UpdateQuestion(ctx, q.ID, in, author.ID); err != nil {
				t.Fatal(err)
			}
		}, 4, "How far, at most?", "Posture", 2},
		{"a renamed section", func() {
			if err := store.RenameSection(ctx, q.SectionID, "Deterrence", author.ID); err != nil {
				t.Fatal(err)
			}
		}, 5, "How far, at most?", "Deterrence", 2},
		{"views after the changes", func() {}, 5, "How far, at most?", "Deterrence", 2},
	}
	for _, st := range steps {
		st.change()
		a, err := rc.analyse(ctx, store, reload(), 1)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if rc.computed != st.computed {
			t.Errorf("%s: %d analyses in all, want %d", st.name, rc.computed, st.computed)
		}
		qr, ok := a.rep.Question("posture")
		if !ok {
			t.Fatalf("%s: no question in the report", st.name)
		}
		if qr.Text != st.text || qr.Section != st.section {
			t.Errorf("%s: question %q in section %q, want %q in %q", st.name, qr.Text, qr.Section, st.text, st.section)
		}
		if got := qr.Scale.Median; got != st.median {
			t.Errorf("%s: median %g, want %g", st.name, got, st.median)
		}
	}

	t.Run("concurrent views share one analysis", func(t *testing.T) {
		submit(cons.ID, 5)
		before := rc.computed
		c := reload()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := rc.analyse(ctx, store, c, 1); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := rc.computed - before; got != 1 {
			t.Errorf("%d analyses for 8 views of the same data, want 1", got)
		}
	})

	t.Run("bounded", func(t *testing.T) {
		if _, err := rc.analyse(ctx, store, other, 1); err != nil {
			t.Fatal(err)
		}
		third := newConsultation("third")
		if _, err := rc.analyse(ctx, store, third, 1); err != nil {
			t.Fatal(err)
		}
		if n := len(rc.entries); n != 2 {
			t.Errorf("%d entries, want the cache's size 2", n)
		}
		if _, ok := rc.entries[analysisKey{cons.ID, 1}]; ok {
			t.Errorf("the least recently used round is still cached")
		}
	})
}
