package models

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
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
	s, err := Open(filepath.Join(t.TempDir(), "accounts.db"))
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

func TestPasswordRules(t *testing.T) {
	cases := []struct {
		name, password, username string
		ok                       bool
	}{
		{"eleven characters", "abcdefghijk", "", false},
		{"twelve unusual characters", "tallinn-bay7", "", true},
		{"twelve multibyte characters count as characters", "ölü çağrı kış", "", true},
		{"longer than bcrypt reads", strings.Repeat("river ", 13), "", false},
		{"contains the username", "kadri and the harbour", "kadri", false},
		{"contains the username in other case", "KADRI and the harbour", "kadri", false},
		{"a common password", "password1234", "", false},
		{"a keyboard row with digits", "qwertyuiop2024!", "", false},
		{"one character repeated", "aaaaaaaaaaaaaaa", "", false},
		{"alliance words joined", "nato-russia-2025", "", false},
		{"a passphrase", "correct horse battery staple", "kadri", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := PasswordProblem(tc.password, tc.username)
			if (msg == "") != tc.ok {
				t.Fatalf("PasswordProblem(%q) = %q, want ok=%v", tc.password, msg, tc.ok)
			}
		})
	}
}

func TestCheckAccount(t *testing.T) {
	f := newAccountsFixture(t)
	cases := []struct {
		name   string
		in     AccountInput
		fields []string
	}{
		{"valid", AccountInput{Username: " Anna ", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue herons"}, nil},
		{"confirmation differs", AccountInput{Username: "anna", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue heron"}, []string{"confirm"}},
		{"short password", AccountInput{Username: "anna", Name: "Anna", Password: "short", Confirm: "short"}, []string{"password"}},
		{"username with a space", AccountInput{Username: "an na", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue herons"}, []string{"username"}},
		{"everything missing", AccountInput{}, []string{"username", "name", "password", "confirm"}},
		{"username starting with =", AccountInput{Username: "=1+1", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue herons"}, []string{"username"}},
		{"username starting with +", AccountInput{Username: "+anna", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue herons"}, []string{"username"}},
		{"username starting with -", AccountInput{Username: "-anna", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue herons"}, []string{"username"}},
		{"username starting with @", AccountInput{Username: "@anna", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue herons"}, []string{"username"}},
		{"username with = inside is fine", AccountInput{Username: "an=na", Name: "Anna", Password: "seven blue herons", Confirm: "seven blue herons"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs := f.s.CheckAccount(&tc.in)
			var got []string
			for k := range msgs {
				got = append(got, k)
			}
			for _, want := range tc.fields {
				if msgs[want] == "" {
					t.Errorf("no message for %s; got %v", want, msgs)
				}
			}
			if len(got) != len(tc.fields) {
				t.Errorf("messages for %v, want exactly %v", got, tc.fields)
			}
		})
	}
}

func TestCreateUserRefusesFormulaUsername(t *testing.T) {
	f := newAccountsFixture(t)
	_, err := f.s.CreateUser(context.Background(), NewUser{Username: "=cmd", Name: "X", Role: RoleObserver, Password: "amber lantern over quiet fjords"})
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Fields["username"] == "" {
		t.Fatalf("CreateUser with username =cmd: %v, want a username message", err)
	}
}

func TestCreateUserRefusesWeakPassword(t *testing.T) {
	f := newAccountsFixture(t)
	_, err := f.s.CreateUser(context.Background(), NewUser{Username: "weak", Name: "Weak", Role: RoleObserver, Password: "password1234"})
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Fields["password"] == "" {
		t.Fatalf("CreateUser with a common password: %v, want a password message", err)
	}
}

func TestInvitationLifecycle(t *testing.T) {
	account := func(name string) AccountInput {
		return AccountInput{Username: name, Name: "Invited " + name, Password: "seven blue herons", Confirm: "seven blue herons"}
	}
	cases := []struct {
		name string
		// before runs between creating the invitation and accepting it.
		before  func(t *testing.T, f *accountsFixture, inv *Invitation)
		usable  bool
		revoked bool
	}{
		{name: "fresh invitation", usable: true},
		{name: "just before expiry", usable: true, before: func(t *testing.T, f *accountsFixture, _ *Invitation) {
			f.advance(7*24*time.Hour - time.Second)
		}},
		{name: "expired", usable: false, before: func(t *testing.T, f *accountsFixture, _ *Invitation) {
			f.advance(7 * 24 * time.Hour)
		}},
		{name: "revoked", usable: false, revoked: true, before: func(t *testing.T, f *accountsFixture, inv *Invitation) {
			if err := f.s.RevokeInvitation(context.Background(), inv.ID, f.facilitator.ID); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			token, inv, err := f.s.CreateInvitation(ctx, RoleDelegate, &f.lva.ID, &f.facilitator.ID, 7*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(t, f, inv)
			}
			_, lookErr := f.s.InvitationByToken(ctx, token)
			u, err := f.s.AcceptInvitation(ctx, token, account("first"))
			if !tc.usable {
				if !errors.Is(lookErr, ErrNotFound) || !errors.Is(err, ErrNotFound) {
					t.Fatalf("lookup %v, accept %v; want ErrNotFound for both", lookErr, err)
				}
				if _, err := f.s.Authenticate(ctx, "first", "seven blue herons"); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("an account was created from an unusable invitation: %v", err)
				}
				if tc.revoked && f.auditCount(t, AuditInvitationRevoked) != 1 {
					t.Fatal("revocation not audited")
				}
				return
			}
			if lookErr != nil || err != nil {
				t.Fatalf("lookup %v, accept %v", lookErr, err)
			}
			if u.Role != RoleDelegate || u.MemberID == nil || *u.MemberID != f.lva.ID {
				t.Fatalf("account has role %s member %v, want the invitation's", u.Role, u.MemberID)
			}
			// A used invitation never works again, nor can it be revoked.
			if _, err := f.s.AcceptInvitation(ctx, token, account("second")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second use: %v, want ErrNotFound", err)
			}
			if err := f.s.RevokeInvitation(ctx, inv.ID, f.facilitator.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("revoking a used invitation: %v, want ErrNotFound", err)
			}
			if f.auditCount(t, AuditInvitationUsed) != 1 {
				t.Fatal("use of the invitation not audited once")
			}
		})
	}
}

func TestCreateInvitationChecksRole(t *testing.T) {
	cases := []struct {
		name       string
		role       string
		member     bool
		wantField  string // "" when the invitation is created
		wantMember bool
	}{
		{"delegate of a member", RoleDelegate, true, "", true},
		{"delegate without a member", RoleDelegate, false, "member", false},
		{"observer", RoleObserver, false, "", false},
		{"facilitator given a member", RoleFacilitator, true, "", false},
		{"unknown role", "admin", false, "role", false},
		{"no role", "", false, "role", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			var member *uint
			if tc.member {
				member = &f.lva.ID
			}
			_, inv, err := f.s.CreateInvitation(ctx, tc.role, member, &f.facilitator.ID, time.Hour)
			if tc.wantField != "" {
				var verr *ValidationError
				if !errors.As(err, &verr) || verr.Fields[tc.wantField] == "" {
					t.Fatalf("err = %v, want a message for %s", err, tc.wantField)
				}
				if n := f.auditCount(t, AuditInvitationNew); n != 0 {
					t.Errorf("%d invitation(s) recorded", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (inv.MemberID != nil) != tc.wantMember {
				t.Errorf("invitation member %v, want one: %t", inv.MemberID, tc.wantMember)
			}
		})
	}
}

func TestAcceptInvitationInvalidAccountKeepsInvitation(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	token, _, err := f.s.CreateInvitation(ctx, RoleObserver, nil, &f.facilitator.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.s.AcceptInvitation(ctx, token, AccountInput{Username: "kadri", Name: "Taken", Password: "seven blue herons", Confirm: "seven blue herons"})
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Fields["username"] == "" {
		t.Fatalf("taken username: %v, want a username message", err)
	}
	if _, err := f.s.InvitationByToken(ctx, token); err != nil {
		t.Fatalf("a rejected form used up the invitation: %v", err)
	}
}

func TestRevokeUser(t *testing.T) {
	cases := []struct {
		name    string
		target  func(f *accountsFixture) uint
		by      func(f *accountsFixture) uint
		wantErr func(error) bool
	}{
		{"facilitator revokes a delegate", func(f *accountsFixture) uint { return f.delegate.ID },
			func(f *accountsFixture) uint { return f.facilitator.ID }, func(err error) bool { return err == nil }},
		{"nobody revokes themselves", func(f *accountsFixture) uint { return f.facilitator.ID },
			func(f *accountsFixture) uint { return f.facilitator.ID }, isConflict},
		{"unknown account", func(f *accountsFixture) uint { return 9999 },
			func(f *accountsFixture) uint { return f.facilitator.ID }, func(err error) bool { return errors.Is(err, ErrNotFound) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			tok1, _ := f.session(t, f.delegate)
			tok2, _ := f.session(t, f.delegate)
			facTok, _ := f.session(t, f.facilitator)
			err := f.s.RevokeUser(ctx, tc.target(f), tc.by(f))
			if !tc.wantErr(err) {
				t.Fatalf("RevokeUser: unexpected error %v", err)
			}
			revoked := err == nil
			if f.alive(tok1) == revoked || f.alive(tok2) == revoked {
				t.Fatalf("delegate sessions alive=%v/%v after revoked=%v", f.alive(tok1), f.alive(tok2), revoked)
			}
			if !f.alive(facTok) {
				t.Fatal("the facilitator's own session ended")
			}
			_, authErr := f.s.Authenticate(ctx, "kadri", fixtureDelPassword)
			if revoked != errors.Is(authErr, ErrBadCredentials) {
				t.Fatalf("sign-in after revoked=%v: %v", revoked, authErr)
			}
			want := 0
			if revoked {
				want = 1
			}
			if got := f.auditCount(t, AuditAccountRevoked); got != want {
				t.Fatalf("%d account.revoked events, want %d", got, want)
			}
			if revoked {
				if err := f.s.RevokeUser(ctx, f.delegate.ID, f.facilitator.ID); !isConflict(err) {
					t.Fatalf("revoking twice: %v, want a conflict", err)
				}
			}
		})
	}
}

func isConflict(err error) bool {
	var ce *ConflictError
	return errors.As(err, &ce)
}

func isValidation(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}

func TestSetRole(t *testing.T) {
	type want struct {
		role   string
		member string // code, "" for none
	}
	cases := []struct {
		name    string
		role    string
		member  func(f *accountsFixture) *uint
		target  func(f *accountsFixture) uint
		wantErr func(error) bool
		want    *want
	}{
		{"delegate moves to another member", RoleDelegate, func(f *accountsFixture) *uint { return &f.lva.ID },
			func(f *accountsFixture) uint { return f.delegate.ID }, nil, &want{RoleDelegate, "LVA"}},
		{"delegate becomes observer and loses the member", RoleObserver, func(f *accountsFixture) *uint { return &f.est.ID },
			func(f *accountsFixture) uint { return f.delegate.ID }, nil, &want{RoleObserver, ""}},
		{"delegate without member", RoleDelegate, func(f *accountsFixture) *uint { return nil },
			func(f *accountsFixture) uint { return f.delegate.ID }, isValidation, nil},
		{"unknown member", RoleDelegate, func(f *accountsFixture) *uint { n := uint(9999); return &n },
			func(f *accountsFixture) uint { return f.delegate.ID }, isValidation, nil},
		{"unknown role", "admin", func(f *accountsFixture) *uint { return nil },
			func(f *accountsFixture) uint { return f.delegate.ID }, isValidation, nil},
		{"same role and member", RoleDelegate, func(f *accountsFixture) *uint { return &f.est.ID },
			func(f *accountsFixture) uint { return f.delegate.ID }, isConflict, nil},
		{"own role", RoleObserver, func(f *accountsFixture) *uint { return nil },
			func(f *accountsFixture) uint { return f.facilitator.ID }, isConflict, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			tok, _ := f.session(t, f.delegate)
			err := f.s.SetRole(ctx, tc.target(f), tc.role, tc.member(f), f.facilitator.ID)
			if tc.want == nil {
				if err == nil || !tc.wantErr(err) {
					t.Fatalf("SetRole: %v, want a refusal", err)
				}
				if !f.alive(tok) {
					t.Fatal("a refused role change ended the session")
				}
				if f.auditCount(t, AuditRoleChanged) != 0 {
					t.Fatal("a refused role change was audited")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, err := f.s.UserByID(ctx, tc.target(f))
			if err != nil {
				t.Fatal(err)
			}
			code := ""
			if u.Member != nil {
				code = u.Member.Code
			}
			if u.Role != tc.want.role || code != tc.want.member {
				t.Fatalf("role %s member %q, want %s %q", u.Role, code, tc.want.role, tc.want.member)
			}
			if f.alive(tok) {
				t.Fatal("the account's session survived a role change")
			}
			if f.auditCount(t, AuditRoleChanged) != 1 {
				t.Fatal("role change not audited")
			}
		})
	}
}

func TestChangePassword(t *testing.T) {
	const newPassword = "amber lanterns at dusk"
	cases := []struct {
		name         string
		in           PasswordChange
		fields       []string
		wrongCurrent bool
	}{
		{"valid change", PasswordChange{fixtureDelPassword, newPassword, newPassword}, nil, false},
		{"wrong current password", PasswordChange{"not my password", newPassword, newPassword}, []string{"current"}, true},
		{"missing current password", PasswordChange{"", newPassword, newPassword}, []string{"current"}, false},
		{"new password too short", PasswordChange{fixtureDelPassword, "short", "short"}, []string{"password"}, false},
		{"new password common", PasswordChange{fixtureDelPassword, "password1234", "password1234"}, []string{"password"}, false},
		{"new password contains the username", PasswordChange{fixtureDelPassword, "kadri at the harbour", "kadri at the harbour"}, []string{"password"}, false},
		{"same as current", PasswordChange{fixtureDelPassword, fixtureDelPassword, fixtureDelPassword}, []string{"password"}, false},
		{"confirmation differs", PasswordChange{fixtureDelPassword, newPassword, newPassword + "!"}, []string{"confirm"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			keepTok, keep := f.session(t, f.delegate)
			otherTok, _ := f.session(t, f.delegate)
			err := f.s.ChangePassword(ctx, f.delegate.ID, tc.in, keep.ID)
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !f.alive(keepTok) || f.alive(otherTok) {
					t.Fatalf("after change: kept session alive=%v, other alive=%v; want true, false", f.alive(keepTok), f.alive(otherTok))
				}
				if _, err := f.s.Authenticate(ctx, "kadri", fixtureDelPassword); !errors.Is(err, ErrBadCredentials) {
					t.Fatal("the old password still works")
				}
				if _, err := f.s.Authenticate(ctx, "kadri", newPassword); err != nil {
					t.Fatalf("the new password does not work: %v", err)
				}
				if f.auditCount(t, AuditPasswordChanged) != 1 {
					t.Fatal("password change not audited")
				}
				return
			}
			var perr *PasswordChangeError
			if !errors.As(err, &perr) {
				t.Fatalf("ChangePassword: %v, want a PasswordChangeError", err)
			}
			if !isValidation(err) {
				t.Fatal("a PasswordChangeError must also read as a ValidationError")
			}
			for _, field := range tc.fields {
				if perr.Fields[field] == "" {
					t.Errorf("no message for %s: %v", field, perr.Fields)
				}
			}
			if perr.WrongCurrent != tc.wrongCurrent {
				t.Errorf("WrongCurrent = %v, want %v", perr.WrongCurrent, tc.wrongCurrent)
			}
			if !f.alive(keepTok) || !f.alive(otherTok) {
				t.Fatal("a refused change ended sessions")
			}
			if _, err := f.s.Authenticate(ctx, "kadri", fixtureDelPassword); err != nil {
				t.Fatalf("a refused change altered the password: %v", err)
			}
		})
	}
}

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

func TestLoginThrottle(t *testing.T) {
	p := DefaultThrottle()
	type step struct {
		wait    time.Duration // clock advance before the failure
		fail    bool          // count a failure
		ok      bool          // count a successful sign-in
		addr    string        // client address; default 10.0.0.1
		user    string        // username; default kadri
		locked  bool          // the failure locks
		blocked time.Duration // loginWait right after the step
	}
	// untilLock is the sequence of failures of kadri from 10.0.0.1, each
	// made as soon as allowed, that locks the pair: pauses of 1 and 2
	// seconds (the pair), then 10 seconds (the account's fourth failure),
	// then the 15 minute lock.
	untilLock := []step{
		{fail: true},
		{fail: true, blocked: time.Second},
		{wait: time.Second, fail: true, blocked: 2 * time.Second},
		{wait: 2 * time.Second, fail: true, blocked: 10 * time.Second},
		{wait: 10 * time.Second, fail: true, locked: true, blocked: 15 * time.Minute},
	}
	join := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"one failure costs nothing", []step{{fail: true}}},
		{"growing pauses, then a 15 minute lock of the pair", untilLock},
		{"the next lock lasts as long", join(untilLock, []step{{wait: 15 * time.Minute}}, untilLock)},
		{"failures outside the window start afresh", join(untilLock[:4], []step{
			{wait: 16 * time.Minute, fail: true},
			{fail: true, blocked: time.Second},
		})},
		{"success clears the account's failures", join(untilLock[:4], []step{
			{wait: 10 * time.Second, ok: true},
			{fail: true},
			{fail: true, blocked: time.Second},
		})},
		{"other usernames from another address are not affected", join(untilLock, []step{
			{fail: true, user: "someone-else", addr: "10.0.0.2"},
		})},
		{"a locked pair only slows the account elsewhere, for 10 seconds", join(untilLock, []step{
			{addr: "192.0.2.9", blocked: 10 * time.Second},
			{wait: 10 * time.Second, addr: "192.0.2.9", ok: true},
		})},
		{"a known address is exempt from the account-wide limit", join([]step{
			{addr: "192.0.2.9", ok: true},
		}, untilLock, []step{
			{addr: "192.0.2.9"},
			{addr: "192.0.2.9", ok: true},
		})},
		{"a known address is forgotten after 30 days", join([]step{
			{addr: "192.0.2.9", ok: true},
			{wait: 31 * 24 * time.Hour},
		}, untilLock, []step{
			{addr: "192.0.2.9", blocked: 10 * time.Second},
		})},
		{"guesses from many addresses: about one per 10 seconds", []step{
			{fail: true, addr: "10.1.0.1"},
			{fail: true, addr: "10.1.0.2"},
			{fail: true, addr: "10.1.0.3"},
			{fail: true, addr: "10.1.0.4", blocked: 10 * time.Second},
			{wait: 10 * time.Second, fail: true, addr: "10.1.0.5", blocked: 10 * time.Second},
			{wait: 10 * time.Second, fail: true, addr: "10.1.0.6", blocked: 10 * time.Second},
		}},
		{"an address guessing many usernames is paused, never locked", func() []step {
			var s []step
			for i := 1; i <= 25; i++ {
				st := step{fail: true, user: "user" + strconv.Itoa(i)}
				if i > 10 {
					st.blocked = min(time.Second<<(i-11), 30*time.Second)
				}
				if i > 11 {
					st.wait = min(time.Second<<(i-12), 30*time.Second)
				}
				s = append(s, st)
			}
			return s
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			for i, st := range tc.steps {
				f.advance(st.wait)
				a := Attempt{Username: "kadri", Address: "10.0.0.1"}
				if st.user != "" {
					a.Username = st.user
				}
				if st.addr != "" {
					a.Address = st.addr
				}
				if st.fail {
					got, err := f.failLogin(ctx, p, a)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if got.Locked != st.locked {
						t.Fatalf("step %d: locked = %v, want %v", i, got.Locked, st.locked)
					}
					if got.Wait != st.blocked {
						t.Fatalf("step %d: failure wait = %v, want %v", i, got.Wait, st.blocked)
					}
				} else if st.ok {
					if wait, _, err := f.s.BeginLogin(ctx, p, a); err != nil || wait != 0 {
						t.Fatalf("step %d: BeginLogin = %v, %v", i, wait, err)
					}
					if err := f.s.LoginSucceeded(ctx, a); err != nil {
						t.Fatal(err)
					}
				}
				wait, err := loginWait(ctx, f.s, p, a)
				if err != nil {
					t.Fatal(err)
				}
				if wait != st.blocked {
					t.Fatalf("step %d: loginWait = %v, want %v", i, wait, st.blocked)
				}
			}
		})
	}
}

// loginWait reads how long an attempt must wait before its password may
// be checked, without counting anything.
func loginWait(ctx context.Context, s *Store, p ThrottlePolicy, a Attempt) (time.Duration, error) {
	known, err := isKnownAddress(s.r.WithContext(ctx), p, a, s.Now())
	if err != nil {
		return 0, err
	}
	var rows []LoginFailure
	if err := s.r.WithContext(ctx).Where("key IN ?", keyNames(a.keys(p, known))).Find(&rows).Error; err != nil {
		return 0, err
	}
	return waitOf(rows, s.Now()), nil
}

// failLogin is a sign-in attempt with a wrong password, as the handler
// makes it: BeginLogin, then LoginFailed.
func (f *accountsFixture) failLogin(ctx context.Context, p ThrottlePolicy, a Attempt) (Throttled, error) {
	wait, pre, err := f.s.BeginLogin(ctx, p, a)
	if err != nil {
		return Throttled{}, err
	}
	if wait != 0 {
		return Throttled{}, fmt.Errorf("refused for %v", wait)
	}
	got, err := f.s.LoginFailed(ctx, p, a)
	return got.Merge(pre), err
}

func TestBeginLoginHoldsParallelAttempts(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	p := DefaultThrottle()
	const n = 20
	allowed := make(chan bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different addresses: only the account name can hold them.
			wait, _, err := f.s.BeginLogin(ctx, p, Attempt{Username: "kadri", Address: "10.1.0." + strconv.Itoa(i)})
			if err != nil {
				t.Error(err)
			}
			allowed <- wait == 0
		}()
	}
	wg.Wait()
	close(allowed)
	got := 0
	for ok := range allowed {
		if ok {
			got++
		}
	}
	// The account-wide limit holds them: the first three attempts are free
	// and the fourth starts a pause, so a burst of parallel guesses from
	// many addresses gets four through, not twenty.
	if got != AccountFree+1 {
		t.Fatalf("%d of %d parallel attempts went ahead, want %d", got, n, AccountFree+1)
	}
}

func TestLoginThrottleSuccessKeepsAddressCount(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	p := DefaultThrottle()
	for i := range 19 {
		got, err := f.failLogin(ctx, p, Attempt{Username: "guess" + strconv.Itoa(i), Address: "10.9.9.9"})
		if err != nil {
			t.Fatal(err)
		}
		f.advance(got.Wait) // just past each pause, within the window
	}
	if err := f.s.LoginSucceeded(ctx, Attempt{Username: "kadri", Address: "10.9.9.9"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.failLogin(ctx, p, Attempt{Username: "guess-last", Address: "10.9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Locked || got.Wait != AddressMaxPause {
		t.Fatalf("the 20th failure: %+v, want a pause of %v and no lock (a sign-in to one account must not reset the address's count)", got, AddressMaxPause)
	}
}

func TestLoginThrottleForgetsOldKeys(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	p := DefaultThrottle()
	for i := range 5 {
		if _, err := f.failLogin(ctx, p, Attempt{Username: "invented" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	f.advance(25 * time.Hour)
	if _, err := f.failLogin(ctx, p, Attempt{Username: "latest"}); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := f.s.r.Model(&LoginFailure{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d throttle rows kept, want only the latest", n)
	}
}

func TestDoubled(t *testing.T) {
	cases := []struct {
		name     string
		d        time.Duration
		n        int
		limit    time.Duration
		expected time.Duration
	}{
		{"no doubling", time.Second, 0, time.Minute, time.Second},
		{"three doublings", time.Second, 3, time.Minute, 8 * time.Second},
		{"capped", time.Second, 10, time.Minute, time.Minute},
		{"huge n does not overflow", time.Minute, 1000, 24 * time.Hour, 24 * time.Hour},
		{"start above the limit", time.Hour, 0, time.Minute, time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := doubled(tc.d, tc.n, tc.limit); got != tc.expected {
				t.Fatalf("doubled(%v, %d, %v) = %v, want %v", tc.d, tc.n, tc.limit, got, tc.expected)
			}
		})
	}
}

func TestAuditFilter(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	events := []AuditEvent{
		{At: day(1), UserID: &f.facilitator.ID, Action: "a.one", Subject: "1"},
		{At: day(2), UserID: &f.delegate.ID, MemberID: &f.est.ID, Action: "a.two", Subject: "2"},
		{At: day(3), UserID: &f.delegate.ID, MemberID: &f.est.ID, Action: "a.one", Subject: "3"},
		{At: day(4), UserID: &f.facilitator.ID, MemberID: &f.lva.ID, Action: "a.two", Subject: "4"},
	}
	for _, ev := range events {
		if err := f.s.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		f    AuditFilter
		want string // subjects, newest first
	}{
		{"action", AuditFilter{Action: "a.one"}, "31"},
		{"user", AuditFilter{UserID: f.delegate.ID}, "32"},
		{"member", AuditFilter{MemberID: f.est.ID}, "32"},
		{"since", AuditFilter{Since: day(3).Add(-time.Hour), Action: "", UserID: 0}, "43"},
		{"until is exclusive", AuditFilter{Until: day(3)}, "21"},
		{"range", AuditFilter{Since: day(2), Until: day(4)}, "32"},
		{"before id", AuditFilter{BeforeID: 3}, "21"},
		{"offset and limit", AuditFilter{Offset: 1, Limit: 2}, "32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Since = maxTime(tc.f.Since, day(1).Add(-time.Hour)) // leave out the fixture's own events
			list, err := f.s.Audit(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for _, r := range list {
				if strings.HasPrefix(r.Action, "a.") {
					got.WriteString(r.Subject)
				}
			}
			if got.String() != tc.want {
				t.Fatalf("subjects %q, want %q", got.String(), tc.want)
			}
			count := tc.f
			count.Offset, count.Limit = 0, 0
			n, err := f.s.AuditCount(ctx, count)
			if err != nil {
				t.Fatal(err)
			}
			all, err := f.s.Audit(ctx, AuditFilter{Action: count.Action, UserID: count.UserID, MemberID: count.MemberID,
				Since: count.Since, Until: count.Until, BeforeID: count.BeforeID, Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			if int(n) != len(all) {
				t.Fatalf("AuditCount = %d, listing has %d", n, len(all))
			}
		})
	}
	actions, err := f.s.AuditActions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "a.one,a.two" {
		t.Fatalf("AuditActions = %v", actions)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestAuditLogIsAppendOnly checks the three layers that keep the audit log
// append-only: the database refuses changes, no code in this package
// writes to audit rows except by inserting, and the Store offers no method
// that could.
func TestAuditLogIsAppendOnly(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	if err := f.s.Record(ctx, AuditEvent{Action: "test.event", Subject: "original"}); err != nil {
		t.Fatal(err)
	}

	t.Run("database refuses updates and deletes", func(t *testing.T) {
		for _, stmt := range []string{
			"UPDATE audit_events SET subject = 'forged'",
			"DELETE FROM audit_events",
			"DELETE FROM audit_events WHERE action = 'test.event'",
		} {
			err := f.s.w.Exec(stmt).Error
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want the append-only refusal", stmt, err)
			}
		}
		gormErr := f.s.w.Model(&AuditEvent{}).Where("action = ?", "test.event").Update("subject", "forged").Error
		if gormErr == nil {
			t.Error("a gorm update of an audit row went through")
		}
		list, err := f.s.Audit(ctx, AuditFilter{Action: "test.event"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Subject != "original" {
			t.Fatalf("audit rows after the attempts: %+v", list)
		}
	})

	t.Run("no code path modifies audit rows", func(t *testing.T) {
		fset := token.NewFileSet()
		files, err := filepath.Glob("*.go")
		if err != nil {
			t.Fatal(err)
		}
		mutators := map[string]bool{"Delete": true, "Save": true, "Update": true, "Updates": true,
			"UpdateColumn": true, "UpdateColumns": true, "Unscoped": true}
		badSQL := regexp.MustCompile(`(?is)(\bupdate\s+"?audit_events|delete\s+from\s+"?audit_events|replace\s+into\s+"?audit_events|drop\s+(table|trigger)|truncate)`)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if n.Kind == token.STRING {
						if s, err := strconv.Unquote(n.Value); err == nil && badSQL.MatchString(s) {
							t.Errorf("%s: SQL that changes the audit log: %q", fset.Position(n.Pos()), s)
						}
					}
				case *ast.CallExpr:
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok || !mutators[sel.Sel.Name] {
						return true
					}
					// The whole call chain (receiver and arguments) must
					// not name the audit table or type.
					if mentionsAudit(n) {
						t.Errorf("%s: %s on audit events", fset.Position(n.Pos()), sel.Sel.Name)
					}
				}
				return true
			})
		}
	})

	t.Run("the Store has no method that could change the log", func(t *testing.T) {
		forbidden := regexp.MustCompile(`(?i)(delete|update|edit|remove|purge|prune|clear|truncate|rewrite|set).*audit|audit.*(delete|update|edit|remove|purge|prune|clear|truncate|rewrite|set)`)
		st := reflect.TypeOf(&Store{})
		for i := range st.NumMethod() {
			if m := st.Method(i); forbidden.MatchString(m.Name) {
				t.Errorf("Store.%s looks like it changes the audit log", m.Name)
			}
		}
	})
}

// mentionsAudit reports whether a call chain names AuditEvent or the
// audit_events table anywhere.
func mentionsAudit(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if n.Name == "AuditEvent" {
				found = true
			}
		case *ast.BasicLit:
			if strings.Contains(n.Value, "audit_events") {
				found = true
			}
		}
		return !found
	})
	return found
}
