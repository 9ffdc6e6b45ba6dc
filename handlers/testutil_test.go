// Test harness shared by the handler tests.
//
// Every test drives the real router (handlers.New + handlers.NewRouter)
// against a fresh database from internal/testdb (a SQLite file in
// t.TempDir(), or a new PostgreSQL database when CONCORD_TEST_POSTGRES is
// set), migrated and seeded with the default roster of 32 members. Nothing
// is mocked.
//
// A typical test:
//
//	app := newTestApp(t)
//	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), textQ("notes"))
//	d := app.delegate("kadri", "EST")
//	cl := app.login(d)                     // signs in through POST /login, keeps cookies
//	page := cl.get("/consultations/review/positions/EST")
//	wantStatus(t, page, http.StatusOK)
//	res := cl.submit("/consultations/review/positions/EST", url.Values{"preferred.posture": {"4"}})
//	wantRedirect(t, res, "/consultations/review/positions/EST")
//	page = cl.follow(res)                  // GET the Location, as a browser would
//	if got := page.checked("preferred.posture"); got != "4" { ... }
//	if n := app.revisionCount(cons.ID, "EST"); n != 1 { ... }
//
// Pieces:
//   - testApp: the store, the handler, the router and a controllable clock
//     (app.clock.advance moves the store's time: deadlines, expiry).
//     app.in(t) and client.in(t) rebind to a subtest that shares its
//     parent's app, so a failure is reported on the subtest.
//   - users: app.facilitator, app.delegate, app.observer create accounts
//     with testPassword through Store.CreateUser.
//   - client: a cookie-keeping HTTP client over httptest. app.login signs
//     in; app.anonymous is a client without a session. get, post (the form
//     as given), submit (the form plus the session's csrf_token), follow
//     (GET a redirect's Location), do (anything else).
//   - response: status, headers and body, with HTML readers built on
//     golang.org/x/net/html: text, textOf(id), fieldErrors(id),
//     inputValue, checked, selected, textarea, csrfToken, flash.
//   - data helpers: app.consultation (with questions, in a given status),
//     scaleQ/choiceQ/textQ, app.member, app.revisionCount, app.auditCount.
package handlers_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"

	"concord/handlers"
	"concord/internal/testdb"
	"concord/models"
)

func init() {
	// Set once, before any test runs: gin's mode is a package variable.
	gin.SetMode(gin.TestMode)
}

// testPassword is the password of every account the harness creates. It
// passes the password rules and contains none of the usernames used here.
const testPassword = "amber lantern over quiet fjords"

// testClock is the store's clock in tests. It stands still unless a test
// moves it, so times are deterministic; it is safe for concurrent use.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// advance moves the clock forward by d.
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testApp is one running Concord: a fresh database, the handler and the
// router built exactly as main builds them.
type testApp struct {
	t       testing.TB
	store   *models.Store
	handler *handlers.Handler
	router  *gin.Engine
	clock   *testClock
	cfg     handlers.Config
	author  *uint  // the harness's own facilitator, created on first use
	dsn     string // the database's path or URL, for breakTable
}

// in returns the same app reporting to t: use it in a subtest that shares
// an app made by its parent, so failures land on the right test.
func (a *testApp) in(t testing.TB) *testApp {
	cp := *a
	cp.t = t
	return &cp
}

// newTestApp opens a fresh, migrated database seeded with the default
// roster, with fast password hashing and a still clock, and builds the
// router. The server's log is discarded; set CONCORD_TEST_LOG=1 to see it
// on stderr (the error behind a 500, say). Options may change the configuration before the handler is
// built (for example a smaller body limit). Everything is closed when the
// test ends.
func newTestApp(t testing.TB, opts ...func(*handlers.Config)) *testApp {
	t.Helper()
	return newTestAppOn(t, testdb.DSN(t), opts...)
}

