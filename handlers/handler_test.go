package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"concord/models"
)

// h1 is the text of the page's first heading.
func (r *response) h1() string {
	nodes := find(r.html(), func(n *htmlNode) bool { return n.Data == "h1" })
	if len(nodes) == 0 {
		return ""
	}
	return textContent(nodes[0])
}

// TestErrorPageTitles: error pages are headed in plain words, never with
// HTTP's own names ("Conflict", "Forbidden", "Unprocessable Entity"), and
// the browser tab says the same.
func TestErrorPageTitles(t *testing.T) {
	app := newTestApp(t)
	app.consultation("empty", models.StatusDraft)
	fac := app.login(app.facilitator("fran"))
	est := app.login(app.delegate("kadri", "EST"))
	tests := []struct {
		name   string
		do     func() *response
		status int
		title  string
	}{
		{"no such page", func() *response { return fac.get("/nowhere") }, http.StatusNotFound, "Not found"},
		{"another member's form", func() *response { return est.get("/consultations/empty/positions/LVA") },
			http.StatusForbidden, "Not open to your account"},
		{"staff page for a delegate", func() *response { return est.get("/consultations") },
			http.StatusForbidden, "Not open to your account"},
		{"opening a consultation without questions", func() *response {
			return fac.submit("/consultations/empty/status", map[string][]string{"status": {models.StatusOpen}})
		}, http.StatusConflict, "Not possible now"},
		{"wrong method", func() *response { return app.anonymous().do(http.MethodPut, "/login", strings.NewReader(""), nil) },
			http.StatusMethodNotAllowed, "Not possible at this address"},
		{"invalid audit export filter", func() *response { return fac.get("/audit.csv?from=yesterday") },
			http.StatusUnprocessableEntity, "Please check what you entered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.do()
			wantStatus(t, res, tc.status)
			if got := res.h1(); got != tc.title {
				t.Errorf("heading %q, want %q", got, tc.title)
			}
			if want := "<title>" + tc.title + " · Concord</title>"; !strings.Contains(res.Body, want) {
				t.Errorf("page title is not %q", want)
			}
		})
	}
}
