package models

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/internal/testdb"
)

// accountsFixture is a fresh database with the roster, a facilitator and a
// delegate of Estonia, and a clock the test moves by hand.
type accountsFixture struct {
	s           *Store
	now         *time.Time
	facilitator *User
	delegate    *User
	est, lva    *Member
}

const (
	fixtureFacPassword = "quiet river under bridges"
	fixtureDelPassword = "wide open tallinn harbour"
)

func newAccountsFixture(t *testing.T) *accountsFixture {
	t.Helper()
	ctx := context.Background()
	s, err := Open(testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f := &accountsFixture{s: s, now: &now}
	s.SetClock(func() time.Time { return *f.now })
	s.SetPasswordCost(bcrypt.MinCost)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	roster, err := DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	if f.est, err = s.MemberByCode(ctx, "EST"); err != nil {
		t.Fatal(err)
	}
	if f.lva, err = s.MemberByCode(ctx, "LVA"); err != nil {
		t.Fatal(err)
	}
	if f.facilitator, err = s.CreateUser(ctx, NewUser{Username: "fac", Name: "Facilitator", Role: RoleFacilitator,
		Password: fixtureFacPassword}); err != nil {
		t.Fatal(err)
	}
	if f.delegate, err = s.CreateUser(ctx, NewUser{Username: "kadri", Name: "Kadri Tamm", Role: RoleDelegate,
		Password: fixtureDelPassword, MemberID: &f.est.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *accountsFixture) advance(d time.Duration) { *f.now = f.now.Add(d) }

func (f *accountsFixture) auditCount(t *testing.T, action string) int {
	t.Helper()
	list, err := f.s.Audit(context.Background(), AuditFilter{Action: action, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

var fixturePolicy = SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}

func (f *accountsFixture) session(t *testing.T, u *User) (string, *Session) {
	t.Helper()
	token, sess, err := f.s.CreateSession(context.Background(), u.ID, fixturePolicy, "test agent")
	if err != nil {
		t.Fatal(err)
	}
	return token, sess
}

func (f *accountsFixture) alive(token string) bool {
	_, _, err := f.s.SessionByToken(context.Background(), token, fixturePolicy)
	return err == nil
}

func isConflict(err error) bool {
	var ce *ConflictError
	return errors.As(err, &ce)
}

func isValidation(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}
