package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"concord/models"
)

func TestLogin(t *testing.T) {
	tests := []struct {
		name     string
		username string
		password string // "" means the account's own password
		next     string
		wantCode int
		wantTo   string // Location on success
	}{
		{name: "right password", username: "kadri", wantCode: http.StatusSeeOther, wantTo: "/"},
		{name: "username in other case and padded", username: "  KADRI ", wantCode: http.StatusSeeOther, wantTo: "/"},
		{name: "back to the page asked for", username: "kadri", next: "/dashboard", wantCode: http.StatusSeeOther, wantTo: "/dashboard"},
		{name: "next to another site is ignored", username: "kadri", next: "//evil.example/steal", wantCode: http.StatusSeeOther, wantTo: "/"},
		// Browsers drop tabs and newlines from a Location and read a
		// backslash as a slash, so each of these would leave the site.
		{name: "next with a tab before a second slash is ignored", username: "kadri", next: "/\t/evil.example/steal", wantCode: http.StatusSeeOther, wantTo: "/"},
		{name: "next with a newline before a second slash is ignored", username: "kadri", next: "/\n/evil.example/steal", wantCode: http.StatusSeeOther, wantTo: "/"},
		{name: "next with a slash and a backslash is ignored", username: "kadri", next: "/\\evil.example/steal", wantCode: http.StatusSeeOther, wantTo: "/"},
		{name: "next with a backslash after a tab is ignored", username: "kadri", next: "/\t\\evil.example/steal", wantCode: http.StatusSeeOther, wantTo: "/"},
		{name: "next with a query is kept", username: "kadri", next: "/audit?member=EST&page=2", wantCode: http.StatusSeeOther, wantTo: "/audit?member=EST&page=2"},
		{name: "wrong password", username: "kadri", password: "not the password at all 99", wantCode: http.StatusUnauthorized},
		{name: "unknown account", username: "nobody", password: "not the password at all 99", wantCode: http.StatusUnauthorized},
		{name: "empty form", username: "", password: " ", wantCode: http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			u := app.delegate("kadri", "EST")
			password := tc.password
			if password == "" {
				password = u.Password
			}
			cl := app.anonymous()
			form := url.Values{"username": {tc.username}, "password": {password}}
			if tc.next != "" {
				form.Set("next", tc.next)
			}
			res := cl.post("/login", form)
			wantStatus(t, res, tc.wantCode)
			if tc.wantCode != http.StatusSeeOther {
				wantText(t, res, "The username or password is not correct.")
				if strings.TrimSpace(password) != "" {
					wantNoBody(t, res, password)
				}
				if got := res.inputValue("username"); got != tc.username {
					t.Errorf("username field shows %q, want the typed %q", got, tc.username)
				}
				if cl.cookie("concord_session") != "" {
					t.Error("a failed login set a session cookie")
				}
				if n := app.auditCount(models.AuditLoginFailed); n != 1 {
					t.Errorf("%d login failures recorded, want 1", n)
				}
				return
			}
			if got := res.location(); got != tc.wantTo {
				t.Errorf("redirects to %q, want %q", got, tc.wantTo)
			}
			if cl.cookie("concord_session") == "" {
				t.Fatal("no session cookie after login")
			}
			// The session works: the delegate reaches their dashboard.
			page := cl.getFollow("/")
			wantStatus(t, page, http.StatusOK)
			wantText(t, page, "Your consultations", "Estonia")
			if n := app.auditCount(models.AuditLoginOK); n != 1 {
				t.Errorf("%d successful logins recorded, want 1", n)
			}
		})
	}
}

func TestLoginFormKeepsNextAndSignedInUsersSkipIt(t *testing.T) {
	app := newTestApp(t)
	u := app.facilitator("fran")
	anon := app.anonymous()
	page := anon.get("/login?next=/consultations")
	wantStatus(t, page, http.StatusOK)
	if got := page.inputValue("next"); got != "/consultations" {
		t.Errorf("next field = %q, want /consultations", got)
	}
	cl := app.login(u)
	wantRedirect(t, cl.get("/login"), "/")
	wantRedirect(t, cl.get("/"), "/consultations")
}