// newTestAppOn is newTestApp on the database dsn names (a SQLite path
// or a PostgreSQL URL), which may already be in use by another app.
func newTestAppOn(t testing.TB, dsn string, opts ...func(*handlers.Config)) *testApp {
	t.Helper()
	ctx := context.Background()
	store, err := models.Open(dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	store.SetClock(clock.Now)
	store.SetPasswordCost(bcrypt.MinCost)
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatalf("default roster: %v", err)
	}
	if err := store.SeedMembers(ctx, roster); err != nil {
		t.Fatalf("seed members: %v", err)
	}
	cfg := handlers.DefaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("CONCORD_TEST_LOG") != "" {
		// For debugging: see what the server logs (errors behind a 500).
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	h, err := handlers.New(store, logger, cfg)
	if err != nil {
		t.Fatalf("build handler: %v", err)
	}
	return &testApp{t: t, store: store, handler: h, router: handlers.NewRouter(h), clock: clock, cfg: cfg, author: new(uint), dsn: dsn}
}

// breakTable renames a table behind the Store's back, through a
// connection of its own, so that every later query of it fails: a way to
// make the database fail in one place and see how a handler copes.
func (a *testApp) breakTable(name string) {
	a.t.Helper()
	db := testdb.OpenDB(a.t, a.dsn)
	defer db.Close()
	if _, err := db.Exec("ALTER TABLE " + name + " RENAME TO " + name + "_broken"); err != nil {
		a.t.Fatalf("break table %s: %v", name, err)
	}
}

// testUser is an account created by the harness, with its password.
type testUser struct {
	*models.User
	Password string
}

func (a *testApp) createUser(username, role string, memberID *uint) *testUser {
	a.t.Helper()
	u, err := a.store.CreateUser(context.Background(), models.NewUser{Username: username,
		Name: "Test " + username, Role: role, Password: testPassword, MemberID: memberID})
	if err != nil {
		a.t.Fatalf("create %s %s: %v", role, username, err)
	}
	return &testUser{User: u, Password: testPassword}
}

// facilitator creates a facilitator account.
func (a *testApp) facilitator(username string) *testUser {
	a.t.Helper()
	return a.createUser(username, models.RoleFacilitator, nil)
}

// observer creates an observer account.
func (a *testApp) observer(username string) *testUser {
	a.t.Helper()
	return a.createUser(username, models.RoleObserver, nil)
}

// delegate creates a delegate account of the member with the given code.
func (a *testApp) delegate(username, memberCode string) *testUser {
	a.t.Helper()
	m := a.member(memberCode)
	return a.createUser(username, models.RoleDelegate, &m.ID)
}

// member loads a member of the roster by code.
func (a *testApp) member(code string) *models.Member {
	a.t.Helper()
	m, err := a.store.MemberByCode(context.Background(), code)
	if err != nil {
		a.t.Fatalf("member %s: %v", code, err)
	}
	return m
}

// scaleQ is a scale question with n labelled points, in section "Posture".
func scaleQ(key string, n int) models.QuestionInput {
	labels := make([]string, n)
	for i := range labels {
		labels[i] = fmt.Sprintf("Point %d of %s", i+1, key)
	}
	return models.QuestionInput{Key: key, Section: "Posture", Kind: models.KindScale,
		Text: "How far should we go on " + key + "?", Labels: labels}
}

// choiceQ is a choice question with the given options, in section "Treaties".
func choiceQ(key string, options ...string) models.QuestionInput {
	return models.QuestionInput{Key: key, Section: "Treaties", Kind: models.KindChoice,
		Text: "What should become of " + key + "?", Options: options}
}

// textQ is a free-text question, in section "Remarks".
func textQ(key string) models.QuestionInput {
	return models.QuestionInput{Key: key, Section: "Remarks", Kind: models.KindText,
		Text: "Anything else about " + key + "?"}
}

// consultation creates a consultation with the questions, through the
// Store, and brings it to status (draft, open or closed). The author is a
// facilitator account created for the purpose.
func (a *testApp) consultation(key, status string, questions ...models.QuestionInput) *models.Consultation {
	a.t.Helper()
	ctx := context.Background()
	author := a.authorID()
	c, err := a.store.CreateConsultation(ctx, models.ConsultationInput{Key: key, Title: "Consultation " + key,
		Description: "Positions on " + key + "."}, author)
	if err != nil {
		a.t.Fatalf("create consultation %s: %v", key, err)
	}
	for _, q := range questions {
		if _, err := a.store.CreateQuestion(ctx, c.ID, q, author); err != nil {
			a.t.Fatalf("create question %s: %v", q.Key, err)
		}
	}
	a.setStatus(c.ID, status)
	c, err = a.store.ConsultationByID(ctx, c.ID)
	if err != nil {
		a.t.Fatalf("reload consultation %s: %v", key, err)
	}
	return c
}

// setStatus walks a consultation to draft, open or closed.
func (a *testApp) setStatus(id uint, status string) {
	a.t.Helper()
	ctx := context.Background()
	c, err := a.store.ConsultationByID(ctx, id)
	if err != nil {
		a.t.Fatalf("load consultation %d: %v", id, err)
	}
	var steps []string
	switch {
	case c.Status == status:
	case status == models.StatusOpen:
		steps = []string{models.StatusOpen}
	case status == models.StatusClosed && c.Status == models.StatusDraft:
		steps = []string{models.StatusOpen, models.StatusClosed}
	case status == models.StatusClosed:
		steps = []string{models.StatusClosed}
	default:
		a.t.Fatalf("cannot bring consultation %d from %s to %s", id, c.Status, status)
	}
	for _, s := range steps {
		if err := a.store.SetStatus(ctx, id, s, a.authorID()); err != nil {
			a.t.Fatalf("set status %s: %v", s, err)
		}
	}
}

// authorID returns the ID of the harness's own facilitator, created on
// first use; it authors the consultations made through the Store.
func (a *testApp) authorID() uint {
	a.t.Helper()
	if *a.author == 0 {
		*a.author = a.facilitator("harness-author").ID
	}
	return *a.author
}

// submitPositions saves positions of a member directly through the Store (no HTTP),
// as the given user.
func (a *testApp) submitPositions(consultationID uint, memberCode string, by uint, inputs ...models.PositionInput) models.SubmitResult {
	a.t.Helper()
	res, err := a.store.SubmitPositions(context.Background(), models.Submission{ConsultationID: consultationID,
		MemberID: a.member(memberCode).ID, UserID: by, Source: models.SourceForm, Inputs: inputs})
	if err != nil {
		a.t.Fatalf("submit positions of %s: %v", memberCode, err)
	}
	return res
}

// revisions returns the revisions of a consultation, oldest first; with a
// member code, only that member's.
func (a *testApp) revisions(consultationID uint, memberCode string) []models.RevisionRecord {
	a.t.Helper()
	var memberID uint
	if memberCode != "" {
		memberID = a.member(memberCode).ID
	}
	revs, err := a.store.History(context.Background(), consultationID, memberID)
	if err != nil {
		a.t.Fatalf("history: %v", err)
	}
	return revs
}

// revisionCount counts the revisions of a consultation (of one member
// when memberCode is not empty).
func (a *testApp) revisionCount(consultationID uint, memberCode string) int {
	a.t.Helper()
	return len(a.revisions(consultationID, memberCode))
}

// auditEvents lists the audit events with the action, newest first.
func (a *testApp) auditEvents(action string) []models.AuditRecord {
	a.t.Helper()
	evs, err := a.store.Audit(context.Background(), models.AuditFilter{Action: action})
	if err != nil {
		a.t.Fatalf("audit: %v", err)
	}
	return evs
}

// auditCount counts the audit events with the action.
func (a *testApp) auditCount(action string) int {
	a.t.Helper()
	return len(a.auditEvents(action))
}

// client is a browser stand-in: it sends requests through the router and
// keeps the cookies the server sets, in a plain map.
type client struct {
	t   testing.TB
	app *testApp
	jar *cookieJar
	// Header is added to every request (for example User-Agent).
	Header http.Header
}

// cookieJar maps cookie names to values; it is safe for concurrent use.
type cookieJar struct {
	mu      sync.Mutex
	cookies map[string]string
}

// anonymous returns a client without a session.
func (a *testApp) anonymous() *client {
	return &client{t: a.t, app: a, jar: &cookieJar{cookies: map[string]string{}}, Header: http.Header{}}
}

// in returns the same client (same cookies) reporting to t.
func (c *client) in(t testing.TB) *client {
	return &client{t: t, app: c.app.in(t), jar: c.jar, Header: c.Header}
}

// login signs u in through the login form and returns the signed-in client.
func (a *testApp) login(u *testUser) *client {
	a.t.Helper()
	c := a.anonymous()
	res := c.post("/login", url.Values{"username": {u.Username}, "password": {u.Password}})
	if res.Code != http.StatusSeeOther {
		a.t.Fatalf("login %s: status %d, want 303\n%s", u.Username, res.Code, res.snippet())
	}
	if c.cookie("concord_session") == "" {
		a.t.Fatalf("login %s: no session cookie set", u.Username)
	}
	return c
}

// cookie returns the value of a cookie the client holds.
func (c *client) cookie(name string) string {
	c.jar.mu.Lock()
	defer c.jar.mu.Unlock()
	return c.jar.cookies[name]
}

// setCookie sets a cookie by hand (for example to replay an old session).
func (c *client) setCookie(name, value string) {
	c.jar.mu.Lock()
	defer c.jar.mu.Unlock()
	c.jar.cookies[name] = value
}

// response is what the router answered.
type response struct {
	t      testing.TB
	Method string
	Path   string
	Code   int
	Header http.Header
	Body   string
	// Cookies are the cookies set by this response.
	Cookies []*http.Cookie

	docOnce sync.Once
	doc     *html.Node
}

// do sends a request through the router with the client's cookies and
// headers, and stores the cookies of the answer.
func (c *client) do(method, path string, body io.Reader, header http.Header) *response {
	c.t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, vs := range c.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	c.jar.mu.Lock()
	for name, value := range c.jar.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	c.jar.mu.Unlock()
	rec := httptest.NewRecorder()
	c.app.router.ServeHTTP(rec, req)
	res := rec.Result()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	c.jar.mu.Lock()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.jar.cookies, ck.Name)
		} else {
			c.jar.cookies[ck.Name] = ck.Value
		}
	}
	c.jar.mu.Unlock()
	return &response{t: c.t, Method: method, Path: path, Code: res.StatusCode, Header: res.Header,
		Body: string(b), Cookies: res.Cookies()}
}

