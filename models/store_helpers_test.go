package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/internal/testdb"
	"concord/models"
)

// fixedClock is a clock that moves only when told to.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// freshStore opens a new, migrated database from testdb.DSN with the default
// roster, fast password hashing and a still clock. It is closed when the
// test ends.
func freshStore(t *testing.T) (*models.Store, *fixedClock) {
	t.Helper()
	s, err := models.Open(testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	clock := &fixedClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s.SetClock(clock.Now)
	s.SetPasswordCost(bcrypt.MinCost)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	return s, clock
}

const strongPassword = "amber lantern over quiet fjords"

func mustUser(t *testing.T, s *models.Store, username, role, memberCode string) *models.User {
	t.Helper()
	nu := models.NewUser{Username: username, Name: "Test " + username, Role: role, Password: strongPassword}
	if memberCode != "" {
		nu.MemberID = &mustMember(t, s, memberCode).ID
	}
	u, err := s.CreateUser(context.Background(), nu)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustMember(t *testing.T, s *models.Store, code string) *models.Member {
	t.Helper()
	m, err := s.MemberByCode(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func scale(key string, labels ...string) models.QuestionInput {
	return models.QuestionInput{Key: key, Section: "Posture", Kind: models.KindScale, Text: "Where on " + key + "?", Labels: labels}
}

// openConsultation creates an open consultation with the questions.
func openConsultation(t *testing.T, s *models.Store, key string, by uint, qs ...models.QuestionInput) *models.Consultation {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateConsultation(ctx, models.ConsultationInput{Key: key, Title: "Consultation " + key}, by)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if _, err := s.CreateQuestion(ctx, c.ID, q, by); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetStatus(ctx, c.ID, models.StatusOpen, by); err != nil {
		t.Fatal(err)
	}
	c, err = s.ConsultationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func countRevisions(t *testing.T, s *models.Store, consultationID uint) int {
	t.Helper()
	revs, err := s.History(context.Background(), consultationID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(revs)
}

func countAuditEvents(t *testing.T, s *models.Store, action string) int {
	t.Helper()
	n, err := s.AuditCount(context.Background(), models.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}
