// Security tests: sessions, sign-in throttling, revocation, cross-site
// requests, stored XSS, body limits, invitations, password rules, response
// headers, the sessions and password pages, and the audit log. They drive
// the real router through the shared harness (testutil_test.go).
package handlers_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"concord/handlers"
	"concord/internal/testdb"
	"concord/models"
)

// secSend sends one request from a given peer address, with a session
// cookie when token is not empty. It is for tests where the client
// address matters (throttling, proxies), which the harness client does
// not set.
func secSend(app *testApp, method, path, remoteAddr string, header http.Header, form url.Values) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if remoteAddr != "" {
		req.RemoteAddr = remoteAddr
	}
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	app.router.ServeHTTP(rec, req)
	return rec
}

// secLoginAttempt posts the sign-in form from a peer address.
func secLoginAttempt(app *testApp, username, password, remoteAddr string, header http.Header) *httptest.ResponseRecorder {
	return secSend(app, http.MethodPost, "/login", remoteAddr, header, url.Values{"username": {username}, "password": {password}})
}

func secSetsSession(rec *httptest.ResponseRecorder) bool {
	for _, c := range rec.Result().Cookies() {
		if c.Name == "concord_session" && c.Value != "" && c.MaxAge >= 0 {
			return true
		}
	}
	return false
}

// secAlert is the page-level message of an HTML answer.
func secAlert(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	r := &response{t: t, Code: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
	return r.alert()
}

func TestSessionFixationRefused(t *testing.T) {
	cases := []struct {
		name string
		// plant returns the session cookie value present before sign-in.
		plant func(app *testApp) string
	}{
		{"invented identifier", func(*testApp) string { return "attacker-chosen-identifier-0123456789" }},
		{"another account's live session", func(app *testApp) string {
			return app.login(app.observer("attacker")).cookie("concord_session")
		}},
		{"the same account's earlier session", func(app *testApp) string {
			return app.login(&testUser{User: app.secUser("kadri"), Password: testPassword}).cookie("concord_session")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			u := app.delegate("kadri", "EST")
			planted := tc.plant(app)
			cl := app.anonymous()
			cl.setCookie("concord_session", planted)
			res := cl.post("/login", url.Values{"username": {u.Username}, "password": {u.Password}})
			// A signed-in planted session makes the form need its token;
			// an unknown one is cleared. Either way: no fixation.
			if res.Code == http.StatusForbidden {
				res = cl.submit("/login", url.Values{"username": {u.Username}, "password": {u.Password}})
			}
			wantStatus(t, res, http.StatusSeeOther)
			got := cl.cookie("concord_session")
			if got == "" || got == planted {
				t.Fatalf("session after sign-in = %q, planted %q: want a new identifier", got, planted)
			}
			// The planted identifier opens nothing as the victim.
			old := app.anonymous()
			old.setCookie("concord_session", planted)
			if page := old.get("/dashboard"); page.Code == http.StatusOK {
				t.Fatal("the planted identifier reaches the victim's dashboard")
			}
		})
	}
}

// secUser loads an account by username.
func (a *testApp) secUser(username string) *models.User {
	a.t.Helper()
	users, err := a.store.Users(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	for i := range users {
		if users[i].Username == username {
			return &users[i]
		}
	}
	a.t.Fatalf("no account %s", username)
	return nil
}

func TestSessionIdleAndAbsoluteTimeout(t *testing.T) {
	cases := []struct {
		name  string
		waits []time.Duration // each followed by a request
		alive bool
	}{
		{"active", []time.Duration{time.Minute}, true},
		{"idle 29 minutes", []time.Duration{29 * time.Minute}, true},
		{"idle 30 minutes", []time.Duration{30 * time.Minute}, false},
		{"busy for 11 hours 50 minutes", secRepeat(10*time.Minute, 71), true},
		{"busy for 12 hours", secRepeat(10*time.Minute, 72), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			cl := app.login(app.delegate("kadri", "EST"))
			var res *response
			for _, d := range tc.waits {
				app.clock.advance(d)
				res = cl.get("/dashboard")
				if res.Code != http.StatusOK {
					break
				}
			}
			if tc.alive {
				wantStatus(t, res, http.StatusOK)
				return
			}
			wantRedirect(t, res, "/login?next=%2Fdashboard")
			if cl.cookie("concord_session") != "" {
				t.Error("the ended session's cookie was not cleared")
			}
		})
	}
}

func secRepeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestLogoutEndsSessionServerSide(t *testing.T) {
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	cl := app.login(u)
	other := app.login(u) // a second browser keeps its own session
	token := cl.cookie("concord_session")
	wantRedirect(t, cl.submit("/logout", nil), "/login")

	replay := app.anonymous()
	replay.setCookie("concord_session", token)
	wantRedirect(t, replay.get("/account/sessions"), "/login?next=%2Faccount%2Fsessions")
	// A replayed sign-out form is refused like any anonymous post.
	wantStatus(t, replay.post("/account/sessions/end-all", nil), http.StatusUnauthorized)
	wantStatus(t, other.get("/dashboard"), http.StatusOK)
}

func TestRevokedAccountLosesAccessAtOnce(t *testing.T) {
	app := newTestApp(t)
	app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	fac := app.login(app.facilitator("fran"))
	u := app.delegate("kadri", "EST")
	browsers := []*client{app.login(u), app.login(u)}
	apiToken, _, err := app.store.CreateAPIToken(context.Background(), u.ID, models.APITokenInput{Name: "script", Expires: "30"})
	if err != nil {
		t.Fatal(err)
	}
	apiGet := func() int {
		return secSend(app, http.MethodGet, "/api/v1/consultations", "", http.Header{"Authorization": {"Bearer " + apiToken}}, nil).Code
	}
	if code := apiGet(); code != http.StatusOK {
		t.Fatalf("API before revocation: %d", code)
	}

	res := fac.submit(fmt.Sprintf("/accounts/users/%d/revoke", u.ID), nil)
	wantRedirect(t, res, "/accounts")
	for i, b := range browsers {
		if page := b.get("/consultations/review/positions/EST"); page.Code != http.StatusSeeOther ||
			!strings.HasPrefix(page.location(), "/login") {
			t.Errorf("browser %d after revocation: %d %s", i, page.Code, page.location())
		}
	}
	if code := apiGet(); code != http.StatusUnauthorized {
		t.Errorf("API after revocation: %d, want 401", code)
	}
	// Sign-in is refused with the same words as a wrong password.
	rec := secLoginAttempt(app, u.Username, u.Password, "", nil)
	if rec.Code != http.StatusUnauthorized || secSetsSession(rec) {
		t.Fatalf("sign-in of a revoked account: %d", rec.Code)
	}
	if msg := secAlert(t, rec); msg != "The username or password is not correct." {
		t.Errorf("message %q", msg)
	}
	page := fac.get("/accounts")
	wantText(t, page, "kadri", "revoked")
	if n := app.auditCount(models.AuditAccountRevoked); n != 1 {
		t.Errorf("%d account.revoked events, want 1", n)
	}
}

func TestAccountActionsRefusals(t *testing.T) {
	cases := []struct {
		name   string
		path   func(app *testApp, self, other *models.User) string
		form   url.Values
		status int
		text   string
	}{
		{"revoke yourself", func(_ *testApp, self, _ *models.User) string {
			return fmt.Sprintf("/accounts/users/%d/revoke", self.ID)
		},
			nil, http.StatusConflict, "You cannot change or revoke your own account"},
		{"change your own role", func(_ *testApp, self, _ *models.User) string { return fmt.Sprintf("/accounts/users/%d/role", self.ID) },
			url.Values{"role": {"observer"}}, http.StatusConflict, "You cannot change or revoke your own account"},
		{"unknown account", func(*testApp, *models.User, *models.User) string { return "/accounts/users/99999/revoke" },
			nil, http.StatusNotFound, "There is no such account."},
		{"not a number", func(*testApp, *models.User, *models.User) string { return "/accounts/users/abc/revoke" },
			nil, http.StatusNotFound, "There is no page at this address."},
		{"delegate without member", func(_ *testApp, _, other *models.User) string {
			return fmt.Sprintf("/accounts/users/%d/role", other.ID)
		},
			url.Values{"role": {"delegate"}, "member": {""}}, http.StatusUnprocessableEntity, "Choose the member this delegate will represent."},
		{"unknown role", func(_ *testApp, _, other *models.User) string {
			return fmt.Sprintf("/accounts/users/%d/role", other.ID)
		},
			url.Values{"role": {"admin"}}, http.StatusUnprocessableEntity, "Choose delegate, observer or facilitator."},
		{"unknown invitation", func(*testApp, *models.User, *models.User) string { return "/accounts/invitations/99999/revoke" },
			nil, http.StatusNotFound, "no longer pending"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			self := app.facilitator("fran")
			other := app.observer("olga")
			cl := app.login(self)
			res := cl.submit(tc.path(app, self.User, other.User), tc.form)
			wantStatus(t, res, tc.status)
			wantText(t, res, tc.text)
			for _, u := range []*models.User{self.User, other.User} {
				got := app.secUser(u.Username)
				if !got.Active() || got.Role != u.Role {
					t.Errorf("%s changed by a refused action: role %s active %v", u.Username, got.Role, got.Active())
				}
			}
		})
	}
}

