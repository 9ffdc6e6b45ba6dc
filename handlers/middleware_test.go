package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"concord/models"
)

func TestCSRFProtection(t *testing.T) {
	tests := []struct {
		name      string
		token     string // "valid", "" or a wrong value
		header    http.Header
		wantCode  int
		wantText  string
		wantSaved bool
	}{
		{name: "form token and same-origin fetch", token: "valid",
			header: http.Header{"Sec-Fetch-Site": {"same-origin"}}, wantCode: http.StatusSeeOther, wantSaved: true},
		{name: "form token, no fetch metadata (older browser)", token: "valid",
			wantCode: http.StatusSeeOther, wantSaved: true},
		// The position form comes back with what was posted (see
		// TestPositionFormExpiredToken); other forms answer with a page.
		{name: "no form token", token: "", wantCode: http.StatusForbidden,
			wantText: "Your form had expired; nothing was saved."},
		{name: "wrong form token", token: "forged-token", wantCode: http.StatusForbidden,
			wantText: "Your form had expired; nothing was saved."},
		{name: "cross-site fetch even with the token", token: "valid",
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}}, wantCode: http.StatusForbidden,
			wantText: "This request came from another site and was refused."},
		{name: "foreign origin even with the token", token: "valid",
			header: http.Header{"Origin": {"https://evil.example"}}, wantCode: http.StatusForbidden,
			wantText: "This request came from another site and was refused."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
			cl := app.login(app.delegate("kadri", "EST"))
			form := url.Values{"preferred.posture": {"2"}}
			switch tc.token {
			case "valid":
				form.Set("csrf_token", cl.csrfTokenFrom("/consultations/review/positions/EST"))
			case "":
			default:
				form.Set("csrf_token", tc.token)
			}
			hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			for k, v := range tc.header {
				hdr[k] = v
			}
			res := cl.do(http.MethodPost, "/consultations/review/positions/EST", strings.NewReader(form.Encode()), hdr)
			wantStatus(t, res, tc.wantCode)
			if tc.wantText != "" {
				wantText(t, res, tc.wantText)
			}
			want := 0
			if tc.wantSaved {
				want = 1
			}
			if n := app.revisionCount(cons.ID, "EST"); n != want {
				t.Errorf("%d revisions in the database, want %d", n, want)
			}
		})
	}
}

func TestCrossSiteLoginRefused(t *testing.T) {
	app := newTestApp(t)
	u := app.delegate("kadri", "EST")
	cl := app.anonymous()
	form := url.Values{"username": {u.Username}, "password": {u.Password}}
	res := cl.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}})
	wantStatus(t, res, http.StatusForbidden)
	if cl.cookie("concord_session") != "" {
		t.Error("a cross-site login created a session")
	}
}

func TestBodyLimit(t *testing.T) {
	big := strings.Repeat("x", 1<<20+1)
	t.Run("signed-in form", func(t *testing.T) {
		app := newTestApp(t)
		cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
		cl := app.login(app.delegate("kadri", "EST"))
		res := cl.submit("/consultations/review/positions/EST", url.Values{
			"preferred.posture": {"3"}, "rationale.posture": {big}})
		wantStatus(t, res, http.StatusRequestEntityTooLarge)
		wantText(t, res, "was not saved")
		if n := app.revisionCount(cons.ID, ""); n != 0 {
			t.Errorf("%d revisions written from an oversized form", n)
		}
	})
	t.Run("login form", func(t *testing.T) {
		app := newTestApp(t)
		res := app.anonymous().post("/login", url.Values{"username": {"kadri"}, "password": {big}})
		wantStatus(t, res, http.StatusRequestEntityTooLarge)
	})
	t.Run("just under the limit is read", func(t *testing.T) {
		app := newTestApp(t)
		cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5))
		cl := app.login(app.delegate("kadri", "EST"))
		// Far under 1 MiB but over the rationale limit: the form is read
		// and answered with a field message, not refused whole.
		res := cl.submit("/consultations/review/positions/EST", url.Values{
			"preferred.posture": {"3"}, "rationale.posture": {strings.Repeat("y", 100_000)}})
		wantStatus(t, res, http.StatusUnprocessableEntity)
		if n := app.revisionCount(cons.ID, ""); n != 0 {
			t.Errorf("%d revisions written", n)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	app := newTestApp(t)
	anon := app.anonymous()
	login := anon.get("/login")
	wantStatus(t, login, http.StatusOK)

	// The stylesheet link of the layout names the content-hashed asset.
	css := ""
	for _, n := range find(login.html(), func(n *htmlNode) bool { return n.Data == "link" }) {
		href, _ := attr(n, "href")
		if rel, _ := attr(n, "rel"); rel == "stylesheet" && strings.HasPrefix(href, "/static/app.") {
			css = href
		}
	}
	if !strings.HasPrefix(css, "/static/app.") || !strings.HasSuffix(css, ".css") {
		t.Fatalf("stylesheet URL %q is not a hashed static URL", css)
	}
	asset := anon.get(css)
	wantStatus(t, asset, http.StatusOK)

	signedIn := app.login(app.delegate("kadri", "EST")).get("/dashboard")
	wantStatus(t, signedIn, http.StatusOK)

	tests := []struct {
		name   string
		res    *response
		header string
		want   string // substring
	}{
		{"login page CSP", login, "Content-Security-Policy", "default-src 'self'"},
		{"login page CSP blocks inline script", login, "Content-Security-Policy", "script-src 'self'"},
		{"login page no framing", login, "Content-Security-Policy", "frame-ancestors 'none'"},
		{"login page nosniff", login, "X-Content-Type-Options", "nosniff"},
		{"login page not stored", login, "Cache-Control", "no-store"},
		{"signed-in page not stored", signedIn, "Cache-Control", "no-store"},
		{"signed-in page CSP", signedIn, "Content-Security-Policy", "default-src 'self'"},
		{"signed-in page frame options", signedIn, "X-Frame-Options", "DENY"},
		{"signed-in page referrer", signedIn, "Referrer-Policy", "same-origin"},
		{"static file cached for good", asset, "Cache-Control", "immutable"},
		{"static file nosniff", asset, "X-Content-Type-Options", "nosniff"},
		{"static file type", asset, "Content-Type", "text/css"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.res.Header.Get(tc.header); !strings.Contains(got, tc.want) {
				t.Errorf("%s = %q, want it to contain %q", tc.header, got, tc.want)
			}
		})
	}
	t.Run("static file not no-store", func(t *testing.T) {
		if got := asset.Header.Get("Cache-Control"); strings.Contains(got, "no-store") {
			t.Errorf("Cache-Control = %q", got)
		}
	})
	t.Run("unknown static file", func(t *testing.T) {
		wantStatus(t, anon.get("/static/app.000000000000.css"), http.StatusNotFound)
	})
}

func TestHealthz(t *testing.T) {
	app := newTestApp(t)
	anon := app.anonymous()
	res := anon.get("/healthz")
	wantStatus(t, res, http.StatusOK)
	if !strings.Contains(res.Body, `"ok"`) {
		t.Errorf("body %q", res.Body)
	}
	if err := app.store.Close(); err != nil {
		t.Fatal(err)
	}
	res = anon.get("/healthz")
	wantStatus(t, res, http.StatusServiceUnavailable)
	if !strings.Contains(res.Body, "unavailable") {
		t.Errorf("body %q", res.Body)
	}
}