// get fetches a page.
func (c *client) get(path string) *response {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, nil)
}

// post sends the form exactly as given (no csrf_token is added).
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// submit posts the form with the session's csrf_token, as the page's own
// form would. The token is read from a page of the site the first time.
func (c *client) submit(path string, form url.Values) *response {
	c.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", c.csrfToken())
	return c.post(path, f)
}

// csrfToken returns the session's form token, read from the hidden
// csrf_token input of a signed-in page (the sign-out form of the layout
// carries it on every page).
func (c *client) csrfToken() string {
	c.t.Helper()
	if c.cookie("concord_session") == "" {
		c.t.Fatalf("csrfToken: the client is not signed in")
	}
	page := c.getFollow("/")
	tok := page.csrfToken()
	if tok == "" {
		c.t.Fatalf("csrfToken: no csrf_token input on %s (status %d)", page.Path, page.Code)
	}
	return tok
}

// csrfTokenFrom fetches path and extracts its csrf_token hidden input.
func (c *client) csrfTokenFrom(path string) string {
	c.t.Helper()
	page := c.get(path)
	tok := page.csrfToken()
	if tok == "" {
		c.t.Fatalf("no csrf_token input on %s (status %d)", path, page.Code)
	}
	return tok
}

// follow fetches the Location of a redirect, as a browser would.
func (c *client) follow(res *response) *response {
	c.t.Helper()
	loc := res.location()
	if loc == "" {
		c.t.Fatalf("%s %s: status %d has no Location to follow\n%s", res.Method, res.Path, res.Code, res.snippet())
	}
	return c.get(loc)
}