func TestRoleChangeSignsOutAndApplies(t *testing.T) {
	app := newTestApp(t)
	app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	fac := app.login(app.facilitator("fran"))
	u := app.delegate("kadri", "EST")
	cl := app.login(u)
	wantStatus(t, cl.get("/consultations/review/positions/EST"), http.StatusOK)

	res := fac.submit(fmt.Sprintf("/accounts/users/%d/role", u.ID), url.Values{"role": {"delegate"}, "member": {"LVA"}})
	wantRedirect(t, res, "/accounts")
	if page := cl.get("/dashboard"); page.Code != http.StatusSeeOther {
		t.Fatalf("the session survived the role change: %d", page.Code)
	}
	cl = app.login(u)
	wantStatus(t, cl.get("/consultations/review/positions/EST"), http.StatusForbidden)
	wantStatus(t, cl.get("/consultations/review/positions/LVA"), http.StatusOK)
	if ev := app.auditEvents(models.AuditRoleChanged); len(ev) != 1 || !strings.Contains(ev[0].Detail, "delegate of EST → delegate of LVA") {
		t.Errorf("role change audit: %+v", ev)
	}
}

func TestLoginThrottling(t *testing.T) {
	const wrong = "definitely not the password"
	type attempt struct {
		wait     time.Duration
		password string // "" means the right one
		code     int
		says     string
		retry    string // Retry-After header
	}
	// The sequence is the same for an existing and an invented account:
	// the throttle reveals nothing about which accounts exist.
	sequence := func(rightPasswordWorks bool) []attempt {
		last := http.StatusSeeOther
		if !rightPasswordWorks {
			last = http.StatusUnauthorized
		}
		return []attempt{
			{password: wrong, code: http.StatusUnauthorized, says: "The username or password is not correct."},
			{password: wrong, code: http.StatusUnauthorized, says: "Wait 1 second before trying again.", retry: "1"},
			{password: "", code: http.StatusTooManyRequests, says: "try again in 1 second", retry: "1"},
			{wait: time.Second, password: wrong, code: http.StatusUnauthorized, says: "Wait 2 seconds", retry: "2"},
			{wait: 2 * time.Second, password: wrong, code: http.StatusUnauthorized, says: "Wait 10 seconds", retry: "10"},
			{wait: 10 * time.Second, password: wrong, code: http.StatusUnauthorized, says: "sign-in is paused for 15 minutes", retry: "900"},
			{wait: 14 * time.Minute, password: "", code: http.StatusTooManyRequests, says: "try again in 60 seconds", retry: "60"},
			{wait: time.Minute, password: "", code: last},
		}
	}
	cases := []struct {
		name     string
		username string
		steps    []attempt
	}{
		{"existing account", "kadri", sequence(true)},
		{"invented account", "nobody-here", sequence(false)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			u := app.delegate("kadri", "EST")
			for i, st := range tc.steps {
				app.clock.advance(st.wait)
				pw := st.password
				if pw == "" {
					pw = u.Password
				}
				rec := secLoginAttempt(app, tc.username, pw, "", nil)
				if rec.Code != st.code {
					t.Fatalf("attempt %d: status %d, want %d: %s", i, rec.Code, st.code, secAlert(t, rec))
				}
				if st.code == http.StatusSeeOther {
					if !secSetsSession(rec) {
						t.Fatalf("attempt %d: signed in without a session", i)
					}
					continue
				}
				if secSetsSession(rec) {
					t.Fatalf("attempt %d: a refused sign-in set a session", i)
				}
				if msg := secAlert(t, rec); !strings.Contains(msg, st.says) {
					t.Errorf("attempt %d: message %q, want it to contain %q", i, msg, st.says)
				}
				if got := rec.Header().Get("Retry-After"); got != st.retry {
					t.Errorf("attempt %d: Retry-After %q, want %q", i, got, st.retry)
				}
				if strings.Contains(rec.Body.String(), pw) {
					t.Errorf("attempt %d: the password is echoed", i)
				}
			}
			if n := app.auditCount(models.AuditLoginLocked); n != 1 {
				t.Errorf("%d login.locked events, want 1", n)
			}
		})
	}
}

func TestLoginThrottlingByAddressAndProxies(t *testing.T) {
	const wrong = "definitely not the password"
	// guess makes 20 failed sign-ins for different usernames, as fast as
	// the throttle allows, each from the peer and with the header given.
	guess := func(t *testing.T, app *testApp, peer string, header func(i int) http.Header) {
		t.Helper()
		for i := range 20 {
			var rec *httptest.ResponseRecorder
			for range 30 {
				rec = secLoginAttempt(app, "guess"+strconv.Itoa(i), wrong, peer, header(i))
				if rec.Code != http.StatusTooManyRequests {
					break
				}
				secs, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
				app.clock.advance(time.Duration(secs) * time.Second)
			}
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("guess %d: status %d", i, rec.Code)
			}
		}
	}
	none := func(int) http.Header { return nil }
	cases := []struct {
		name    string
		proxies []string
		// header of each guess; the real delegate then signs in from
		// realPeer with realHeader.
		header     func(i int) http.Header
		realHeader http.Header
		realPeer   string
		paused     bool // the guessing client's address is paused (never locked)
	}{
		{name: "same address is paused", header: none, realPeer: "192.0.2.1:4000", paused: true},
		{name: "another address is not", header: none, realPeer: "198.51.100.7:4000", paused: false},
		{name: "X-Forwarded-For is ignored without trusted proxies", header: func(i int) http.Header {
			return http.Header{"X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", i)}}
		}, realHeader: http.Header{"X-Forwarded-For": {"203.0.113.200"}}, realPeer: "192.0.2.1:4000", paused: true},
		{name: "a trusted proxy's X-Forwarded-For names the client", proxies: []string{"192.0.2.1"},
			header:     func(int) http.Header { return http.Header{"X-Forwarded-For": {"203.0.113.9"}} },
			realHeader: http.Header{"X-Forwarded-For": {"203.0.113.10"}}, realPeer: "192.0.2.1:4000", paused: false},
		{name: "behind a trusted proxy the guessing client stays paused", proxies: []string{"192.0.2.0/24"},
			header:     func(int) http.Header { return http.Header{"X-Forwarded-For": {"203.0.113.9"}} },
			realHeader: http.Header{"X-Forwarded-For": {"203.0.113.9"}}, realPeer: "192.0.2.1:4000", paused: true},
		{name: "an untrusted peer cannot borrow a header", proxies: []string{"10.0.0.1"},
			header:     func(i int) http.Header { return http.Header{"X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", i)}} },
			realHeader: http.Header{"X-Forwarded-For": {"203.0.113.250"}}, realPeer: "192.0.2.1:4000", paused: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t, func(c *handlers.Config) { c.TrustedProxies = tc.proxies })
			u := app.delegate("kadri", "EST")
			guess(t, app, "192.0.2.1:4000", tc.header)
			rec := secLoginAttempt(app, u.Username, u.Password, tc.realPeer, tc.realHeader)
			if tc.paused {
				// Paused for at most 30 seconds, never locked: an office
				// behind one gateway is slowed, not shut out.
				if rec.Code != http.StatusTooManyRequests || secSetsSession(rec) {
					t.Fatalf("status %d, want 429 without a session", rec.Code)
				}
				secs, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
				if secs < 1 || secs > 30 {
					t.Fatalf("Retry-After %d seconds, want 1 to 30", secs)
				}
				app.clock.advance(time.Duration(secs) * time.Second)
				rec = secLoginAttempt(app, u.Username, u.Password, tc.realPeer, tc.realHeader)
			}
			if rec.Code != http.StatusSeeOther || !secSetsSession(rec) {
				t.Fatalf("status %d, want a sign-in: %s", rec.Code, secAlert(t, rec))
			}
		})
	}
}

