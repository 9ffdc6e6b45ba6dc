package handlers_test

// Two servers on one database, as two instances behind a load balancer:
// each has its own Store (its own connections), handler, router and
// report cache; they share the database and the clock. The tests run on
// the backend the test run selects (internal/testdb).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"concord/handlers"
	"concord/internal/testdb"
	"concord/models"
)

// twoApps starts two servers on one new database.
func twoApps(t *testing.T) (a, b *testApp) {
	t.Helper()
	a = newTestAppOn(t, testdb.DSN(t))
	return a, a.twin()
}

// twin starts a second server on a's database, with a's configuration,
// clock and harness author.
func (a *testApp) twin() *testApp {
	a.t.Helper()
	cfg := a.cfg
	b := newTestAppOn(a.t, a.dsn, func(c *handlers.Config) { *c = cfg })
	b.store.SetClock(a.clock.Now)
	b.clock = a.clock
	b.author = a.author
	return b
}

// on returns the client (the same cookies) sending its requests to app:
// the load balancer sent the browser to the other instance.
func (c *client) on(app *testApp) *client {
	return &client{t: c.t, app: app, jar: c.jar, Header: c.Header}
}

// reportedAt returns, from report.json of the consultation as cl sees it,
// the members at each point of a scale question (index 0 is point 1).
func reportedAt(t *testing.T, cl *client, consultation, question string) [][]string {
	t.Helper()
	res := cl.get("/consultations/" + consultation + "/report.json")
	wantStatus(t, res, http.StatusOK)
	var rep struct {
		Questions []struct {
			Key   string `json:"key"`
			Scale *struct {
				ByPoint [][]string `json:"by_point"`
			} `json:"scale"`
		} `json:"questions"`
	}
	if err := json.Unmarshal([]byte(res.Body), &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	for _, q := range rep.Questions {
		if q.Key == question && q.Scale != nil {
			return q.Scale.ByPoint
		}
	}
	t.Fatalf("report.json has no scale question %s", question)
	return nil
}

// TestInstancesShareSessionsAndSaves: a session made by signing in on one
// server opens pages on the other; a save made through either is in the
// other's report at the next view, although that server had analysed the
// round (and cached the analysis) just before.
func TestInstancesShareSessionsAndSaves(t *testing.T) {
	a, b := twoApps(t)
	a.consultation("review", models.StatusOpen, scaleQ("posture", 5))
	const form = "/consultations/review/positions/EST"
	delegate := a.login(a.delegate("kadri", "EST"))
	if delegate.on(b).get(form).Code != http.StatusOK {
		t.Fatalf("the session made on A does not open the form on B")
	}
	chair := b.login(b.facilitator("fran"))
	wantStatus(t, chair.on(a).get("/consultations/review"), http.StatusOK)
	readers := map[string]*client{"A": chair.on(a), "B": chair}
	senders := map[string]*client{"A": delegate, "B": delegate.on(b)}
	steps := []struct {
		via, seenBy string
		point       int
	}{
		{via: "A", seenBy: "B", point: 4},
		{via: "B", seenBy: "A", point: 2},
		{via: "A", seenBy: "B", point: 5},
		{via: "A", seenBy: "A", point: 1},
		{via: "B", seenBy: "B", point: 3},
	}
	for i, st := range steps {
		// The reader's server analyses the round as it stands.
		before := reportedAt(t, readers[st.seenBy], "review", "posture")
		if i > 0 && !slices.Contains(before[steps[i-1].point-1], "EST") {
			t.Fatalf("step %d: before the save, %s's report does not show the previous point %d: %v", i, st.seenBy, steps[i-1].point, before)
		}
		res := senders[st.via].submit(form, url.Values{"preferred.posture": {fmt.Sprint(st.point)}})
		wantRedirect(t, res, form)
		after := reportedAt(t, readers[st.seenBy], "review", "posture")
		for p, members := range after {
			if got, want := slices.Contains(members, "EST"), p+1 == st.point; got != want {
				t.Errorf("step %d: saved %d through %s; %s's report has EST at point %d: %v, want %v (%v)",
					i, st.point, st.via, st.seenBy, p+1, got, want, after)
			}
		}
	}
	if n := a.revisionCount(a.consultationID("review"), "EST"); n != len(steps) {
		t.Errorf("%d revisions, want %d", n, len(steps))
	}
}

// consultationID returns the ID of the consultation with the key.
func (a *testApp) consultationID(key string) uint {
	a.t.Helper()
	c, err := a.store.ConsultationByKey(a.t.Context(), key)
	if err != nil {
		a.t.Fatalf("consultation %s: %v", key, err)
	}
	return c.ID
}

// TestInstancesShareSignInThrottle: failed sign-ins on either server count
// against the same account and address. The pair waits 1 s after the 2nd
// failure and 2 s after the 3rd, the account name 10 s after the 4th, and
// the 5th locks the pair for 15 minutes; three failures on A and two on B
// lock it on both, even with the right password.
func TestInstancesShareSignInThrottle(t *testing.T) {
	const wrong = "definitely not the password"
	a, b := twoApps(t)
	u := a.delegate("kadri", "EST")
	servers := map[string]*testApp{"A": a, "B": b}
	steps := []struct {
		wait     time.Duration // the clock moves before the attempt
		via      string
		password string // "" means the right one
		code     int
		says     string
	}{
		{via: "A", password: wrong, code: http.StatusUnauthorized, says: "The username or password is not correct."},
		{via: "B", password: wrong, code: http.StatusUnauthorized, says: "Wait 1 second before trying again."},
		{via: "A", password: "", code: http.StatusTooManyRequests, says: "try again in 1 second"},
		{wait: time.Second, via: "A", password: wrong, code: http.StatusUnauthorized, says: "Wait 2 seconds"},
		{wait: 2 * time.Second, via: "B", password: wrong, code: http.StatusUnauthorized, says: "Wait 10 seconds"},
		{wait: 10 * time.Second, via: "A", password: wrong, code: http.StatusUnauthorized, says: "sign-in is paused for 15 minutes"},
		{wait: time.Minute, via: "B", password: "", code: http.StatusTooManyRequests, says: "try again in 14 minutes"},
		{via: "A", password: "", code: http.StatusTooManyRequests, says: "try again in 14 minutes"},
		{wait: 14 * time.Minute, via: "B", password: "", code: http.StatusSeeOther},
	}
	for i, st := range steps {
		a.clock.advance(st.wait)
		pw := st.password
		if pw == "" {
			pw = u.Password
		}
		rec := secLoginAttempt(servers[st.via], u.Username, pw, "", nil)
		if rec.Code != st.code {
			t.Fatalf("attempt %d on %s: status %d, want %d: %s", i+1, st.via, rec.Code, st.code, secAlert(t, rec))
		}
		if st.code == http.StatusSeeOther {
			if !secSetsSession(rec) {
				t.Errorf("attempt %d on %s: signed in without a session", i+1, st.via)
			}
			continue
		}
		if secSetsSession(rec) {
			t.Errorf("attempt %d on %s: a refused sign-in set a session", i+1, st.via)
		}
		if msg := secAlert(t, rec); !strings.Contains(msg, st.says) {
			t.Errorf("attempt %d on %s: message %q, want it to contain %q", i+1, st.via, msg, st.says)
		}
	}
	if n := b.auditCount(models.AuditLoginLocked); n != 1 {
		t.Errorf("%d login.locked events, want 1", n)
	}
}

// TestInstancesRefuseRevokedAccount: an account revoked through one server
// is refused at once by both, its sessions on either and its API token.
// Signing out everywhere on one server likewise ends the sessions made on
// the other.
func TestInstancesRefuseRevokedAccount(t *testing.T) {
	tests := []struct {
		name string
		// end acts on the account through server B; fac is signed in there.
		end func(t *testing.T, b *testApp, fac, self *client, u *testUser)
	}{
		{name: "revoked by a facilitator", end: func(t *testing.T, _ *testApp, fac, _ *client, u *testUser) {
			wantRedirect(t, fac.submit(fmt.Sprintf("/accounts/users/%d/revoke", u.ID), nil), "/accounts")
		}},
		{name: "signed out everywhere", end: func(t *testing.T, _ *testApp, _, self *client, _ *testUser) {
			res := self.submit("/account/sessions/end-all", nil)
			if res.Code != http.StatusSeeOther {
				t.Fatalf("sign out everywhere: status %d\n%s", res.Code, res.snippet())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := twoApps(t)
			a.consultation("review", models.StatusOpen, scaleQ("posture", 5))
			u := a.delegate("kadri", "EST")
			fac := b.login(b.facilitator("fran"))
			onA, onB, self := a.login(u), b.login(u), b.login(u)
			apiToken, _, err := a.store.CreateAPIToken(t.Context(), u.ID, models.APITokenInput{Name: "script", Expires: "30"})
			if err != nil {
				t.Fatal(err)
			}
			servers := map[string]*testApp{"A": a, "B": b}
			sessions := map[string]*client{"A": onA, "B": onB}
			apiGet := func(app *testApp) int {
				return secSend(app, http.MethodGet, "/api/v1/consultations", "", http.Header{"Authorization": {"Bearer " + apiToken}}, nil).Code
			}
			const form = "/consultations/review/positions/EST"
			for server, app := range servers {
				for made, cl := range sessions {
					if code := cl.on(app).get(form).Code; code != http.StatusOK {
						t.Fatalf("before: the session made on %s gets %d on %s, want 200", made, code, server)
					}
				}
				if code := apiGet(app); code != http.StatusOK {
					t.Fatalf("before: the API token gets %d on %s, want 200", code, server)
				}
			}
			tt.end(t, b, fac, self, u)
			for server, app := range servers {
				for made, cl := range sessions {
					page := cl.on(app).get(form)
					if page.Code != http.StatusSeeOther || !strings.HasPrefix(page.location(), "/login") {
						t.Errorf("after: the session made on %s gets %d %s on %s, want a redirect to sign in", made, page.Code, page.location(), server)
					}
				}
				if code := apiGet(app); code != http.StatusUnauthorized {
					t.Errorf("after: the API token gets %d on %s, want 401", code, server)
				}
			}
		})
	}
}