// getFollow fetches path and follows up to five redirects.
func (c *client) getFollow(path string) *response {
	c.t.Helper()
	res := c.get(path)
	for i := 0; i < 5 && res.Code >= 300 && res.Code < 400; i++ {
		res = c.follow(res)
	}
	return res
}

// location is the Location header of a redirect.
func (r *response) location() string { return r.Header.Get("Location") }

// flash is the flash message a redirect set, decoded ("" when none).
func (r *response) flash() string {
	for _, ck := range r.Cookies {
		if ck.Name == "concord_flash" && ck.Value != "" {
			b, err := base64.RawURLEncoding.DecodeString(ck.Value)
			if err != nil {
				r.t.Fatalf("flash cookie %q: %v", ck.Value, err)
			}
			return string(b)
		}
	}
	return ""
}

// snippet is the start of the body, for failure messages.
func (r *response) snippet() string {
	const n = 1500
	if len(r.Body) > n {
		return r.Body[:n] + "…"
	}
	return r.Body
}

// html parses the body once.
func (r *response) html() *html.Node {
	r.docOnce.Do(func() {
		doc, err := html.Parse(strings.NewReader(r.Body))
		if err != nil {
			r.t.Fatalf("%s %s: parse HTML: %v", r.Method, r.Path, err)
		}
		r.doc = doc
	})
	return r.doc
}

