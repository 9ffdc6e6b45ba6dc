package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// userRun runs "concord user …" with stdin as standard input.
func userRun(t *testing.T, stdin string, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = userCommand(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

var inviteLine = regexp.MustCompile(`(?m)^  (\S+)/invite/([A-Za-z0-9_-]{20,})$`)

func TestUserCreateLink(t *testing.T) {
	db, store := cliDB(t)
	ctx := context.Background()
	est, err := store.MemberByCode(ctx, "EST")
	if err != nil {
		t.Fatal(err)
	}
	note := "The link assumes the server is reached at http://127.0.0.1:8080; give -base-url (or CONCORD_BASE_URL) when it is reached at another address.\n"
	anyone := "Send it to the person by a trusted channel: they choose their username and password on the page.\n"
	tests := []struct {
		name     string
		env      string // CONCORD_BASE_URL
		args     []string
		head     string // the first line printed, without the date
		base     string
		tail     string // what follows the link
		role     string
		member   *uint
		approver bool
		ttl      time.Duration
	}{
		{"facilitator at the default address", "", []string{"create", "-db", db, "-role", "facilitator"},
			"Created a one-time invitation for a facilitator", "http://127.0.0.1:8080", anyone + note,
			models.RoleFacilitator, nil, false, 7 * 24 * time.Hour},
		{"head of delegation for a named person", "", []string{"create", "-db", db, "-role", "delegate", "-member", "est", "-approver",
			"-username", "Kadri", "-base-url", "https://concord.example.org/prep/", "-valid", "48h"},
			"Created a one-time invitation for a delegate of EST (head of delegation)", "https://concord.example.org/prep",
			"Send it to the person who is to sign in as kadri: they type that username and choose their password on the page.\n",
			models.RoleDelegate, &est.ID, true, 48 * time.Hour},
		{"observer, address from the environment", "https://concord.example.org", []string{"create", "-db", db, "-role", "observer"},
			"Created a one-time invitation for an observer", "https://concord.example.org", anyone,
			models.RoleObserver, nil, false, 7 * 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CONCORD_BASE_URL", tc.env)
			before := time.Now().UTC()
			stdout, err := userRun(t, "", tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfterN(stdout, "\n", 3)
			if len(lines) != 3 || !strings.HasPrefix(lines[0], tc.head+", valid until ") || lines[2] != tc.tail {
				t.Fatalf("printed %q, want %q…, the link, then %q", stdout, tc.head, tc.tail)
			}
			m := inviteLine.FindStringSubmatch(lines[1])
			if m == nil || m[1] != tc.base {
				t.Fatalf("link line %q, want one on %s", lines[1], tc.base)
			}
			inv, err := store.InvitationByToken(ctx, m[2])
			if err != nil {
				t.Fatalf("the printed link does not work: %v", err)
			}
			if inv.Role != tc.role || (inv.MemberID == nil) != (tc.member == nil) ||
				(tc.member != nil && *inv.MemberID != *tc.member) || inv.Approver != tc.approver || inv.CreatedBy != nil {
				t.Errorf("invitation %+v, want role %s, member %v, approver %v, created by no account", inv, tc.role, tc.member, tc.approver)
			}
			if d := inv.ExpiresAt.Sub(before); d < tc.ttl-time.Minute || d > tc.ttl+time.Minute {
				t.Errorf("expires after %v, want %v", d, tc.ttl)
			}
			if want := inv.ExpiresAt.UTC().Format(time.RFC3339) + ":\n"; !strings.HasSuffix(lines[0], want) {
				t.Errorf("first line %q, want it to end with the expiry %q", lines[0], want)
			}
		})
	}
}

func TestUserCreatePasswordStdin(t *testing.T) {
	db, store := cliDB(t)
	t.Setenv("CONCORD_BASE_URL", "")
	ctx := context.Background()
	const password = "amber lantern over quiet fjords"
	tests := []struct {
		name   string
		stdin  string
		args   []string
		stdout string
		err    string
		login  string // a username that can then sign in with password
	}{
		{"facilitator", password + "\n", []string{"create", "-db", db, "-role", "facilitator", "-username", "Fran", "-name", "Fran Facilitator", "-password-stdin"},
			"Created the account fran (Fran Facilitator), a facilitator; it can sign in now.\n", "", "fran"},
		{"delegate, Windows line ending, name defaults to the username", password + "\r\n",
			[]string{"create", "-db", db, "-role", "delegate", "-member", "LVA", "-username", "ilze", "-password-stdin"},
			"Created the account ilze (ilze), a delegate of LVA; it can sign in now.\n", "", "ilze"},
		{"head of delegation, no final line ending", password,
			[]string{"create", "-db", db, "-role", "delegate", "-member", "LTU", "-approver", "-username", "rasa", "-name", "Rasa", "-password-stdin"},
			"Created the account rasa (Rasa), a delegate of LTU (head of delegation); it can sign in now.\n", "", "rasa"},
		{"only the first line is the password", password + "\nsecond line\n",
			[]string{"create", "-db", db, "-role", "observer", "-username", "olga", "-name", "Olga", "-password-stdin"},
			"Created the account olga (Olga), an observer; it can sign in now.\n", "", "olga"},
		{"no password", "", []string{"create", "-db", db, "-role", "observer", "-username", "nopass", "-password-stdin"},
			"", "no password on standard input", ""},
		{"an empty first line", "\n" + password + "\n", []string{"create", "-db", db, "-role", "observer", "-username", "nopass", "-password-stdin"},
			"", "no password on standard input", ""},
		{"a weak password", "password1\n", []string{"create", "-db", db, "-role", "observer", "-username", "weak", "-name", "Weak", "-password-stdin"},
			"", "the account was not created: password: ", ""},
		{"a taken username", password + "\n", []string{"create", "-db", db, "-role", "observer", "-username", "fran", "-name", "Another", "-password-stdin"},
			"", "the account was not created: -username: This username is taken.", ""},
		{"no username", password + "\n", []string{"create", "-db", db, "-role", "observer", "-password-stdin"},
			"", "give the account's username with -username NAME", ""},
		{"a password on the command line", "", []string{"create", "-db", db, "-role", "observer", "-username", "x", password},
			"", "a password is never given on the command line: use -password-stdin", ""},
		{"a password too long", strings.Repeat("a", maxPasswordLine+1), []string{"create", "-db", db, "-role", "observer", "-username", "long", "-password-stdin"},
			"", "longer than 1024 bytes", ""},
		{"a password too long, with its line ending", strings.Repeat("a", maxPasswordLine+1) + "\n",
			[]string{"create", "-db", db, "-role", "observer", "-username", "long", "-password-stdin"}, "", "longer than 1024 bytes", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, err := userRun(t, tc.stdin, tc.args...)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want it to say %q", err, tc.err)
			}
			if stdout != tc.stdout {
				t.Errorf("printed %q, want %q", stdout, tc.stdout)
			}
			if tc.login != "" {
				if _, err := store.Authenticate(ctx, tc.login, password); err != nil {
					t.Errorf("%s cannot sign in: %v", tc.login, err)
				}
			}
		})
	}
	events, err := store.Audit(ctx, models.AuditFilter{Action: models.AuditAccountCreated})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Subject+": "+e.Detail)
	}
	want := []string{ // newest first
		"account olga: created on the command line as observer",
		"account rasa: created on the command line as delegate of LTU (head of delegation)",
		"account ilze: created on the command line as delegate of LVA",
		"account fran: created on the command line as facilitator",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUserCreateRefusals covers what is refused before anything is
// created, in both modes.
func TestUserCreateRefusals(t *testing.T) {
	db, store := cliDB(t)
	t.Setenv("CONCORD_BASE_URL", "")
	ctx := context.Background()
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"no role", []string{"create", "-db", db}, "give the account's role with -role facilitator, -role observer or -role delegate"},
		{"unknown role", []string{"create", "-db", db, "-role", "admin"}, `-role "admin": choose facilitator, observer or delegate`},
		{"delegate without a member", []string{"create", "-db", db, "-role", "delegate"}, "a delegate belongs to a member: give -member CODE"},
		{"observer with a member", []string{"create", "-db", db, "-role", "observer", "-member", "EST"}, "-member goes with -role delegate only"},
		{"facilitator as approver", []string{"create", "-db", db, "-role", "facilitator", "-approver"}, "-approver goes with -role delegate only"},
		{"unknown member", []string{"create", "-db", db, "-role", "delegate", "-member", "xyz"}, `there is no member with the code "XYZ"`},
		{"link for a taken username", []string{"create", "-db", db, "-role", "observer", "-username", "demo-facilitator"},
			"-username demo-facilitator: this username is taken"},
		{"link for a username with a space", []string{"create", "-db", db, "-role", "observer", "-username", "two words"},
			"-username two words: use 3 to 64 characters without spaces"},
		{"link for a formula username", []string{"create", "-db", db, "-role", "observer", "-username", "+sum"},
			"-username +sum: A username cannot start with =, +, - or @."},
		{"a bad base URL", []string{"create", "-db", db, "-role", "observer", "-base-url", "concord.example.org"}, "-base-url: "},
		{"no validity", []string{"create", "-db", db, "-role", "observer", "-valid", "0s"}, "-valid 0s: give a positive duration"},
		{"unknown user command", []string{"delete", "-db", db}, `unknown user command "delete"`},
	}
	pending := func() int {
		invs, err := store.Invitations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(invs)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := pending()
			stdout, err := userRun(t, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want it to say %q", err, tc.err)
			}
			if stdout != "" {
				t.Errorf("printed %q", stdout)
			}
			if n := pending(); n != before {
				t.Errorf("%d invitations pending, want %d", n, before)
			}
		})
	}
}
