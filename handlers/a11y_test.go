package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"concord/models"
)

// axeTags are the rule sets the accessibility test enforces: WCAG 2.0 and
// 2.1, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeViolation is the part of an axe-core result the test reports.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// browserSession drives one headless Chromium for a test.
type browserSession struct {
	t     *testing.T
	alloc context.Context
	base  string
	axe   string
}

// newBrowserSession starts headless Chromium (skipping the test when none
// is installed) for pages served at base. Everything stops when the test
// ends or after the given bound, whichever comes first.
func newBrowserSession(t *testing.T, base string, bound time.Duration) *browserSession {
	t.Helper()
	browser, err := findChromium()
	if err != nil {
		t.Skipf("browser test skipped: %v (install Debian's chromium or set CHROMIUM)", err)
	}
	axe, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatalf("read axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromiumOptions(t, browser, 1366, 900)...)
	t.Cleanup(cancelAlloc)
	// Start the browser itself once; each actor then gets a browser
	// context of its own (separate cookies).
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browserSession{t: t, alloc: root, base: base, axe: string(axe)}
}

// tab opens a tab in a new browser context, signed in with the given
// session cookie (none for an anonymous visitor).
func (b *browserSession) tab(sessionCookie string) context.Context {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.alloc, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open tab: %v", err)
	}
	if sessionCookie != "" {
		u, err := url.Parse(b.base)
		if err != nil {
			b.t.Fatal(err)
		}
		err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "concord_session",
				Value: sessionCookie, Domain: u.Hostname(), Path: "/", HTTPOnly: new(true)})
			return err
		}))
		if err != nil {
			b.t.Fatalf("set session cookie: %v", err)
		}
	}
	return ctx
}

// audit runs axe-core on the page loaded in ctx and returns one line per
// violation (rule, help and the elements concerned).
func (b *browserSession) audit(ctx context.Context) ([]string, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](b.axe+";0")); err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	tags, _ := json.Marshal(axeTags)
	js := `axe.run(document, {runOnly: {type: 'tag', values: ` + string(tags) + `}, resultTypes: ['violations']})
		.then(r => JSON.stringify(r.violations))`
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		return nil, fmt.Errorf("read axe-core result: %w", err)
	}
	var out []string
	for _, v := range vs {
		var where []string
		for i, n := range v.Nodes {
			if i == 3 {
				where = append(where, fmt.Sprintf("… %d more", len(v.Nodes)-3))
				break
			}
			where = append(where, fmt.Sprintf("%v (%s)", n.Target, strings.Join(strings.Fields(n.Summary), " ")))
		}
		out = append(out, fmt.Sprintf("%s: %s — %s", v.ID, v.Help, strings.Join(where, "; ")))
	}
	return out, nil
}

// nonPages are GET routes that answer something other than an HTML page.
var nonPages = map[string]bool{
	"/healthz": true, "/static/*file": true, "/audit.csv": true,
	"/consultations/:key/report.json":           true,
	"/consultations/:key/report/print.css":      true,
	"/consultations/:key/exports/:file":         true,
	"/consultations/:key/definition.json":       true,
	"/consultations/:key/drafts/:n/adopted.pdf": true,
	"/consultations/:key/drafts/:n/adopted.md":  true,
	"/consultations/:key/drafts/:n/print.css":   true,
	"/api/v1/openapi.json":                      true,
	"/api/v1/consultations":                     true,
	"/api/v1/consultations/:key":                true,
	"/api/v1/consultations/:key/positions":      true,
	"/api/v1/consultations/:key/report":         true,
	"/api/v1/consultations/:key/exports/:file":  true,
	// The API's drafts: JSON, and the adopted text as Markdown.
	"/api/v1/consultations/:key/drafts":                   true,
	"/api/v1/consultations/:key/drafts/:n/versions/:v":    true,
	"/api/v1/consultations/:key/drafts/:n/procedures/:id": true,
	"/api/v1/consultations/:key/drafts/:n/adopted.md":     true,
}

// TestAccessibility loads every page each kind of account can open (and
// the sign-in and invitation pages, anonymously) in headless Chromium and
// fails on any WCAG 2.1 A or AA violation that axe-core finds. The page
// list comes from the router's own table, so a new page is checked as
// soon as it has a route. The form's error states (422, 409, an expired
// form) are checked by TestAccessibilityFormStates.
func TestAccessibility(t *testing.T) {
	w := newMatrixWorld(t)
	srv := httptest.NewServer(w.app.router)
	t.Cleanup(srv.Close)
	b := newBrowserSession(t, srv.URL, 4*time.Minute)

	// The check must be able to fail: a page with an image without a text
	// alternative is reported.
	t.Run("axe reports a known violation", func(t *testing.T) {
		ctx := b.tab("")
		page := `data:text/html,<!doctype html><html lang="en"><title>x</title><main><img src="x.png"></main></html>`
		if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady("body")); err != nil {
			t.Fatal(err)
		}
		found, err := b.audit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 0 || !strings.HasPrefix(found[0], "image-alt:") {
			t.Errorf("axe found %q on a page with an image without alt text, want image-alt", found)
		}
	})

	for _, actor := range []string{actAnon, actDelA, actObserver, actFac} {
		ctx := b.tab(w.clients[actor].cookie("concord_session"))
		for _, rt := range w.app.handler.Routes() {
			if rt.Method != http.MethodGet || nonPages[rt.Path] || matrix[rt.Method+" "+rt.Path].of(actor) != http.StatusOK {
				continue
			}
			path := w.path(rt.Path)
			t.Run(actor+" "+rt.Path, func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path), chromedp.WaitReady("body")); err != nil {
					t.Fatalf("open %s: %v", path, err)
				}
				// The page itself, not the sign-in page it may redirect to.
				if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || loc != srv.URL+path {
					t.Fatalf("opened %s, the browser is at %s (%v)", path, loc, err)
				}
				found, err := b.audit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range found {
					t.Errorf("%s: %s", path, v)
				}
			})
		}
	}
}