// htmlNode lets test files walk parsed pages without importing the parser.
type htmlNode = html.Node

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// find returns the element nodes under root that match.
func find(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(root)
	return out
}

// textContent is the text under n with runs of white space collapsed.
func textContent(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

func named(tag, name string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, ok := attr(n, "name")
		return n.Data == tag && ok && v == name
	}
}

// text is the whole page's text, white space collapsed: good for
// checking sentences that the markup splits ("Answered <strong>1</strong>
// of 3" reads "Answered 1 of 3").
func (r *response) text() string { return textContent(r.html()) }

// byID returns the element with the id, or nil.
func (r *response) byID(id string) *html.Node {
	nodes := find(r.html(), func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0]
}

// textOf is the text of the element with the id ("" when absent).
func (r *response) textOf(id string) string {
	n := r.byID(id)
	if n == nil {
		return ""
	}
	return textContent(n)
}

// fieldErrors lists the messages shown beside fields (class field-error)
// inside the element with the id, or in the whole page when id is "".
func (r *response) fieldErrors(id string) []string {
	root := r.html()
	if id != "" {
		if root = r.byID(id); root == nil {
			return nil
		}
	}
	var out []string
	for _, n := range find(root, func(n *html.Node) bool { return hasClass(n, "field-error") }) {
		out = append(out, textContent(n))
	}
	return out
}

// alert is the page-level error message ("" when none).
func (r *response) alert() string {
	nodes := find(r.html(), func(n *html.Node) bool { return hasClass(n, "alert") })
	if len(nodes) == 0 {
		return ""
	}
	return textContent(nodes[0])
}

// inputValue is the value of the first input with the name.
func (r *response) inputValue(name string) string {
	nodes := find(r.html(), named("input", name))
	if len(nodes) == 0 {
		return ""
	}
	v, _ := attr(nodes[0], "value")
	return v
}

// inputValues are the values of every input with the name, in order.
func (r *response) inputValues(name string) []string {
	var out []string
	for _, n := range find(r.html(), named("input", name)) {
		v, _ := attr(n, "value")
		out = append(out, v)
	}
	return out
}

// checked is the value of the checked radio or checkbox with the name.
func (r *response) checked(name string) string {
	for _, n := range find(r.html(), named("input", name)) {
		if _, ok := attr(n, "checked"); ok {
			v, _ := attr(n, "value")
			return v
		}
	}
	return ""
}

// selected is the value of the selected option of the select with the name.
func (r *response) selected(name string) string {
	sels := find(r.html(), named("select", name))
	if len(sels) == 0 {
		return ""
	}
	for _, o := range find(sels[0], func(n *html.Node) bool { return n.Data == "option" }) {
		if _, ok := attr(o, "selected"); ok {
			v, _ := attr(o, "value")
			return v
		}
	}
	return ""
}

