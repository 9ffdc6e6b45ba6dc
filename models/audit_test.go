package models

import (
	"context"
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
		badSQL := regexp.MustCompile(`(?is)(\bupdate\s+"?audit_events|delete\s+from\s+"?audit_events|replace\s+into\s+"?audit_events|drop\s+(table|trigger)|\btruncate\s+(table\b|"?audit_))`)
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
