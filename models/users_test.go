package models

import (
	"context"
	"errors"
	"testing"
)

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