func TestLogout(t *testing.T) {
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	cl := app.login(u)
	token := cl.cookie("concord_session")

	// Without the form token, sign-out is refused and the session lives on.
	wantStatus(t, cl.post("/logout", nil), http.StatusForbidden)
	wantStatus(t, cl.get("/dashboard"), http.StatusOK)

	res := cl.submit("/logout", nil)
	wantRedirect(t, res, "/login")
	if got := res.flash(); got != "You are signed out." {
		t.Errorf("flash = %q", got)
	}
	if cl.cookie("concord_session") != "" {
		t.Error("the session cookie was not cleared")
	}
	wantRedirect(t, cl.get("/dashboard"), "/login?next=%2Fdashboard")

	// The old token no longer opens a session, even if replayed.
	replay := app.anonymous()
	replay.setCookie("concord_session", token)
	wantRedirect(t, replay.get("/dashboard"), "/login?next=%2Fdashboard")
	if n := app.auditCount(models.AuditLogout); n != 1 {
		t.Errorf("%d logouts recorded, want 1", n)
	}
}

func TestAnonymousAccess(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	anon := app.anonymous()
	gets := []struct {
		name string
		path string
	}{
		{"home", "/"},
		{"dashboard", "/dashboard"},
		{"positions form", "/consultations/review/positions/EST"},
		{"history", "/consultations/review/positions/EST/history"},
		{"consultations", "/consultations"},
		{"consultation", "/consultations/review"},
		{"coverage", "/consultations/review/coverage"},
		{"accounts", "/accounts"},
	}
	for _, tc := range gets {
		t.Run("GET "+tc.name, func(t *testing.T) {
			res := anon.get(tc.path)
			wantRedirect(t, res, "/login?next="+url.QueryEscape(tc.path))
		})
	}
	posts := []struct {
		name string
		path string
		form url.Values
	}{
		{"positions", "/consultations/review/positions/EST", url.Values{"preferred.posture": {"3"}}},
		{"new consultation", "/consultations", url.Values{"key": {"x"}, "title": {"X"}}},
		{"status", "/consultations/review/status", url.Values{"status": {"closed"}}},
		{"logout", "/logout", nil},
		{"invitation", "/accounts/invitations", url.Values{"role": {"observer"}}},
	}
	for _, tc := range posts {
		t.Run("POST "+tc.name, func(t *testing.T) {
			res := anon.post(tc.path, tc.form)
			wantStatus(t, res, http.StatusUnauthorized)
			if tc.name != "positions" {
				wantText(t, res, "Please sign in first.")
				return
			}
			// The position form posted after the session ended: nothing is
			// saved, and signing in leads back to the form.
			wantText(t, res, "Your session has ended, so nothing was saved.")
			links := find(res.html(), func(n *htmlNode) bool {
				href, _ := attr(n, "href")
				return n.Data == "a" && href == "/login?next=%2Fconsultations%2Freview%2Fpositions%2FEST"
			})
			if len(links) != 1 {
				t.Errorf("no sign-in link back to the form:\n%s", res.snippet())
			}
		})
	}
	if n := app.revisionCount(cons.ID, ""); n != 0 {
		t.Errorf("%d revisions written by anonymous posts", n)
	}
	c, err := app.store.ConsultationByKey(t.Context(), "review")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != models.StatusOpen {
		t.Errorf("status changed to %s by an anonymous post", c.Status)
	}
}

func TestUnknownPages(t *testing.T) {
	app := newTestApp(t)
	cl := app.login(app.facilitator("fran"))
	tests := []struct {
		name   string
		method string
		path   string
		code   int
	}{
		{"no such route", http.MethodGet, "/nowhere", http.StatusNotFound},
		{"no such consultation", http.MethodGet, "/consultations/nope", http.StatusNotFound},
		{"question id not a number", http.MethodGet, "/questions/abc/edit", http.StatusNotFound},
		{"no such question", http.MethodGet, "/questions/999/edit", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := cl.do(tc.method, tc.path, strings.NewReader(""), nil)
			wantStatus(t, res, tc.code)
			if !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("content type %q, want an HTML page", res.Header.Get("Content-Type"))
			}
		})
	}
	t.Run("wrong method", func(t *testing.T) {
		res := app.anonymous().do(http.MethodPut, "/login", strings.NewReader(""), nil)
		wantStatus(t, res, http.StatusMethodNotAllowed)
	})
}