// TestAccessibilityFormStates checks the position form's error states with
// axe-core: a refused value (422), an expired form token, a save refused
// because the consultation closed (409), and a save posted after the
// session ended (401).
func TestAccessibilityFormStates(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), choiceQ("treaty", "Keep", "Suspend", "Void"))
	d := app.delegate("kadri", "EST")
	srv := httptest.NewServer(app.router)
	t.Cleanup(srv.Close)
	b := newBrowserSession(t, srv.URL, 2*time.Minute)
	ctx := b.tab(app.login(d).cookie("concord_session"))
	form := srv.URL + "/consultations/review/positions/EST"
	const save = `form.positions .actions button[type=submit]`

	check := func(t *testing.T, state string, wantStatus string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", state, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, wantStatus) {
			t.Fatalf("%s: the page does not say %q:\n%s", state, wantStatus, text)
		}
		found, err := b.audit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", state, v)
		}
	}
	check(t, "a refused value (422)", "Nothing was saved",
		chromedp.Navigate(form), chromedp.WaitVisible(chromedp.CSS(save)),
		chromedp.Click(chromedp.CSS(`input[name="preferred.posture"][value="4"]`)),
		chromedp.SetValue(chromedp.ID("min-posture"), "5"),
		chromedp.Click(chromedp.CSS(save)), chromedp.WaitVisible(chromedp.CSS(".field-error")))
	check(t, "an expired form", "Your form had expired",
		chromedp.Navigate(form), chromedp.WaitVisible(chromedp.CSS(save)),
		chromedp.Click(chromedp.CSS(`input[name="preferred.posture"][value="2"]`)),
		chromedp.SetValue(chromedp.CSS(`form.positions input[name="csrf_token"]`), "stale"),
		chromedp.Click(chromedp.CSS(save)), chromedp.WaitReady("body"), chromedp.Sleep(100*time.Millisecond))
	app.setStatus(cons.ID, models.StatusClosed)
	check(t, "a closed consultation (409)", "Nothing was saved",
		chromedp.Click(chromedp.CSS(`input[name="preferred.posture"][value="3"]`)),
		chromedp.Click(chromedp.CSS(save)), chromedp.WaitVisible(chromedp.ID("unsaved-text")))
	app.setStatus(cons.ID, models.StatusOpen)
	check(t, "the form again", "",
		chromedp.Navigate(form), chromedp.WaitVisible(chromedp.CSS(save)))
	if _, err := app.store.EndSessions(context.Background(), d.ID, 0); err != nil {
		t.Fatal(err)
	}
	check(t, "a save after the session ended (401)", "Your session has ended",
		chromedp.Click(chromedp.CSS(`input[name="preferred.posture"][value="3"]`)),
		chromedp.Click(chromedp.CSS(save)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login?next="]`)))
	if n := app.revisionCount(cons.ID, "EST"); n != 0 {
		t.Errorf("%d revisions saved by refused forms", n)
	}

	// Round 2 under national approval, seen by the head of delegation: the
	// round 1 result with its rationales, carried answers and a draft to
	// review.
	for _, code := range []string{"EST", "DEU", "FRA", "ITA", "NLD", "POL"} {
		app.submitPositions(cons.ID, code, app.authorID(), models.PositionInput{QuestionKey: "posture", Preferred: 3, Rationale: "Reason of " + code},
			models.PositionInput{QuestionKey: "treaty", Option: 2})
	}
	app.setRound(cons, 2)
	ctxb := context.Background()
	hod := app.delegate("hod", "EST")
	if err := app.store.SetApprover(ctxb, hod.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	if err := app.store.SetRequireApproval(ctxb, cons.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	if err := app.store.SetShowPreviousRationales(ctxb, cons.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	app.submitPositions(cons.ID, "EST", d.ID, models.PositionInput{QuestionKey: "treaty", Option: 1})
	ctx = b.tab(app.login(hod).cookie("concord_session"))
	check(t, "round 2 with feedback, carried answers and a draft to review", "not yet given for round 2",
		chromedp.Navigate(form), chromedp.WaitVisible(chromedp.ID("fb-posture")))
	check(t, "the dashboard with drafts awaiting approval", "Awaiting your approval",
		chromedp.Navigate(srv.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".cards")))
	check(t, "the history with rounds and states", "awaiting approval",
		chromedp.Navigate(form+"/history"), chromedp.WaitVisible(chromedp.CSS("table.history")))
}