// TestLoginGuessingElsewhereNeverKeepsDelegateOut: an attacker who keeps
// guessing a delegate's password from another address locks only its own
// pair (account, address); the delegate signs in at once from an address
// they used before, and within 10 seconds from a new one.
func TestLoginGuessingElsewhereNeverKeepsDelegateOut(t *testing.T) {
	const wrong = "definitely not the password"
	const attacker, office, travel = "203.0.113.66:5000", "192.0.2.10:4000", "198.51.100.20:4000"
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	// The delegate signed in from the office last week.
	if rec := secLoginAttempt(app, u.Username, u.Password, office, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("first sign-in: %d", rec.Code)
	}
	app.clock.advance(7 * 24 * time.Hour)
	// An hour of guessing, as fast as the throttle allows, ending on a
	// lock of the attacker's pair.
	locks := 0
	for end := app.clock.Now().Add(time.Hour); ; {
		rec := secLoginAttempt(app, u.Username, wrong, attacker, nil)
		if strings.Contains(secAlert(t, rec), "paused for 15 minutes") {
			locks++
			if !app.clock.Now().Before(end) {
				break
			}
		}
		secs, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
		app.clock.advance(time.Duration(max(secs, 1)) * time.Second)
	}
	if locks < 3 {
		t.Errorf("the attacker's pair was locked %d times in an hour, want at least 3", locks)
	}
	if rec := secLoginAttempt(app, u.Username, u.Password, attacker, nil); rec.Code == http.StatusSeeOther {
		t.Fatal("the right password worked from the locked pair")
	}
	if rec := secLoginAttempt(app, u.Username, u.Password, office, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("from the office: status %d, want an immediate sign-in: %s", rec.Code, secAlert(t, rec))
	}
	rec := secLoginAttempt(app, u.Username, u.Password, travel, nil)
	if rec.Code == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
		if secs > 10 {
			t.Fatalf("from a new address: paused %d seconds, want at most 10", secs)
		}
		app.clock.advance(time.Duration(secs) * time.Second)
		rec = secLoginAttempt(app, u.Username, u.Password, travel, nil)
	}
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("from a new address: status %d, want a sign-in: %s", rec.Code, secAlert(t, rec))
	}
}

