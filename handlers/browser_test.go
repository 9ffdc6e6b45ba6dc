package handlers_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
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