// textarea is the content of the textarea with the name, as typed.
func (r *response) textarea(name string) string {
	nodes := find(r.html(), named("textarea", name))
	if len(nodes) == 0 {
		return ""
	}
	var b strings.Builder
	for ch := nodes[0].FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.TextNode {
			b.WriteString(ch.Data)
		}
	}
	// The HTML parser drops one leading newline of a textarea; so does
	// the browser.
	return b.String()
}

// csrfToken is the value of the page's csrf_token hidden input.
func (r *response) csrfToken() string { return r.inputValue("csrf_token") }

// wantStatus fails the test unless the response has the status.
func wantStatus(t testing.TB, r *response, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Method, r.Path, r.Code, code, r.snippet())
	}
}

// wantRedirect fails the test unless the response is a 303 to location.
func wantRedirect(t testing.TB, r *response, location string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.location(); got != location {
		t.Fatalf("%s %s: redirects to %q, want %q", r.Method, r.Path, got, location)
	}
}

// wantText fails the test unless the page's text contains every phrase.
func wantText(t testing.TB, r *response, phrases ...string) {
	t.Helper()
	text := r.text()
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			t.Errorf("%s %s: page does not say %q\npage text: %s", r.Method, r.Path, p, text)
		}
	}
}

// wantNoBody fails the test if the raw body contains any of the strings.
func wantNoBody(t testing.TB, r *response, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(r.Body, s) {
			t.Errorf("%s %s: body contains %q, which it must not", r.Method, r.Path, s)
		}
	}
}

// wantFieldError fails the test unless one message beside a field inside
// the element with the id (the whole page when "") contains msg.
func wantFieldError(t testing.TB, r *response, id, msg string) {
	t.Helper()
	errs := r.fieldErrors(id)
	for _, e := range errs {
		if strings.Contains(e, msg) {
			return
		}
	}
	t.Errorf("%s %s: no field message %q in #%s; messages there: %q", r.Method, r.Path, msg, id, errs)
}

func isControl(n *html.Node) bool {
	switch n.Data {
	case "select", "textarea":
		return true
	case "input":
		typ, _ := attr(n, "type")
		return typ != "hidden"
	}
	return false
}

// messagesBeside returns the messages shown beside the form control(s)
// with the given names: the field-error elements right after the control
// (hints in between are skipped), or else those inside the smallest
// enclosing element that holds no control of another name (a radio
// group's fieldset, say). It returns nil when no such message exists.
func (r *response) messagesBeside(names ...string) []string {
	isOurs := func(n *html.Node) bool {
		v, _ := attr(n, "name")
		for _, name := range names {
			if v == name {
				return true
			}
		}
		return false
	}
	ctrls := find(r.html(), func(n *html.Node) bool { return isControl(n) && isOurs(n) })
	if len(ctrls) == 0 {
		return nil
	}
	var out []string
	for sib := ctrls[0].NextSibling; sib != nil; sib = sib.NextSibling {
		if sib.Type != html.ElementNode {
			continue
		}
		if hasClass(sib, "field-error") {
			out = append(out, textContent(sib))
			continue
		}
		if len(out) > 0 || !(hasClass(sib, "hint") || sib.Data == "datalist") {
			break
		}
	}
	if len(out) > 0 {
		return out
	}
	for anc := ctrls[0].Parent; anc != nil && anc.Data != "form"; anc = anc.Parent {
		if len(find(anc, func(n *html.Node) bool { return isControl(n) && !isOurs(n) })) > 0 {
			break
		}
		for _, n := range find(anc, func(n *html.Node) bool { return hasClass(n, "field-error") }) {
			out = append(out, textContent(n))
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// wantMessageBeside fails the test unless a message beside the named
// control(s) contains msg.
func wantMessageBeside(t testing.TB, r *response, msg string, names ...string) {
	t.Helper()
	got := r.messagesBeside(names...)
	for _, m := range got {
		if strings.Contains(m, msg) {
			return
		}
	}
	t.Errorf("%s %s: no message %q beside %q; beside it: %q; all field messages: %q",
		r.Method, r.Path, msg, names, got, r.fieldErrors(""))
}
