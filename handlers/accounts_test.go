package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"concord/handlers"
	"concord/models"
)

// createInvitationLink has the facilitator create an invitation and
// returns the path of its link.
func createInvitationLink(t *testing.T, fac *client, role, member string) string {
	t.Helper()
	res := fac.submit("/accounts/invitations", url.Values{"role": {role}, "member": {member}})
	wantStatus(t, res, http.StatusCreated)
	link := res.textOf("invite-link")
	// Built on the configured base URL, not on the request's Host
	// (example.com in these tests).
	const prefix = "http://127.0.0.1:8080/invite/"
	if !strings.HasPrefix(link, prefix) || len(link) <= len(prefix) {
		t.Fatalf("invitation link %q does not start with %s", link, prefix)
	}
	wantText(t, res, "will not be shown again")
	return strings.TrimPrefix(link, "http://127.0.0.1:8080")
}

// TestLinksUseBaseURL: a request with another Host header never shapes a
// link; invitation links and the API address use the base URL.
func TestLinksUseBaseURL(t *testing.T) {
	app := newTestApp(t, func(c *handlers.Config) { c.BaseURL = "https://concord.example.org/prep/" })
	fac := app.login(app.facilitator("fran"))
	fac.Header.Set("X-Forwarded-Host", "evil.example")
	res := fac.do(http.MethodPost, "/accounts/invitations", strings.NewReader(url.Values{"role": {"observer"},
		"csrf_token": {fac.csrfToken()}}.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
		"Host": {"evil.example"}})
	wantStatus(t, res, http.StatusCreated)
	if link := res.textOf("invite-link"); !strings.HasPrefix(link, "https://concord.example.org/prep/invite/") {
		t.Errorf("invitation link %q, want it on the base URL", link)
	}
	wantNoBody(t, res, "evil.example", "http://example.com")
}

func accountForm(username string) url.Values {
	return url.Values{"username": {username}, "name": {"Ieva Ozola"},
		"password": {"seven brass kettles singing"}, "confirm": {"seven brass kettles singing"}}
}

func TestInvitationLifecycle(t *testing.T) {
	app := newTestApp(t)
	fac := app.login(app.facilitator("fran"))
	path := createInvitationLink(t, fac, models.RoleDelegate, "LVA")
	token := strings.TrimPrefix(path, "/invite/")
	// The one-time link says whom it is for, so it goes to the right person.
	for _, tc := range []struct{ role, member, want string }{
		{models.RoleObserver, "", "Invitation created for an observer"},
		{models.RoleFacilitator, "", "Invitation created for a facilitator"},
		{models.RoleDelegate, "EST", "Invitation created for a delegate of Estonia"},
	} {
		res := fac.submit("/accounts/invitations", url.Values{"role": {tc.role}, "member": {tc.member}})
		wantStatus(t, res, http.StatusCreated)
		wantText(t, res, tc.want)
	}

	// The link is shown once: the accounts page never shows it again, and
	// the database keeps only its hash.
	accounts := fac.get("/accounts")
	wantStatus(t, accounts, http.StatusOK)
	wantNoBody(t, accounts, token)
	wantText(t, accounts, "Pending invitations", "Latvia")
	if n := app.auditCount(models.AuditInvitationNew); n != 4 {
		t.Errorf("%d invitation events, want 4", n)
	}

	invitee := app.anonymous()
	page := invitee.get(path)
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "You are invited as delegate for Latvia")

	// A form with problems is answered with messages and keeps the
	// username, never the passwords; the invitation stays usable.
	bad := accountForm("ieva")
	bad.Set("confirm", "something else entirely")
	res := invitee.post(path, bad)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantMessageBeside(t, res, "The two passwords differ.", "confirm")
	if got := res.inputValue("username"); got != "ieva" {
		t.Errorf("username shows %q", got)
	}
	wantNoBody(t, res, "seven brass kettles singing")

	res = invitee.post(path, accountForm("ieva"))
	wantRedirect(t, res, "/")
	if !strings.Contains(res.flash(), "Your account is ready.") {
		t.Errorf("flash %q", res.flash())
	}
	wantStatus(t, invitee.getFollow("/"), http.StatusOK)
	users, err := app.store.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var created *models.User
	for i := range users {
		if users[i].Username == "ieva" {
			created = &users[i]
		}
	}
	if created == nil || created.Role != models.RoleDelegate || created.Member == nil || created.Member.Code != "LVA" {
		t.Fatalf("created account %+v, want a delegate of LVA", created)
	}

	// Used once: the link is gone for good.
	again := app.anonymous()
	wantStatus(t, again.get(path), http.StatusNotFound)
	res = again.post(path, accountForm("mallory"))
	wantStatus(t, res, http.StatusNotFound)
	wantText(t, res, "This invitation link is not valid")
	users2, err := app.store.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users2) != len(users) {
		t.Errorf("a used invitation created another account: %d accounts, want %d", len(users2), len(users))
	}
}

func TestInvitationExpires(t *testing.T) {
	app := newTestApp(t)
	fac := app.login(app.facilitator("fran"))
	path := createInvitationLink(t, fac, models.RoleObserver, "")
	app.clock.advance(app.cfg.InvitationTTL + time.Minute)
	anon := app.anonymous()
	wantStatus(t, anon.get(path), http.StatusNotFound)
	res := anon.post(path, accountForm("late-comer"))
	wantStatus(t, res, http.StatusNotFound)
	wantText(t, res, "have expired")
	if _, err := app.store.Authenticate(context.Background(), "late-comer", "seven brass kettles singing"); err == nil {
		t.Error("an expired invitation created an account")
	}
}

func TestInvitationForm(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		code    int
		field   string
		message string
	}{
		{"observer", url.Values{"role": {"observer"}}, http.StatusCreated, "", ""},
		{"facilitator", url.Values{"role": {"facilitator"}}, http.StatusCreated, "", ""},
		{"delegate without member", url.Values{"role": {"delegate"}, "member": {""}}, http.StatusUnprocessableEntity,
			"member", "Choose the member this delegate will represent."},
		{"delegate of unknown member", url.Values{"role": {"delegate"}, "member": {"ATL"}}, http.StatusUnprocessableEntity,
			"member", "Choose the member this delegate will represent."},
		{"unknown role", url.Values{"role": {"admin"}}, http.StatusUnprocessableEntity,
			"role", "Choose delegate, observer or facilitator."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			fac := app.login(app.facilitator("fran"))
			res := fac.submit("/accounts/invitations", tc.form)
			wantStatus(t, res, tc.code)
			n, err := app.store.Invitations(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.code != http.StatusCreated {
				wantMessageBeside(t, res, tc.message, tc.field)
				if len(n) != 0 {
					t.Errorf("%d invitations after a refused form", len(n))
				}
				if res.byID("invite-link") != nil {
					t.Error("a refused form shows a link")
				}
				return
			}
			if len(n) != 1 || n[0].Role != tc.form.Get("role") {
				t.Errorf("invitations %+v", n)
			}
		})
	}
	t.Run("delegates cannot invite", func(t *testing.T) {
		app := newTestApp(t)
		cl := app.login(app.delegate("kadri", "EST"))
		wantStatus(t, cl.submit("/accounts/invitations", url.Values{"role": {"facilitator"}}), http.StatusForbidden)
	})
}
