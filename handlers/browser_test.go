package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concord/models"
)

// findChromium returns the browser to drive: $CHROMIUM, else chromium or
// chromium-browser on the PATH.
func findChromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium or chromium-browser on the PATH and CHROMIUM is not set")
}

// TestBrowserSavePositions signs a delegate in through the real login form
// in headless Chromium, fills the position form (a preferred point, the
// acceptable range, the importance and a rationale), saves it, and checks
// what the page shows after the redirect. It then submits an impossible
// range and checks the 422 page. With CONCORD_SCREENSHOTS set to a
// directory, full-page PNGs of each step are saved there.
func TestBrowserSavePositions(t *testing.T) {
	browser, err := findChromium()
	if err != nil {
		t.Skipf("browser test skipped: %v (install Debian's chromium or set CHROMIUM)", err)
	}
	shots := os.Getenv("CONCORD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	app := newTestApp(t)
	sq := scaleQ("posture", 5)
	sq.StatusQuo = 3
	sq.Help = "Point 3 is the posture agreed at the last summit."
	cons := app.consultation("review", models.StatusOpen, sq, choiceQ("treaty", "Keep", "Suspend", "Void"))
	d := app.delegate("kadri", "EST")
	srv := httptest.NewServer(app.router)
	defer srv.Close()

	// One bound for the whole browser session: if anything hangs, the
	// browser is stopped and the test fails instead of waiting.
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromiumOptions(t, browser, 1280, 900)...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	eval := func(js string) bool {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("value of %s: %v", sel, err)
		}
		return v
	}
	const form = `form.positions`
	const submit = `form.positions .actions button[type=submit]`

	// Sign in through the form.
	do("open the login page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("username")))
	shot("01-login")
	do("sign in",
		chromedp.SendKeys(chromedp.ID("username"), d.Username),
		chromedp.SendKeys(chromedp.ID("password"), d.Password),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.cards`)),
	)
	if got := text("h1"); got != "Your consultations" {
		t.Fatalf("after signing in the page is %q", got)
	}
	if got := text(".card"); !strings.Contains(got, "Answered 0 of 2 questions.") {
		t.Errorf("dashboard card reads %q", got)
	}
	shot("02-dashboard")

	// Open the consultation from the dashboard and fill the form.
	do("open the form", chromedp.Click(chromedp.CSS(`.card h2 a`)), chromedp.WaitVisible(chromedp.CSS(form)))
	shot("03-positions-before")
	do("fill the form",
		chromedp.Click(chromedp.CSS(`input[name="preferred.posture"][value="4"]`)),
		chromedp.SetValue(chromedp.ID("min-posture"), "3"),
		chromedp.SetValue(chromedp.ID("max-posture"), "5"),
		chromedp.SetValue(chromedp.ID("imp-posture"), "high"),
		chromedp.SendKeys(chromedp.ID("rat-posture"), "Deterrence needs a visible presence."),
		chromedp.Click(chromedp.CSS(`input[name="option.treaty"][value="2"]`)),
	)
	do("save", chromedp.Click(chromedp.CSS(submit)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/consultations/review/positions/EST"; loc != want {
		t.Errorf("after saving the browser is at %s, want %s", loc, want)
	}
	if got := text(".flash"); got != "Saved: 2 positions revised." {
		t.Errorf("flash reads %q", got)
	}
	if !eval(`document.querySelector('input[name="preferred.posture"][value="4"]').checked`) {
		t.Error("the saved preferred point is not checked")
	}
	if !eval(`document.querySelector('input[name="option.treaty"][value="2"]').checked`) {
		t.Error("the saved option is not checked")
	}
	checks := []struct{ sel, want string }{
		{"#min-posture", "3"},
		{"#max-posture", "5"},
		{"#imp-posture", "high"},
		{"#rat-posture", "Deterrence needs a visible presence."},
	}
	for _, c := range checks {
		if got := value(c.sel); got != c.want {
			t.Errorf("%s = %q after saving, want %q", c.sel, got, c.want)
		}
	}
	if got := text("#q-posture .saved"); !strings.Contains(got, "revision 1") {
		t.Errorf("saved line reads %q", got)
	}
	if got := text(".page-head .meta"); !strings.Contains(got, "answered 2 of 2") {
		t.Errorf("progress reads %q", got)
	}
	shot("04-positions-after")

	// An impossible range: the page comes back with the message beside the
	// field and the typed values, and nothing is saved.
	do("submit a bad range",
		chromedp.SetValue(chromedp.ID("min-posture"), "5"),
		chromedp.Click(chromedp.CSS(submit)),
		chromedp.WaitVisible(chromedp.CSS(`.field-error`)),
	)
	if got := text("#q-posture .field-error"); got != "The lowest acceptable point must be at or below the preferred point." {
		t.Errorf("field message reads %q", got)
	}
	if got := text(".alert"); !strings.Contains(got, "Nothing was saved") {
		t.Errorf("page message reads %q", got)
	}
	if got := value("#min-posture"); got != "5" {
		t.Errorf("the typed range start is %q, want 5", got)
	}
	shot("05-positions-422")
	if n := app.revisionCount(cons.ID, "EST"); n != 2 {
		t.Errorf("%d revisions stored, want 2", n)
	}
}

// newBrowser starts headless Chromium for one test, bounded in time, with
// a window of the given size; it skips the test when no browser is found.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	browser, err := findChromium()
	if err != nil {
		t.Skipf("browser test skipped: %v (install Debian's chromium or set CHROMIUM)", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromiumOptions(t, browser, width, height)...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	return bctx
}

// chromiumOptions are the flags every browser test starts Chromium with:
// headless, no sandbox (tests run as root in CI), none of the background
// networking a closed network refuses, a fresh profile.
func chromiumOptions(t *testing.T, browser string, width, height int) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
}

// browserSignIn signs u in through the login form at the current page.
func browserSignIn(t *testing.T, bctx context.Context, u *testUser, waitFor string) {
	t.Helper()
	err := chromedp.Do(bctx,
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), u.Username),
		chromedp.SendKeys(chromedp.ID("password"), u.Password),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(waitFor)))
	if err != nil {
		t.Fatalf("sign in %s: %v", u.Username, err)
	}
}

// pointBox is where a scale point's label text and its card are drawn.
type pointBox struct {
	Top, Left, Right, Bottom                 float64
	CardTop, CardLeft, CardRight, CardBottom float64
	Num                                      string
}

// TestBrowserScaleLayout checks by element positions that an 11-point
// scale reads left to right on one row at 1366 px, stays in reading order
// on a 390 px phone, and that no label is drawn outside its card.
func TestBrowserScaleLayout(t *testing.T) {
	app := newTestApp(t)
	sq := scaleQ("posture", 11)
	sq.Labels[5] = "Considerably strengthened forward-deployed deterrence and defence posture"
	sq.StatusQuo = 6
	app.consultation("review", models.StatusOpen, sq)
	d := app.delegate("kadri", "EST")
	srv := httptest.NewServer(app.router)
	defer srv.Close()
	bctx := newBrowser(t, 1366, 900)
	shots := os.Getenv("CONCORD_SCREENSHOTS")

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, bctx, d, ".cards")

	const measure = `Array.from(document.querySelectorAll('#q-posture .scale-points .point')).map(card => {
		const c = card.getBoundingClientRect();
		const parts = Array.from(card.querySelectorAll('.num, .lbl, .sq')).map(e => e.getBoundingClientRect());
		return {Top: Math.min(...parts.map(r => r.top)), Left: Math.min(...parts.map(r => r.left)),
			Right: Math.max(...parts.map(r => r.right)), Bottom: Math.max(...parts.map(r => r.bottom)),
			CardTop: c.top, CardLeft: c.left, CardRight: c.right, CardBottom: c.bottom,
			Num: card.querySelector('.num').textContent};
	})`
	tests := []struct {
		name          string
		width, height int64
		oneRow        bool
	}{
		{"laptop 1366 px", 1366, 900, true},
		{"phone 390 px", 390, 844, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := chromedp.Do(bctx, chromedp.EmulateViewport(tc.width, tc.height),
				chromedp.Navigate(srv.URL+"/consultations/review/positions/EST"),
				chromedp.WaitVisible(chromedp.CSS(`#q-posture .scale-points`)))
			if err != nil {
				t.Fatal(err)
			}
			boxes, err := chromedp.Run(bctx, chromedp.Evaluate[[]pointBox](measure))
			if err != nil {
				t.Fatal(err)
			}
			if len(boxes) != 11 {
				t.Fatalf("%d points drawn, want 11", len(boxes))
			}
			const eps = 0.5
			for i, b := range boxes {
				if b.Num != strconv.Itoa(i+1) {
					t.Errorf("point %d in the page reads %q", i+1, b.Num)
				}
				if b.Left < b.CardLeft-eps || b.Right > b.CardRight+eps || b.Top < b.CardTop-eps || b.Bottom > b.CardBottom+eps {
					t.Errorf("point %d: label %v spills out of its card", i+1, b)
				}
				if i == 0 {
					continue
				}
				prev := boxes[i-1]
				sameRow := abs(b.CardTop-prev.CardTop) < eps
				switch {
				case tc.oneRow && !sameRow:
					t.Errorf("point %d is on another row (top %.1f) than point %d (top %.1f)", i+1, b.CardTop, i, prev.CardTop)
				case tc.oneRow && b.CardLeft <= prev.CardLeft:
					t.Errorf("point %d (left %.1f) is not right of point %d (left %.1f)", i+1, b.CardLeft, i, prev.CardLeft)
				case !tc.oneRow && sameRow && b.CardLeft <= prev.CardLeft:
					t.Errorf("point %d is left of point %d on the same row", i+1, i)
				case !tc.oneRow && !sameRow && b.CardTop < prev.CardBottom-eps:
					t.Errorf("point %d (top %.1f) is not below point %d (bottom %.1f)", i+1, b.CardTop, i, prev.CardBottom)
				}
			}
			if shots != "" {
				png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
				if err == nil {
					err = os.WriteFile(filepath.Join(shots, fmt.Sprintf("scale-%d.png", tc.width)), png, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestBrowserDraftSurvivesSignOut: answers typed but not saved stay in the
// browser tab; after the session ends and the delegate signs in again, the
// form brings them back with a notice, and a save clears them.
func TestBrowserDraftSurvivesSignOut(t *testing.T) {
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), choiceQ("treaty", "Keep", "Suspend", "Void"))
	d := app.delegate("kadri", "EST")
	srv := httptest.NewServer(app.router)
	defer srv.Close()
	bctx := newBrowser(t, 1280, 900)
	form := srv.URL + "/consultations/review/positions/EST"

	if err := chromedp.Do(bctx, chromedp.Navigate(form)); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, bctx, d, "form.positions")
	err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`input[name="preferred.posture"][value="2"]`)),
		chromedp.SendKeys(chromedp.ID("rat-posture"), "Drafted over a long afternoon."),
		chromedp.Click(chromedp.CSS(`input[name="accept.treaty"][value="3"]`)))
	if err != nil {
		t.Fatal(err)
	}
	// The session ends on the server (idle timeout); the tab keeps going.
	if _, err := app.store.EndSessions(context.Background(), d.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(form)); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, bctx, d, "form.positions")
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(`[data-draft-notice]`))); err != nil {
		t.Fatalf("no notice of restored answers: %v", err)
	}
	notice, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`[data-draft-notice]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(notice, "Restored your unsaved answers from this browser") {
		t.Errorf("notice reads %q", notice)
	}
	restored, err := chromedp.Run(bctx, chromedp.Evaluate[string](`[
		document.querySelector('input[name="preferred.posture"]:checked')?.value,
		document.getElementById('rat-posture').value,
		document.querySelector('input[name="accept.treaty"]:checked')?.value].join('|')`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "2|Drafted over a long afternoon.|3"; restored != want {
		t.Errorf("restored %q, want %q", restored, want)
	}
	// Choose a preferred option and save: the answers are stored and the
	// browser's copy is forgotten.
	err = chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`input[name="option.treaty"][value="1"]`)),
		chromedp.Click(chromedp.CSS(`form.positions .actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if err != nil {
		t.Fatal(err)
	}
	revs := app.revisions(cons.ID, "EST")
	if len(revs) != 2 || revs[0].Rationale != "Drafted over a long afternoon." || revs[1].AcceptOptions != "1 3" {
		t.Errorf("revisions %+v", revs)
	}
	left, err := chromedp.Run(bctx, chromedp.Evaluate[int](`Object.keys(sessionStorage).filter(k => k.startsWith('concord.draft.')).length`))
	if err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d drafts left in the browser after saving", left)
	}
	if hidden, _ := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector('[data-draft-notice]').hidden`)); !hidden {
		t.Error("the restored notice is shown after saving")
	}

	// The consultation closes while the delegate is still editing: the
	// save comes back read-only, with the answers as text and a working
	// copy button.
	app.setStatus(cons.ID, models.StatusClosed)
	err = chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`input[name="preferred.posture"][value="5"]`)),
		chromedp.Click(chromedp.CSS(`form.positions .actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("unsaved-text")))
	if err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(bctx, chromedp.Evaluate[string](`[
		document.querySelector('button[data-copy]').hidden,
		document.querySelector('input[name="preferred.posture"][value="5"]').checked,
		document.querySelector('input[name="preferred.posture"][value="5"]').matches(':disabled'),
		document.getElementById('unsaved-text').value.includes('Preferred: 5 — Point 5 of posture')].join('|')`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "false|true|true|true"; state != want {
		t.Errorf("copy hidden|typed point kept|disabled|in the text = %s, want %s", state, want)
	}
	if shots := os.Getenv("CONCORD_SCREENSHOTS"); shots != "" {
		for _, w := range []int64{1366, 390} {
			err := chromedp.Do(bctx, chromedp.EmulateViewport(w, 900), chromedp.Sleep(200*time.Millisecond))
			var png []byte
			if err == nil {
				png, err = chromedp.Run(bctx, chromedp.FullScreenshot(100))
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(shots, fmt.Sprintf("positions-409-%d.png", w)), png, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := app.revisionCount(cons.ID, "EST"); n != 2 {
		t.Errorf("%d revisions after the refused save, want 2", n)
	}
}

// TestBrowserRoundTwoForm opens the round 2 form of a head of delegation,
// at a laptop's and a phone's width: the round 1 result and the carried
// answers are visible and marked, a delegate's draft offers its review,
// nothing overflows the page sideways, and keeping a carried answer saves
// it. With CONCORD_SCREENSHOTS set, full-page PNGs are saved there.
func TestBrowserRoundTwoForm(t *testing.T) {
	app, cons, est, _ := roundOneReview(t)
	ctx := context.Background()
	hod := app.delegate("hod", "EST")
	if err := app.store.SetApprover(ctx, hod.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	if err := app.store.SetRequireApproval(ctx, cons.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	if err := app.store.SetShowPreviousRationales(ctx, cons.ID, true, app.authorID()); err != nil {
		t.Fatal(err)
	}
	app.submitPositions(cons.ID, "EST", est.ID, models.PositionInput{QuestionKey: "treaty", Option: 2,
		Conditions: "Provided the Act is suspended, not terminated."})
	srv := httptest.NewServer(app.router)
	defer srv.Close()
	bctx := newBrowser(t, 1366, 900)
	shots := os.Getenv("CONCORD_SCREENSHOTS")
	form := srv.URL + formEST
	if err := chromedp.Do(bctx, chromedp.Navigate(form)); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, bctx, hod, "form.positions")

	for _, w := range []int64{1366, 390} {
		t.Run(fmt.Sprintf("%d px", w), func(t *testing.T) {
			err := chromedp.Do(bctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(form),
				chromedp.WaitVisible(chromedp.ID("carried-posture")), chromedp.WaitVisible(chromedp.ID("fb-posture")))
			if err != nil {
				t.Fatal(err)
			}
			state, err := chromedp.Run(bctx, chromedp.Evaluate[string](`[
				document.getElementById('carried-posture').innerText.includes('Your round 1 answer — not yet given for round 2'),
				document.querySelector('input[name="preferred.posture"]:checked')?.value,
				!!document.querySelector('#q-posture tr.mine .mine-badge'),
				!!document.querySelector('#q-treaty .review button[name=approve]'),
				document.getElementById('carried-treaty') === null,
				document.documentElement.scrollWidth <= document.documentElement.clientWidth].join('|')`))
			if err != nil {
				t.Fatal(err)
			}
			if want := "true|4|true|true|true|true"; state != want {
				t.Errorf("carried marked|carried point|own answer badge|review offered|draft not carried|no sideways scroll = %s, want %s", state, want)
			}
			if shots != "" {
				png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
				if err == nil {
					err = os.WriteFile(filepath.Join(shots, fmt.Sprintf("round2-%d.png", w)), png, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// Editing a carried answer says it will count once saved.
	err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`input[name="preferred.notes"], #ans-notes`)),
		chromedp.SendKeys(chromedp.ID("ans-notes"), " And a review clause."))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#carried-notes [data-carried-status]`))); err != nil || !strings.Contains(s, "counts as your round 2 answer") {
		t.Errorf("edited carried answer says %q (%v)", s, err)
	}
	err = chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#carried-posture button[name=keep]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if err != nil {
		t.Fatal(err)
	}
	revs := app.roundRevisions(cons.ID, "EST", 2)
	var got []string
	for _, r := range revs {
		got = append(got, fmt.Sprintf("%s %d%d %s", r.QuestionKey, r.Preferred, r.Choice, r.State))
	}
	// The keep saves posture; the edited notes go with the same save; the
	// draft the head of delegation did not touch stays a draft.
	if want := []string{"treaty 02 draft", "posture 40 approved", "notes 00 approved"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("round 2 revisions %q, want %q", got, want)
	}
}