func TestParseTrustedProxies(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
		bad      bool
	}{
		{"empty trusts none", "", nil, false},
		{"address and CIDRs", " 10.0.0.1, 192.168.0.0/16 ,fd00::/8", []string{"10.0.0.1", "192.168.0.0/16", "fd00::/8"}, false},
		{"trust everything refused", "0.0.0.0/0", nil, true},
		{"trust every IPv6 refused", "::/0", nil, true},
		{"garbage", "proxy.example", nil, true},
		{"bad CIDR", "10.0.0.0/40", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := handlers.ParseTrustedProxies(tc.in)
			if (err != nil) != tc.bad {
				t.Fatalf("error %v, want bad=%v", err, tc.bad)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCrossSitePostsRejected(t *testing.T) {
	headers := []struct {
		name string
		h    http.Header
	}{
		{"Sec-Fetch-Site cross-site", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"foreign Origin", http.Header{"Origin": {"https://evil.example"}}},
		{"foreign Origin with same-site fetch metadata", http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"same-site"}}},
	}
	posts := []struct {
		name string
		path string
		form url.Values
		// changed reports whether the request took effect.
		changed func(app *testApp) bool
	}{
		{"positions", "/consultations/review/positions/EST", url.Values{"preferred.posture": {"2"}},
			func(app *testApp) bool { return app.revisionCount(app.secConsultation("review").ID, "EST") > 0 }},
		{"sign out everywhere", "/account/sessions/end-all", nil,
			func(app *testApp) bool { return app.auditCount(models.AuditSessionsEnded) > 0 }},
		{"password change", "/account/password", url.Values{"current": {testPassword}, "password": {"new lanterns over the fjord"}, "confirm": {"new lanterns over the fjord"}},
			func(app *testApp) bool { return app.auditCount(models.AuditPasswordChanged) > 0 }},
		{"revoke account", "/accounts/users/{other}/revoke", nil,
			func(app *testApp) bool { return app.auditCount(models.AuditAccountRevoked) > 0 }},
	}
	for _, hd := range headers {
		for _, p := range posts {
			t.Run(hd.name+" "+p.name, func(t *testing.T) {
				app := newTestApp(t)
				app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
				other := app.observer("olga")
				var u *testUser
				if strings.HasPrefix(p.path, "/accounts") {
					u = app.facilitator("fran")
				} else {
					u = app.delegate("kadri", "EST")
				}
				cl := app.login(u)
				form := url.Values{}
				for k, v := range p.form {
					form[k] = v
				}
				form.Set("csrf_token", cl.csrfToken())
				h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
				for k, v := range hd.h {
					h[k] = v
				}
				path := strings.ReplaceAll(p.path, "{other}", strconv.Itoa(int(other.ID)))
				res := cl.do(http.MethodPost, path, strings.NewReader(form.Encode()), h)
				wantStatus(t, res, http.StatusForbidden)
				wantText(t, res, "This request came from another site and was refused.")
				if p.changed(app) {
					t.Fatal("the cross-site request took effect")
				}
			})
		}
	}
}

// secConsultation loads a consultation by key.
func (a *testApp) secConsultation(key string) *models.Consultation {
	a.t.Helper()
	c, err := a.store.ConsultationByKey(context.Background(), key)
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

func TestOversizedBodiesRejected(t *testing.T) {
	big := strings.Repeat("x", 1<<20+10)
	cases := []struct {
		name     string
		signedIn bool
		path     string
		form     url.Values
	}{
		{"sign-in", false, "/login", url.Values{"username": {"kadri"}, "password": {big}}},
		{"invitation", false, "/invite/{token}", url.Values{"username": {"newbie"}, "name": {big}}},
		{"positions", true, "/consultations/review/positions/EST", url.Values{"preferred.posture": {"3"}, "rationale.posture": {big}}},
		{"password change", true, "/account/password", url.Values{"current": {big}}},
		{"sign out everywhere", true, "/account/sessions/end-all", url.Values{"padding": {big}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
			token, _, err := app.store.CreateInvitation(context.Background(), models.RoleObserver, nil, nil, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			path := strings.ReplaceAll(tc.path, "{token}", token)
			u := app.delegate("kadri", "EST")
			var res *response
			if tc.signedIn {
				res = app.login(u).submit(path, tc.form)
			} else {
				res = app.anonymous().post(path, tc.form)
			}
			wantStatus(t, res, http.StatusRequestEntityTooLarge)
			if n := app.revisionCount(cons.ID, ""); n != 0 {
				t.Errorf("%d revisions saved", n)
			}
			for _, action := range []string{models.AuditInvitationUsed, models.AuditPasswordChanged, models.AuditSessionsEnded} {
				if n := app.auditCount(action); n != 0 {
					t.Errorf("%s happened from an oversized body", action)
				}
			}
		})
	}
}

func TestInvitationReuseExpiryAndRevocation(t *testing.T) {
	account := url.Values{"username": {"newbie"}, "name": {"New Person"}, "password": {"seven blue herons fly"}, "confirm": {"seven blue herons fly"}}
	cases := []struct {
		name   string
		before func(t *testing.T, app *testApp, fac *client, inv *models.Invitation)
		ok     bool
	}{
		{"fresh", nil, true},
		{"expired after 7 days", func(_ *testing.T, app *testApp, _ *client, _ *models.Invitation) {
			app.clock.advance(7 * 24 * time.Hour)
		}, false},
		{"revoked by a facilitator", func(t *testing.T, app *testApp, fac *client, inv *models.Invitation) {
			wantRedirect(t, fac.submit(fmt.Sprintf("/accounts/invitations/%d/revoke", inv.ID), nil), "/accounts")
			if n := app.auditCount(models.AuditInvitationRevoked); n != 1 {
				t.Fatalf("%d invitation.revoked events", n)
			}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			fac := app.login(app.facilitator("fran"))
			page := fac.submit("/accounts/invitations", url.Values{"role": {"delegate"}, "member": {"EST"}})
			wantStatus(t, page, http.StatusCreated)
			link := page.textOf("invite-link")
			u, err := url.Parse(link)
			if err != nil || !strings.HasPrefix(u.Path, "/invite/") {
				t.Fatalf("invitation link %q", link)
			}
			invs, err := app.store.Invitations(context.Background())
			if err != nil || len(invs) != 1 {
				t.Fatalf("invitations: %v %v", invs, err)
			}
			if tc.before != nil {
				tc.before(t, app, fac, &invs[0])
			}
			anon := app.anonymous()
			if !tc.ok {
				wantStatus(t, anon.get(u.Path), http.StatusNotFound)
				res := anon.post(u.Path, account)
				wantStatus(t, res, http.StatusNotFound)
				wantText(t, res, "This invitation link is not valid")
				if n := app.auditCount(models.AuditInvitationUsed); n != 0 {
					t.Fatal("an unusable invitation created an account")
				}
				return
			}
			wantStatus(t, anon.get(u.Path), http.StatusOK)
			res := anon.post(u.Path, account)
			wantRedirect(t, res, "/")
			// Used once: the link is dead, for a new visitor and for the
			// one who used it.
			again := app.anonymous()
			wantStatus(t, again.get(u.Path), http.StatusNotFound)
			second := url.Values{"username": {"intruder"}, "name": {"Intruder"}, "password": {"seven blue herons fly"}, "confirm": {"seven blue herons fly"}}
			wantStatus(t, again.post(u.Path, second), http.StatusNotFound)
			wantStatus(t, anon.submit(u.Path, second), http.StatusNotFound)
			if n := app.auditCount(models.AuditInvitationUsed); n != 1 {
				t.Fatalf("%d invitation.used events, want 1", n)
			}
			// A used invitation cannot be revoked either.
			wantStatus(t, fac.submit(fmt.Sprintf("/accounts/invitations/%d/revoke", invs[0].ID), nil), http.StatusNotFound)
		})
	}
}

func TestPasswordRulesOnForms(t *testing.T) {
	cases := []struct {
		name, password, confirm, field, message string
	}{
		{"too short", "short one", "short one", "password", "Use at least 12 characters"},
		{"common", "password1234", "password1234", "password", "too easy to guess"},
		{"common word with digits", "sunshine20242024", "sunshine20242024", "password", "too easy to guess"},
		{"a phrase repeated", "Password123!Password123!", "Password123!Password123!", "password", "Repeats like"},
		{"alliance words and a year", "nato-russia-2025", "nato-russia-2025", "password", "tied to you, your member or the alliance"},
		{"contains the username", "newbie on the harbour", "newbie on the harbour", "password", "must not contain the username"},
		{"too long for bcrypt", strings.Repeat("long words ", 7), strings.Repeat("long words ", 7), "password", "at most 72 bytes"},
		{"confirmation differs", "seven blue herons fly", "seven blue herons fly!", "confirm", "The two passwords differ."},
	}
	for _, tc := range cases {
		t.Run("invitation "+tc.name, func(t *testing.T) {
			app := newTestApp(t)
			token, _, err := app.store.CreateInvitation(context.Background(), models.RoleObserver, nil, nil, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			res := app.anonymous().post("/invite/"+token, url.Values{"username": {"newbie"}, "name": {"New Person"},
				"password": {tc.password}, "confirm": {tc.confirm}})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantFieldError(t, res, "", tc.message)
			if got := res.inputValue("username"); got != "newbie" {
				t.Errorf("username not kept: %q", got)
			}
			wantNoBody(t, res, tc.password)
			if n := app.auditCount(models.AuditInvitationUsed); n != 0 {
				t.Fatal("account created")
			}
		})
		t.Run("password change "+tc.name, func(t *testing.T) {
			app := newTestApp(t)
			u := app.createUser("newbie", models.RoleObserver, nil)
			cl := app.login(u)
			res := cl.submit("/account/password", url.Values{"current": {u.Password}, "password": {tc.password}, "confirm": {tc.confirm}})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantFieldError(t, res, "", tc.message)
			wantNoBody(t, res, tc.password, u.Password)
			if n := app.auditCount(models.AuditPasswordChanged); n != 0 {
				t.Fatal("password changed")
			}
		})
	}
}

func TestPasswordChange(t *testing.T) {
	const newPassword = "copper kettles on the stove"
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	cl := app.login(u)
	other := app.login(u)
	before := cl.cookie("concord_session")

	wantStatus(t, cl.get("/account/password"), http.StatusOK)
	res := cl.submit("/account/password", url.Values{"current": {"not the current password"}, "password": {newPassword}, "confirm": {newPassword}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantFieldError(t, res, "", "The current password is not correct.")

	res = cl.submit("/account/password", url.Values{"current": {u.Password}, "password": {newPassword}, "confirm": {newPassword}})
	wantRedirect(t, res, "/account/sessions")
	if after := cl.cookie("concord_session"); after == "" || after == before {
		t.Error("the session identifier was not renewed after the password change")
	}
	wantStatus(t, cl.get("/dashboard"), http.StatusOK)
	if page := other.get("/dashboard"); page.Code != http.StatusSeeOther {
		t.Errorf("the other session survived: %d", page.Code)
	}
	rec := secLoginAttempt(app, u.Username, u.Password, "198.51.100.1:1", nil)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("old password: %d", rec.Code)
	}
	// Two wrong passwords so far (the form's and this one): wait the pause.
	secs, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
	app.clock.advance(time.Duration(secs) * time.Second)
	if rec := secLoginAttempt(app, u.Username, newPassword, "198.51.100.1:1", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("new password: %d", rec.Code)
	}
	if n := app.auditCount(models.AuditPasswordChanged); n != 1 {
		t.Errorf("%d password.changed events", n)
	}
}

func TestPasswordChangeGuessingIsThrottled(t *testing.T) {
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	cl := app.login(u)
	tok := cl.csrfToken()
	guess := func() *response {
		return cl.post("/account/password", url.Values{"csrf_token": {tok}, "current": {"a wrong guess at it"},
			"password": {"copper kettles on the stove"}, "confirm": {"copper kettles on the stove"}})
	}
	for i := range 5 {
		res := guess()
		wantStatus(t, res, http.StatusUnprocessableEntity)
		if secs, _ := strconv.Atoi(res.Header.Get("Retry-After")); i < 4 {
			app.clock.advance(time.Duration(secs) * time.Second)
		}
	}
	res := cl.post("/account/password", url.Values{"csrf_token": {tok}, "current": {u.Password},
		"password": {"copper kettles on the stove"}, "confirm": {"copper kettles on the stove"}})
	wantStatus(t, res, http.StatusTooManyRequests)
	if n := app.auditCount(models.AuditPasswordChanged); n != 0 {
		t.Fatal("the password changed while locked")
	}
}

func TestSessionsPage(t *testing.T) {
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	phone := app.anonymous()
	phone.Header.Set("User-Agent", "Phone browser <b>9</b>")
	res := phone.post("/login", url.Values{"username": {u.Username}, "password": {u.Password}})
	wantStatus(t, res, http.StatusSeeOther)
	laptop := app.anonymous()
	laptop.Header.Set("User-Agent", "Laptop browser 1")
	wantStatus(t, laptop.post("/login", url.Values{"username": {u.Username}, "password": {u.Password}}), http.StatusSeeOther)
	app.observer("olga")
	olga := app.login(app.secTestUser("olga"))

	page := laptop.get("/account/sessions")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "Phone browser <b>9</b>", "Laptop browser 1 this session", "Sign out everywhere")
	wantNoBody(t, page, "<b>9</b>")
	rows := find(page.html(), func(n *htmlNode) bool { return n.Data == "tr" })
	if len(rows) != 3 { // header + two sessions; olga's is not listed
		t.Fatalf("%d table rows, want 3", len(rows))
	}

	// End the phone's session from the laptop.
	var phoneEnd string
	for _, f := range find(page.html(), func(n *htmlNode) bool { return n.Data == "form" }) {
		action, _ := attr(f, "action")
		if strings.HasSuffix(action, "/end") && !strings.Contains(textContent(f), "Sign out here") {
			phoneEnd = action
		}
	}
	if phoneEnd == "" {
		t.Fatal("no form to end the other session")
	}
	wantRedirect(t, laptop.submit(phoneEnd, nil), "/account/sessions")
	if page := phone.get("/dashboard"); page.Code != http.StatusSeeOther {
		t.Fatalf("the ended session still works: %d", page.Code)
	}
	// Nobody ends another account's session, even knowing its number.
	olgaSessions, err := app.store.UserSessions(context.Background(), app.secUser("olga").ID, app.cfg.Sessions)
	if err != nil || len(olgaSessions) != 1 {
		t.Fatalf("olga's sessions: %v %v", olgaSessions, err)
	}
	wantStatus(t, laptop.submit(fmt.Sprintf("/account/sessions/%d/end", olgaSessions[0].ID), nil), http.StatusNotFound)
	wantStatus(t, olga.get("/consultations"), http.StatusOK)

	// Sign out everywhere ends this session too.
	second := app.login(app.secTestUser("kadri"))
	res = laptop.submit("/account/sessions/end-all", nil)
	wantRedirect(t, res, "/login")
	for name, cl := range map[string]*client{"laptop": laptop, "second": second} {
		if page := cl.get("/dashboard"); page.Code != http.StatusSeeOther {
			t.Errorf("%s still signed in after sign out everywhere", name)
		}
	}
	wantStatus(t, olga.get("/consultations"), http.StatusOK)
	if n := app.auditCount(models.AuditSessionsEnded); n != 2 {
		t.Errorf("%d sessions.ended events, want 2", n)
	}
}

func (a *testApp) secTestUser(username string) *testUser {
	return &testUser{User: a.secUser(username), Password: testPassword}
}

func TestHeadersOnEveryResponse(t *testing.T) {
	app := newTestApp(t)
	anon := app.anonymous()
	css := ""
	for _, n := range find(anon.get("/login").html(), func(n *htmlNode) bool { return n.Data == "link" }) {
		if rel, _ := attr(n, "rel"); rel == "stylesheet" {
			css, _ = attr(n, "href")
		}
	}
	cl := app.login(app.facilitator("fran"))
	cases := []struct {
		name   string
		res    *response
		status int
	}{
		{"page", cl.get("/consultations"), http.StatusOK},
		{"redirect", anon.get("/dashboard"), http.StatusSeeOther},
		{"not found", anon.get("/no/such/page"), http.StatusNotFound},
		{"unknown static file", anon.get("/static/nothing.css"), http.StatusNotFound},
		{"static file", anon.get(css), http.StatusOK},
		{"method not allowed", anon.do(http.MethodDelete, "/login", nil, nil), http.StatusMethodNotAllowed},
		{"forbidden", cl.post("/logout", nil), http.StatusForbidden},
		{"JSON", anon.get("/healthz"), http.StatusOK},
		{"API error", anon.get("/api/v1/consultations"), http.StatusUnauthorized},
		{"CSV", cl.get("/audit.csv"), http.StatusOK},
		{"too large", anon.post("/login", url.Values{"x": {strings.Repeat("y", 1<<21)}}), http.StatusRequestEntityTooLarge},
	}
	want := map[string]string{
		"Content-Security-Policy":      "default-src 'self'",
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Referrer-Policy":              "same-origin",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           "camera=()",
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, tc.res, tc.status)
			for h, v := range want {
				if got := tc.res.Header.Get(h); !strings.Contains(got, v) {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
			cache := tc.res.Header.Get("Cache-Control")
			if tc.name == "static file" {
				if !strings.Contains(cache, "immutable") {
					t.Errorf("static Cache-Control = %q", cache)
				}
			} else if cache != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cache)
			}
			if hsts := tc.res.Header.Get("Strict-Transport-Security"); hsts != "" {
				t.Errorf("HSTS %q over plain HTTP", hsts)
			}
		})
	}
}

func TestTransportSecurity(t *testing.T) {
	cases := []struct {
		name          string
		tls           bool
		secureCookies bool
		wantSecure    bool
	}{
		{"plain HTTP", false, false, false},
		{"direct TLS", true, false, true},
		{"behind a TLS proxy (-secure-cookies)", false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t, func(c *handlers.Config) { c.SecureCookies = tc.secureCookies })
			u := app.delegate("kadri", "EST")
			target := "/login"
			if tc.tls {
				target = "https://concord.example/login" // the request arrives over TLS
			}
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(url.Values{"username": {u.Username}, "password": {u.Password}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			app.router.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("sign-in: %d", rec.Code)
			}
			var session *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == "concord_session" {
					session = c
				}
			}
			if session == nil {
				t.Fatal("no session cookie")
			}
			if session.Secure != tc.wantSecure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie Secure=%v HttpOnly=%v SameSite=%v; want Secure=%v, HttpOnly, Lax",
					session.Secure, session.HttpOnly, session.SameSite, tc.wantSecure)
			}
			hsts := rec.Header().Get("Strict-Transport-Security")
			if (hsts != "") != tc.wantSecure {
				t.Errorf("HSTS = %q, want present=%v", hsts, tc.wantSecure)
			}
		})
	}
}

