package models

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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