// secPayloads are stored XSS probes; none may ever reach a page unescaped.
var secPayloads = []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`}

// secDangerous matches the active part of any payload as it would appear
// unescaped in HTML.
var secDangerous = regexp.MustCompile(`<script>alert\(1\)|<img src=x onerror=alert\(1\)>`)

func TestStoredXSSRenderedInert(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	p0, p1 := secPayloads[0], secPayloads[1]
	both := p0 + " " + p1

	// Accounts whose names (and one username) carry the payloads.
	fac, err := app.store.CreateUser(ctx, models.NewUser{Username: "fran", Name: "Fran " + both, Role: models.RoleFacilitator, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	est := app.member("EST")
	del, err := app.store.CreateUser(ctx, models.NewUser{Username: p0, Name: "Kadri " + both, Role: models.RoleDelegate, Password: testPassword, MemberID: &est.ID})
	if err != nil {
		t.Fatal(err)
	}
	obs, err := app.store.CreateUser(ctx, models.NewUser{Username: "olga", Name: "Olga " + p1, Role: models.RoleObserver, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}

	// A consultation whose every free-text field carries the payloads.
	cons, err := app.store.CreateConsultation(ctx, models.ConsultationInput{Key: "xss", Title: "Title " + both, Description: "Description " + both}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	questions := []models.QuestionInput{
		{Key: "scale", Section: "Section " + both, Kind: models.KindScale, Text: "Text " + both, Help: "Help " + both,
			Labels: []string{p0, p1, "L3 " + p0, "L4 " + p1, "L5"}, StatusQuo: 3},
		{Key: "choice", Section: "Section " + both, Kind: models.KindChoice, Text: "Choice " + both, Help: "Help " + p1,
			Options: []string{p0, p1, "O3 " + both}},
		{Key: "text", Section: "Other " + p0, Kind: models.KindText, Text: "Text " + p1},
	}
	for _, q := range questions {
		if _, err := app.store.CreateQuestion(ctx, cons.ID, q, fac.ID); err != nil {
			t.Fatalf("question %s: %v", q.Key, err)
		}
	}
	app.setStatus(cons.ID, models.StatusOpen)
	app.submitPositions(cons.ID, "EST", del.ID,
		models.PositionInput{QuestionKey: "scale", Preferred: 2, AcceptMin: 1, AcceptMax: 4, Importance: "high", Rationale: "Rationale " + both},
		models.PositionInput{QuestionKey: "choice", Option: 2, Rationale: "Because " + both},
		models.PositionInput{QuestionKey: "text", Answer: "Answer " + both})
	app.submitPositions(cons.ID, "LVA", fac.ID,
		models.PositionInput{QuestionKey: "scale", Preferred: 4, Rationale: p1},
		models.PositionInput{QuestionKey: "text", Answer: p0})
	if _, _, err := app.store.CreateAPIToken(ctx, obs.ID, models.APITokenInput{Name: "Token " + both, Expires: "30"}); err != nil {
		t.Fatal(err)
	}
	// A failed sign-in with a payload as username reaches the audit log.
	secLoginAttempt(app, p1, "wrong password for sure", "", nil)
	// The distribution is shared with delegates once closed; a second,
	// closed consultation shows that view.
	closed, err := app.store.CreateConsultation(ctx, models.ConsultationInput{Key: "xss-closed", Title: "Closed " + both, Description: p1}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range questions {
		if _, err := app.store.CreateQuestion(ctx, closed.ID, q, fac.ID); err != nil {
			t.Fatal(err)
		}
	}
	app.setStatus(closed.ID, models.StatusOpen)
	app.submitPositions(closed.ID, "EST", del.ID, models.PositionInput{QuestionKey: "scale", Preferred: 3, Rationale: both},
		models.PositionInput{QuestionKey: "text", Answer: both})
	app.setStatus(closed.ID, models.StatusClosed)
	if err := app.store.SetShareDistribution(ctx, closed.ID, true, fac.ID); err != nil {
		t.Fatal(err)
	}

	token, _, err := app.store.CreateInvitation(ctx, models.RoleObserver, nil, &fac.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	qn, err := app.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]*models.User{"facilitator": fac, "delegate": del, "observer": obs}
	checked := 0
	for _, key := range []string{"xss", "xss-closed"} {
		params := map[string]string{"key": key, "member": "EST", "id": strconv.Itoa(int(qn.Questions[0].ID)),
			"token": token, "file": "positions.csv"}
		for name, u := range actors {
			cl := app.login(&testUser{User: u, Password: testPassword})
			apiToken, _, err := app.store.CreateAPIToken(ctx, u.ID, models.APITokenInput{Name: "probe", Expires: "30"})
			if err != nil {
				t.Fatal(err)
			}
			for _, rt := range app.handler.Routes() {
				if rt.Method != http.MethodGet {
					continue
				}
				path := secPath(rt.Path, params)
				res := cl.do(http.MethodGet, path, nil, http.Header{"Authorization": {"Bearer " + apiToken}})
				if res.Code >= 500 {
					t.Errorf("%s GET %s: status %d", name, path, res.Code)
				}
				ct := res.Header.Get("Content-Type")
				if strings.HasPrefix(ct, "text/html") || ct == "" && res.Body != "" {
					checked++
					if loc := secDangerous.FindString(res.Body); loc != "" {
						t.Errorf("%s GET %s (%d): the page contains the raw payload %q", name, path, res.Code, loc)
					}
				} else if res.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s GET %s: %s without nosniff", name, path, ct)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d HTML pages checked", checked)
	}
	// The escaped payload does appear, so the pages did show the data.
	page := app.login(&testUser{User: fac, Password: testPassword}).get("/consultations/xss")
	wantText(t, page, "Title "+both)
}

// secPath fills the :name and *name parameters of a route pattern.
func secPath(pattern string, params map[string]string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			v, ok := params[p[1:]]
			if !ok {
				v = "unknown-" + p[1:]
			}
			parts[i] = url.PathEscape(v)
		}
	}
	return strings.Join(parts, "/")
}

var secEventSubject = regexp.MustCompile(`event \d{3}`)

func TestAuditLogPage(t *testing.T) {
	app := newTestApp(t)
	fac := app.facilitator("fran")
	cl := app.login(fac)
	del := app.delegate("kadri", "EST")
	lva := app.delegate("liga", "LVA")
	ctx := context.Background()
	// Events 0–59 fall on 10 January, 60–119 on 11 January.
	base := time.Date(2026, 1, 10, 23, 0, 0, 0, time.UTC)
	for i := range 120 {
		ev := models.AuditEvent{At: base.Add(time.Duration(i) * time.Minute), Action: "test.event", Subject: fmt.Sprintf("event %03d", i), UserID: &del.ID, MemberID: del.MemberID}
		if i%2 == 1 {
			ev.UserID, ev.MemberID = &lva.ID, lva.MemberID
		}
		if err := app.store.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		query  string
		status int
		total  string
		first  string // subject of the first test.event row shown
		next   bool
		msg    string
	}{
		{name: "all test events", query: "action=test.event", status: 200, total: "120 events · page 1 of 3", first: "event 119", next: true},
		{name: "second page", query: "action=test.event&page=2", status: 200, total: "page 2 of 3", first: "event 069", next: true},
		{name: "page past the end shows the last", query: "action=test.event&page=99", status: 200, total: "page 3 of 3", first: "event 019"},
		{name: "by member", query: "action=test.event&member=LVA", status: 200, total: "60 events", first: "event 119", next: true},
		{name: "by account", query: fmt.Sprintf("action=test.event&user=%d", del.ID), status: 200, total: "60 events", first: "event 118", next: true},
		{name: "last day included", query: "action=test.event&from=2026-01-10&to=2026-01-10", status: 200, total: "60 events", first: "event 059", next: true},
		{name: "from a day on", query: "action=test.event&from=2026-01-11", status: 200, total: "60 events", first: "event 119", next: true},
		{name: "days before the events", query: "action=test.event&to=2026-01-09", status: 200, total: "0 events"},
		{name: "bad date", query: "from=yesterday", status: 422, msg: "Give a date as YYYY-MM-DD."},
		{name: "reversed range", query: "from=2026-02-02&to=2026-02-01", status: 422, msg: "The last day must not be before the first day."},
		{name: "unknown member", query: "member=XXX", status: 422, msg: "Choose a member from the list."},
		{name: "bad account", query: "user=abc", status: 422, msg: "Choose an account from the list."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := cl.get("/audit?" + tc.query)
			wantStatus(t, res, tc.status)
			if tc.msg != "" {
				wantFieldError(t, res, "", tc.msg)
				return
			}
			if tc.total != "" {
				wantText(t, res, tc.total)
			}
			var subjects []string
			for _, row := range find(res.html(), func(n *htmlNode) bool { return n.Data == "tr" }) {
				if txt := textContent(row); strings.Contains(txt, "test.event") {
					subjects = append(subjects, secEventSubject.FindString(txt))
				}
			}
			if tc.first != "" && (len(subjects) == 0 || subjects[0] != tc.first) {
				t.Errorf("first rows %v, want %s first", subjects[:min(3, len(subjects))], tc.first)
			}
			if len(subjects) > 50 {
				t.Errorf("%d rows on one page", len(subjects))
			}
			hasNext := false
			for _, a := range find(res.html(), func(n *htmlNode) bool { return n.Data == "a" }) {
				if rel, _ := attr(a, "rel"); rel == "next" {
					hasNext = true
					href, _ := attr(a, "href")
					if !strings.Contains(href, "action=test.event") {
						t.Errorf("next link %q loses the filter", href)
					}
				}
			}
			if hasNext != tc.next {
				t.Errorf("next link present = %v, want %v", hasNext, tc.next)
			}
		})
	}
}

func TestAuditCSVExport(t *testing.T) {
	app := newTestApp(t)
	fac := app.facilitator("fran")
	cl := app.login(fac)
	ctx := context.Background()
	texts := []string{"=1+1", "+SUM(A1)", "-2", "@cmd", "\tTAB", "\rCR", "plain, with comma", "'=already"}
	for _, s := range texts {
		if err := app.store.Record(ctx, models.AuditEvent{Action: "test.csv", Subject: s, Detail: s, UserID: &fac.ID}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2500 { // more than one batch of the exporter
		if err := app.store.Record(ctx, models.AuditEvent{Action: "test.bulk", Subject: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	res := cl.get("/audit.csv?action=test.csv")
	wantStatus(t, res, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "id,time_utc,action,username,member,subject,detail,chain_hash" {
		t.Fatalf("header %v", rows[0])
	}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		got[r[5]] = true
		if r[5] != r[6] {
			t.Errorf("subject %q and detail %q differ", r[5], r[6])
		}
		if r[3] != "fran" {
			t.Errorf("username %q", r[3])
		}
	}
	want := []string{"'=1+1", "'+SUM(A1)", "'-2", "'@cmd", "'\tTAB", "'\rCR", "plain, with comma", "''=already"}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no cell %q in %v", w, got)
		}
	}
	if len(rows) != len(texts)+1 {
		t.Errorf("%d rows, want %d", len(rows)-1, len(texts))
	}

	bulk := cl.get("/audit.csv?action=test.bulk")
	wantStatus(t, bulk, http.StatusOK)
	all, err := csv.NewReader(strings.NewReader(bulk.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2501 {
		t.Fatalf("%d rows exported, want 2500", len(all)-1)
	}
	seen := map[string]bool{}
	for _, r := range all[1:] {
		if seen[r[5]] {
			t.Fatalf("row %s exported twice", r[5])
		}
		seen[r[5]] = true
	}
	if n := app.auditCount(models.AuditExported); n != 2 {
		t.Errorf("%d audit.exported events, want 2", n)
	}
	wantStatus(t, cl.get("/audit.csv?from=nonsense"), http.StatusUnprocessableEntity)
}

// TestRejectedFormsEchoInert posts the XSS payloads in forms that are
// refused and re-rendered with the typed values: the echo must be inert.
func TestRejectedFormsEchoInert(t *testing.T) {
	both := secPayloads[0] + " " + secPayloads[1]
	cases := []struct {
		name   string
		as     string // "", "facilitator" or "delegate"
		path   string
		form   url.Values
		status int
	}{
		{"sign-in", "", "/login", url.Values{"username": {both}, "password": {"wrong password entirely"}, "next": {"/" + secPayloads[1]}}, http.StatusUnauthorized},
		{"invitation", "", "/invite/{token}", url.Values{"username": {secPayloads[0]}, "name": {both}, "password": {"short"}, "confirm": {"short"}}, http.StatusUnprocessableEntity},
		{"new consultation", "facilitator", "/consultations", url.Values{"key": {"Not A Slug"}, "title": {both}, "description": {both}}, http.StatusUnprocessableEntity},
		{"new question", "facilitator", "/consultations/review/questions", url.Values{"key": {"bad key"}, "section": {both}, "text": {both},
			"help": {both}, "kind": {"scale"}, "labels": {secPayloads[0], secPayloads[1]}, "options": {both}}, http.StatusUnprocessableEntity},
		{"positions", "delegate", "/consultations/review/positions/EST", url.Values{"preferred.posture": {"9"}, "rationale.posture": {both},
			"answer.notes": {both}}, http.StatusUnprocessableEntity},
		{"audit filter", "facilitator", "GET /audit?action=" + url.QueryEscape(both) + "&from=" + url.QueryEscape(secPayloads[1]), nil, http.StatusUnprocessableEntity},
		{"API token", "delegate", "/account/tokens", url.Values{"name": {both}, "expires": {"forever"}}, http.StatusUnprocessableEntity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			app.consultation("review", models.StatusOpen, scaleQ("posture", 5), textQ("notes"))
			token, _, err := app.store.CreateInvitation(context.Background(), models.RoleObserver, nil, nil, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			cl := app.anonymous()
			switch tc.as {
			case "facilitator":
				cl = app.login(app.facilitator("fran"))
			case "delegate":
				cl = app.login(app.delegate("kadri", "EST"))
			}
			var res *response
			if get, ok := strings.CutPrefix(tc.path, "GET "); ok {
				res = cl.get(get)
			} else if tc.as == "" {
				res = cl.post(strings.ReplaceAll(tc.path, "{token}", token), tc.form)
			} else {
				res = cl.submit(tc.path, tc.form)
			}
			wantStatus(t, res, tc.status)
			if loc := secDangerous.FindString(res.Body); loc != "" {
				t.Errorf("the refused form echoes the raw payload %q", loc)
			}
			// The values do come back (escaped), so the check above saw them.
			if !strings.Contains(res.Body, "&lt;img src=x onerror=alert(1)&gt;") {
				t.Errorf("the typed values are not shown again")
			}
		})
	}
}

// TestLoginThrottleOverRealConnections: end to end over TCP, a client
// bound to 127.0.0.2 guessing a delegate's password locks only its own
// pair; the delegate, connecting from 127.0.0.1, signs in.
func TestLoginThrottleOverRealConnections(t *testing.T) {
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	srv := httptest.NewServer(app.router) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	clientFrom := func(local string) *http.Client {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
		return &http.Client{
			Transport:     &http.Transport{DialContext: dialer.DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       10 * time.Second,
		}
	}
	signIn := func(cl *http.Client, password string) *http.Response {
		t.Helper()
		res, err := cl.PostForm(srv.URL+"/login", url.Values{"username": {u.Username}, "password": {password}})
		if err != nil {
			t.Skipf("loopback address 127.0.0.2 unusable here: %v", err)
		}
		res.Body.Close()
		return res
	}
	attacker, delegate := clientFrom("127.0.0.2"), clientFrom("127.0.0.1")
	locked := false
	for range 10 {
		res := signIn(attacker, "not the password")
		if locked = res.Header.Get("Retry-After") == "900"; locked { // the 15 minute lock
			break
		}
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		app.clock.advance(time.Duration(secs) * time.Second)
	}
	if !locked {
		t.Fatal("the guessing client was never locked")
	}
	if res := signIn(attacker, u.Password); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the locked client: status %d, want 429", res.StatusCode)
	}
	res := signIn(delegate, u.Password)
	if res.StatusCode == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		if secs > 10 {
			t.Fatalf("the delegate is paused %d seconds, want at most 10", secs)
		}
		app.clock.advance(time.Duration(secs) * time.Second)
		res = signIn(delegate, u.Password)
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the delegate from 127.0.0.1: status %d, want a sign-in", res.StatusCode)
	}
}

// TestAuditCSVProtectsEveryColumn: the action, username and member columns
// of the audit export are protected against formula injection like the
// subject and detail, whatever reached the database.
func TestAuditCSVProtectsEveryColumn(t *testing.T) {
	app := newTestApp(t)
	fac := app.facilitator("fran")
	target := app.delegate("target", "EST")
	// Usernames starting with = are refused now; one that reached the
	// database earlier (or by hand) must still be exported inert.
	db := testdb.OpenDB(t, app.dsn)
	if _, err := db.Exec("UPDATE users SET username = $1 WHERE id = $2", "=HYPERLINK(\"x\")", target.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE members SET code = $1 WHERE code = 'EST'", "@EST"); err != nil {
		t.Fatal(err)
	}
	est := app.member("@EST")
	if err := app.store.Record(context.Background(), models.AuditEvent{Action: "+act", Subject: "s", UserID: &target.ID, MemberID: &est.ID}); err != nil {
		t.Fatal(err)
	}
	res := app.login(fac).get("/audit.csv")
	wantStatus(t, res, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[1:] {
		if r[2] == "'+act" {
			found = true
			if r[3] != "'=HYPERLINK(\"x\")" || r[4] != "'@EST" {
				t.Errorf("username %q, member %q: want both protected with an apostrophe", r[3], r[4])
			}
		}
	}
	if !found {
		t.Fatalf("no protected action cell in %v", rows)
	}
}

// TestTokensNeedPasswordAndEndWithCleanUp: creating an API token asks for
// the current password (so a hijacked session alone cannot mint one), and
// the clean-up a victim does — change the password, sign out everywhere —
// or a facilitator's change of role or member revokes every token.
func TestTokensNeedPasswordAndEndWithCleanUp(t *testing.T) {
	newToken := func(t *testing.T, app *testApp, cl *client, password string) string {
		t.Helper()
		res := cl.submit("/account/tokens", url.Values{"name": {"thief's"}, "expires": {"never"}, "current": {password}})
		wantStatus(t, res, http.StatusCreated)
		return res.textOf("new-token")
	}
	works := func(app *testApp, token string) bool {
		return app.apiCall(token, http.MethodGet, "/api/v1/consultations", "").Code == http.StatusOK
	}

	t.Run("the current password is required", func(t *testing.T) {
		app := newTestApp(t)
		u := app.delegate("kadri", "EST")
		cl := app.login(u)
		for _, tc := range []struct{ current, msg string }{
			{"", "Enter your current password."},
			{"a wrong guess at it", "The current password is not correct."},
		} {
			res := cl.submit("/account/tokens", url.Values{"name": {"x"}, "expires": {"30"}, "current": {tc.current}})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			wantFieldError(t, res, "", tc.msg)
			if got := res.inputValue("name"); got != "x" {
				t.Errorf("name re-rendered as %q", got)
			}
			wantNoBody(t, res, "a wrong guess at it")
		}
		if n := app.auditCount(models.AuditAPITokenNew); n != 0 {
			t.Fatalf("%d tokens created without the password", n)
		}
		// Guessing through the token form is throttled like sign-in: the
		// fifth wrong password locks it, the right one included.
		for range 4 {
			res := cl.submit("/account/tokens", url.Values{"name": {"x"}, "expires": {"30"}, "current": {"guess again"}})
			wantStatus(t, res, http.StatusUnprocessableEntity)
			secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			if secs < 60 {
				app.clock.advance(time.Duration(secs) * time.Second)
			}
		}
		res := cl.submit("/account/tokens", url.Values{"name": {"x"}, "expires": {"30"}, "current": {u.Password}})
		wantStatus(t, res, http.StatusTooManyRequests)
	})

	t.Run("changing the password revokes them", func(t *testing.T) {
		app := newTestApp(t)
		u := app.delegate("kadri", "EST")
		thief := app.login(u)
		token := newToken(t, app, thief, u.Password)
		victim := app.login(u)
		const fresh = "copper kettles on the stove"
		res := victim.submit("/account/password", url.Values{"current": {u.Password}, "password": {fresh}, "confirm": {fresh}})
		wantStatus(t, res, http.StatusSeeOther)
		if works(app, token) {
			t.Fatal("the token works after the password change")
		}
		if flash := res.flash(); !strings.Contains(flash, "API tokens revoked") {
			t.Errorf("flash %q does not say the tokens were revoked", flash)
		}
	})

	t.Run("signing out everywhere revokes them", func(t *testing.T) {
		app := newTestApp(t)
		u := app.delegate("kadri", "EST")
		token := newToken(t, app, app.login(u), u.Password)
		victim := app.login(u)
		wantText(t, victim.get("/account/sessions"), "revokes all your API tokens")
		wantStatus(t, victim.submit("/account/sessions/end-all", nil), http.StatusSeeOther)
		if works(app, token) {
			t.Fatal("the token works after signing out everywhere")
		}
	})

	t.Run("ending one other session does not", func(t *testing.T) {
		app := newTestApp(t)
		u := app.delegate("kadri", "EST")
		token := newToken(t, app, app.login(u), u.Password)
		if !works(app, token) {
			t.Fatal("the new token does not work")
		}
		if _, err := app.store.EndSessions(context.Background(), u.ID, 999999); err == nil {
			t.Fatal("ending an unknown session succeeded")
		}
		if !works(app, token) {
			t.Fatal("the token stopped without a clean-up")
		}
	})

	for _, tc := range []struct {
		name, role, member string
	}{
		{"a change of role revokes them", models.RoleObserver, ""},
		{"a change of member revokes them", models.RoleDelegate, "LVA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			u := app.delegate("kadri", "EST")
			token := newToken(t, app, app.login(u), u.Password)
			fac := app.login(app.facilitator("fran"))
			wantStatus(t, fac.submit(fmt.Sprintf("/accounts/users/%d/role", u.ID), url.Values{"role": {tc.role}, "member": {tc.member}}), http.StatusSeeOther)
			if works(app, token) {
				t.Fatal("the token works after the change")
			}
		})
	}
}
