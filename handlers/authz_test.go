// The authorisation matrix: every route of the router's own tables (the
// web pages' and the API's), called by every kind of actor, must answer
// exactly the expected status. A route without an entry here fails the
// test, so no route ships unreviewed.
package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// The actors, in the order they call each route (the facilitator last, so
// that its successful changes do not alter what the others meet).
const (
	actAnon     = "anonymous"
	actRevoked  = "revoked account's old session"
	actDelB     = "delegate of member B"
	actObserver = "observer"
	actDelA     = "delegate of member A"
	actFac      = "facilitator"
)

var matrixActors = []string{actAnon, actRevoked, actDelB, actObserver, actDelA, actFac}

// Markers seeded into member A's positions; no answer to anyone but A's
// delegates and staff may contain them.
const (
	markerRationale = "MARKER-RATIONALE-OF-A-5f1c"
	markerChoice    = "MARKER-CHOICE-RATIONALE-OF-A-9b27"
	markerAnswer    = "MARKER-TEXT-ANSWER-OF-A-3d88"
)

// expect is the status each actor gets from one route.
type expect struct {
	anon, revoked, delB, observer, delA, fac int
}

func (e expect) of(actor string) int {
	return map[string]int{actAnon: e.anon, actRevoked: e.revoked, actDelB: e.delB,
		actObserver: e.observer, actDelA: e.delA, actFac: e.fac}[actor]
}

// Shorthands for common patterns. A 303 for anonymous and revoked callers
// of a page is the redirect to the sign-in page (checked separately).
func staffPage(ok int) expect    { return expect{303, 303, 403, ok, 403, ok} }
func facPage(ok int) expect      { return expect{303, 303, 403, 403, 403, ok} }
func facPost(ok int) expect      { return expect{401, 401, 403, 403, 403, ok} }
func memberPage(ok int) expect   { return expect{303, 303, 403, 403, ok, ok} }
func memberPost(ok int) expect   { return expect{401, 401, 403, 403, ok, ok} }
func signedInPage(ok int) expect { return expect{303, 303, ok, ok, ok, ok} }
func signedInPost(ok int) expect { return expect{401, 401, ok, ok, ok, ok} }
func everyone(code int) expect   { return expect{code, code, code, code, code, code} }
func apiAll(ok int) expect       { return expect{401, 401, ok, ok, ok, ok} }
func apiStaff(ok int) expect     { return expect{401, 401, 403, ok, 403, ok} }

// matrix holds the expectations, keyed "METHOD PATH" as in the route table.
var matrix = map[string]expect{
	"GET /healthz":        everyone(200),
	"GET /static/*file":   everyone(200),
	"GET /login":          {200, 200, 303, 303, 303, 303},
	"POST /login":         everyone(401), // wrong password for an unknown account
	"GET /invite/:token":  everyone(200),
	"POST /invite/:token": everyone(422), // empty account form
	"GET /":               everyone(303),
	"POST /logout":        signedInPost(303),

	"GET /dashboard": {303, 303, 200, 403, 200, 403},
	"GET /consultations/:key/positions/:member":         memberPage(200),
	"POST /consultations/:key/positions/:member":        memberPost(303),
	"GET /consultations/:key/positions/:member/history": memberPage(200),

	"GET /consultations":               staffPage(200),
	"GET /consultations/:key":          staffPage(200),
	"GET /consultations/:key/coverage": staffPage(200),

	"GET /consultations/:key/report":                 staffPage(200),
	"GET /consultations/:key/report.json":            staffPage(200),
	"GET /consultations/:key/report/questions/:qkey": staffPage(200),
	"GET /consultations/:key/report/heatmap":         staffPage(200),
	"GET /consultations/:key/report/map":             staffPage(200),
	"GET /consultations/:key/report/members/:code":   staffPage(200),
	"GET /consultations/:key/report/glossary":        staffPage(200),
	"GET /consultations/:key/report/print.css":       staffPage(200),
	"GET /consultations/:key/exports":                staffPage(200),
	"GET /consultations/:key/exports/:file":          staffPage(200),
	"GET /consultations/:key/definition.json":        staffPage(200),
	"GET /consultations/import":                      facPage(200),
	"POST /consultations/import":                     facPost(303),
	"GET /consultations/:key/positions/import":       facPage(200),
	"POST /consultations/:key/positions/import":      facPost(303),

	"GET /consultations/new":                facPage(200),
	"POST /consultations":                   facPost(303),
	"GET /consultations/:key/edit":          facPage(200),
	"POST /consultations/:key/edit":         facPost(303),
	"POST /consultations/:key/status":       facPost(303),
	"POST /consultations/:key/share":        facPost(303),
	"GET /consultations/:key/questions/new": facPage(200),
	"POST /consultations/:key/questions":    facPost(303),
	"GET /questions/:id/edit":               facPage(200),
	"POST /questions/:id/edit":              facPost(303),
	"POST /questions/:id/move":              facPost(303),
	"POST /questions/:id/delete":            facPost(303),
	"POST /sections/:id/move":               facPost(303),
	"POST /sections/:id/rename":             facPost(303),

	// Rounds: the matrix consultation is open, in round 1, which has no
	// previous round whose rationales could be shown.
	"POST /consultations/:key/rounds":                facPost(303),
	"GET /consultations/:key/rationales":             facPage(200),
	"POST /consultations/:key/rationales/feedback":   facPost(409),
	"POST /consultations/:key/rationales/visibility": facPost(409),

	"GET /accounts":                         facPage(200),
	"POST /accounts/invitations":            facPost(201),
	"POST /accounts/invitations/:id/revoke": facPost(303),
	"POST /accounts/users/:id/revoke":       facPost(303),
	"POST /accounts/users/:id/role":         facPost(303),
	"POST /accounts/users/:id/approver":     facPost(409), // the target is an observer: only a delegate can be marked
	"GET /audit":                            facPage(200),
	"GET /audit.csv":                        facPage(200),

	"GET /account/sessions":          signedInPage(200),
	"POST /account/sessions/end-all": signedInPost(303),
	// Another account's session: nobody may end it.
	"POST /account/sessions/:id/end": signedInPost(404),
	"GET /account/password":          signedInPage(200),
	"POST /account/password":         signedInPost(422), // empty form
	"GET /account/tokens":            signedInPage(200),
	"POST /account/tokens":           signedInPost(201),
	// Another account's token: nobody may revoke it.
	"POST /account/tokens/:id/revoke": signedInPost(404),

	// Drafts and the silence procedure: the matrix draft 1 has version 1
	// adopted and version 2 under a running procedure (:pid), so a second
	// circulation is refused; delegates reach a procedure through their
	// member's page.
	"GET /consultations/:key/drafts":                                     signedInPage(200),
	"POST /consultations/:key/drafts":                                    facPost(303),
	"GET /consultations/:key/drafts/:n":                                  signedInPage(200),
	"POST /consultations/:key/drafts/:n":                                 facPost(303),
	"GET /consultations/:key/drafts/:n/versions/:v":                      signedInPage(200),
	"POST /consultations/:key/drafts/:n/versions/:v/circulate":           facPost(409),
	"GET /consultations/:key/drafts/:n/compare":                          signedInPage(200),
	"GET /consultations/:key/drafts/:n/procedures/:pid":                  {303, 303, 303, 200, 303, 200},
	"POST /consultations/:key/drafts/:n/procedures/:pid/extend":          facPost(303),
	"POST /consultations/:key/drafts/:n/procedures/:pid/cancel":          facPost(303),
	"POST /consultations/:key/drafts/:n/procedures/:pid/share":           facPost(303),
	"POST /consultations/:key/drafts/:n/procedures/:pid/record":          facPost(303),
	"GET /consultations/:key/drafts/:n/procedures/:pid/members/:member":  {303, 303, 403, 200, 200, 200},
	"POST /consultations/:key/drafts/:n/procedures/:pid/members/:member": memberPost(303),
	"GET /consultations/:key/drafts/:n/adopted":                          signedInPage(200),
	"GET /consultations/:key/drafts/:n/adopted.pdf":                      signedInPage(200),
	"GET /consultations/:key/drafts/:n/adopted.md":                       signedInPage(200),
	"GET /consultations/:key/drafts/:n/print.css":                        signedInPage(200),

	"GET /api/v1/openapi.json":                     everyone(200),
	"GET /api/v1/consultations":                    apiAll(200),
	"GET /api/v1/consultations/:key":               apiAll(200),
	"GET /api/v1/consultations/:key/positions":     apiAll(200), // a delegate reads their own member's
	"PUT /api/v1/consultations/:key/positions":     {401, 401, 403, 403, 200, 200},
	"GET /api/v1/consultations/:key/report":        apiStaff(200),
	"GET /api/v1/consultations/:key/exports/:file": apiStaff(200),
	"POST /api/v1/consultations/:key/rounds":       {401, 401, 403, 403, 403, 201},
	// Drafts (matrixDraftAPI): delegates see the circulated draft, each
	// member's own actions only; member B's delegate may not act for A.
	"GET /api/v1/consultations/:key/drafts":                            apiAll(200),
	"GET /api/v1/consultations/:key/drafts/:n/versions/:v":             apiAll(200),
	"GET /api/v1/consultations/:key/drafts/:n/procedures/:id":          apiAll(200),
	"GET /api/v1/consultations/:key/drafts/:n/adopted.md":              apiAll(200),
	"POST /api/v1/consultations/:key/drafts/:n/procedures/:id/actions": {401, 401, 403, 403, 201, 201},
}

// matrixForms are the bodies of state-changing routes: valid requests,
// so that an allowed actor succeeds and a refusal is about access only.
var matrixForms = map[string]url.Values{
	"POST /login": url.Values{"username": {"nobody-at-all"}, "password": {"not a password of anyone"}},
	"POST /consultations/:key/positions/:member":                         url.Values{"preferred.posture": {"3"}, "rationale.posture": {"Moved."}},
	"POST /consultations":                                                url.Values{"key": {"created-in-matrix"}, "title": {"Created"}},
	"POST /consultations/:key/edit":                                      url.Values{"title": {"Edited title"}, "description": {"Edited."}},
	"POST /consultations/:key/status":                                    url.Values{"status": {"closed"}},
	"POST /consultations/:key/share":                                     url.Values{"share": {"on"}},
	"POST /consultations/:key/questions":                                 url.Values{"key": {"added"}, "section": {"Posture"}, "text": {"Added?"}, "kind": {"text"}},
	"POST /questions/:id/edit":                                           url.Values{"key": {"spare"}, "section": {"Posture"}, "text": {"Reworded?"}, "kind": {"text"}},
	"POST /questions/:id/move":                                           url.Values{"direction": {"up"}},
	"POST /sections/:id/move":                                            url.Values{"direction": {"down"}},
	"POST /sections/:id/rename":                                          url.Values{"title": {"Renamed"}},
	"POST /accounts/invitations":                                         url.Values{"role": {"observer"}},
	"POST /accounts/users/:id/role":                                      url.Values{"role": {"delegate"}, "member": {"LVA"}},
	"POST /accounts/users/:id/approver":                                  url.Values{"approver": {"on"}},
	"POST /consultations/:key/drafts":                                    url.Values{"title": {"Matrix text"}},
	"POST /consultations/:key/drafts/:n":                                 url.Values{"count": {"1"}, "p.1.order": {"1"}, "p.1.text": {"Rewritten."}},
	"POST /consultations/:key/drafts/:n/versions/:v/circulate":           url.Values{"deadline": {"2099-01-15T17:00"}, "confirm": {"on"}},
	"POST /consultations/:key/drafts/:n/procedures/:pid/extend":          url.Values{"deadline": {"2099-01-15T17:00"}},
	"POST /consultations/:key/drafts/:n/procedures/:pid/cancel":          url.Values{"reason": {"Overtaken by events."}},
	"POST /consultations/:key/drafts/:n/procedures/:pid/share":           url.Values{"share": {"on"}},
	"POST /consultations/:key/drafts/:n/procedures/:pid/record":          url.Values{"member": {"DEU"}, "action": {"confirmed"}, "text": {"Received by telegram."}},
	"POST /consultations/:key/drafts/:n/procedures/:pid/members/:member": url.Values{"action": {"footnote"}, "paragraph": {"1"}, "text": {"A national position."}},
	"POST /account/tokens":                                               url.Values{"name": {"matrix"}, "expires": {"30"}, "current": {testPassword}},
}

// matrixUploads are the files of upload forms (field "file").
var matrixUploads = map[string]struct{ name, content string }{
	"POST /consultations/import": {"definition.json", `{"key": "imported-in-matrix", "title": "Imported", "description": "From a file.",
		"questions": [{"key": "q1", "section": "Imported", "kind": "text", "text": "Anything?"}]}`},
	"POST /consultations/:key/positions/import": {"positions.csv",
		"member_code,question_key,preferred,acceptable_min,acceptable_max,importance,choice,answer_text,rationale\nDEU,posture,4,,,,,,Imported.\n"},
}

var matrixJSON = map[string]string{
	"PUT /api/v1/consultations/:key/positions": `{"member":"EST","positions":[{"question_key":"posture","preferred":2}]}`,
	"POST /api/v1/consultations/:key/rounds":   `{"deadline":null}`,
	// A footnote: member A may add one as often as it likes.
	"POST /api/v1/consultations/:key/drafts/:n/procedures/:id/actions": `{"member":"EST","action":"footnote","paragraph":1,"text":"Estonia's national position."}`,
}

// ownAccountRoutes change only the caller's own account; every other
// state-changing route must leave the data untouched for an observer.
var ownAccountRoutes = map[string]bool{
	"POST /login": true, "POST /logout": true, "POST /invite/:token": true,
	"POST /account/sessions/end-all": true, "POST /account/sessions/:id/end": true,
	"POST /account/password": true, "POST /account/tokens": true, "POST /account/tokens/:id/revoke": true,
}

// matrixWorld is the data every route is called against.
type matrixWorld struct {
	app      *testApp
	clients  map[string]*client
	tokens   map[string]string // API token per actor
	csrf     map[string]string
	params   map[string]string
	targetID uint
	ids      map[string]uint
}

func newMatrixWorld(t *testing.T) *matrixWorld {
	t.Helper()
	ctx := context.Background()
	app := newTestApp(t)
	w := &matrixWorld{app: app, clients: map[string]*client{}, tokens: map[string]string{}, csrf: map[string]string{}, ids: map[string]uint{}}
	cons := app.consultation("matrix", models.StatusOpen,
		scaleQ("posture", 5), textQ("notes"), choiceQ("treaty", "Keep", "Suspend", "Void"), scaleQ("spare", 5))
	users := map[string]*testUser{
		actFac:      app.facilitator("fac"),
		actObserver: app.observer("obs"),
		actDelA:     app.delegate("del-a", "EST"),
		actDelB:     app.delegate("del-b", "LVA"),
		actRevoked:  app.facilitator("gone"),
	}
	app.submitPositions(cons.ID, "EST", users[actDelA].ID,
		models.PositionInput{QuestionKey: "posture", Preferred: 2, Rationale: markerRationale},
		models.PositionInput{QuestionKey: "notes", Answer: markerAnswer},
		models.PositionInput{QuestionKey: "treaty", Option: 2, Rationale: markerChoice})
	app.submitPositions(cons.ID, "LVA", users[actDelB].ID,
		models.PositionInput{QuestionKey: "posture", Preferred: 5, Rationale: "Latvia's own reasons."})
	running := app.matrixDrafts(cons.ID) // moves the clock: before anyone signs in
	for actor, u := range users {
		w.clients[actor] = app.login(u)
		tok, _, err := app.store.CreateAPIToken(ctx, u.ID, models.APITokenInput{Name: "matrix " + actor, Expires: "30"})
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[actor] = tok
		if actor != actRevoked {
			w.csrf[actor] = w.clients[actor].csrfToken()
		}
	}
	w.clients[actAnon] = app.anonymous()
	if err := app.store.RevokeUser(ctx, users[actRevoked].ID, users[actFac].ID); err != nil {
		t.Fatal(err)
	}

	// Objects the :id routes act on, none of them an actor's own.
	target := app.observer("target")
	w.targetID = target.ID
	app.login(target)
	sessions, err := app.store.UserSessions(ctx, target.ID, app.cfg.Sessions)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("target sessions: %v %v", sessions, err)
	}
	w.ids["session"] = sessions[0].ID
	_, tok, err := app.store.CreateAPIToken(ctx, target.ID, models.APITokenInput{Name: "target", Expires: "30"})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["token"] = tok.ID
	_, inv, err := app.store.CreateInvitation(ctx, models.RoleDelegate, &app.member("DEU").ID, &users[actFac].ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w.ids["invitation"] = inv.ID
	invToken, _, err := app.store.CreateInvitation(ctx, models.RoleObserver, nil, &users[actFac].ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	qn, err := app.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qn.Questions {
		if q.Key == "spare" {
			w.ids["question"] = q.ID
			w.ids["section"] = q.SectionID
		}
	}
	css := ""
	for _, n := range find(app.anonymous().get("/login").html(), func(n *htmlNode) bool { return n.Data == "link" }) {
		if rel, _ := attr(n, "rel"); rel == "stylesheet" {
			css, _ = attr(n, "href")
		}
	}
	w.params = map[string]string{"key": "matrix", "member": "EST", "token": invToken, "file": "positions.csv",
		"qkey": "posture", "code": "EST", "n": "1", "v": "2", "pid": strconv.Itoa(int(running.ID)),
		"static": strings.TrimPrefix(css, "/static/")}
	matrixDraftAPI(w)
	return w
}

// matrixDraftAPI completes the matrix world's draft (see matrixDrafts:
// draft 1, version 1 adopted, version 2 under a running procedure) for the
// API's drafts routes: in the running procedure member A breaks silence on
// paragraph 1 and attaches a footnote to paragraph 2, both carrying A's
// markers, which member B's delegate must never see (objections are not
// shared). Sets the parameter id (the API's name of the procedure).
func matrixDraftAPI(w *matrixWorld) {
	t, app, ctx := w.app.t, w.app, context.Background()
	t.Helper()
	id, err := strconv.Atoi(w.params["pid"])
	if err != nil {
		t.Fatal(err)
	}
	est := app.member("EST").ID
	for _, in := range []models.ActionInput{
		{MemberID: est, Action: models.ActionBroke, Paragraph: 1, Text: "Objection: " + markerRationale},
		{MemberID: est, Action: models.ActionFootnote, Paragraph: 2, Text: "Footnote: " + markerAnswer},
	} {
		if _, err := app.store.Act(ctx, uint(id), in, app.authorID()); err != nil {
			t.Fatal(err)
		}
	}
	w.params["id"] = w.params["pid"]
}

// path fills a route pattern's parameters with this world's objects.
func (w *matrixWorld) path(pattern string) string {
	p := map[string]string{}
	for k, v := range w.params {
		p[k] = v
	}
	switch {
	case strings.HasPrefix(pattern, "/questions/"):
		p["id"] = strconv.Itoa(int(w.ids["question"]))
	case strings.HasPrefix(pattern, "/sections/"):
		p["id"] = strconv.Itoa(int(w.ids["section"]))
	case strings.HasPrefix(pattern, "/accounts/invitations/"):
		p["id"] = strconv.Itoa(int(w.ids["invitation"]))
	case strings.HasPrefix(pattern, "/accounts/users/"):
		p["id"] = strconv.Itoa(int(w.targetID))
	case strings.HasPrefix(pattern, "/account/sessions/"):
		p["id"] = strconv.Itoa(int(w.ids["session"]))
	case strings.HasPrefix(pattern, "/account/tokens/"):
		p["id"] = strconv.Itoa(int(w.ids["token"]))
	case strings.HasPrefix(pattern, "/static/"):
		p["file"] = w.params["static"]
	}
	return secPath(pattern, p)
}

// call makes one actor's request to a route.
func (w *matrixWorld) call(actor string, rt routeKey) *response {
	cl := w.clients[actor]
	path := w.path(rt.path)
	h := http.Header{}
	if tok := w.tokens[actor]; tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	var body io.Reader
	up, upload := matrixUploads[rt.key()]
	switch {
	case rt.method == http.MethodGet:
		return cl.do(rt.method, path, nil, h)
	case upload:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if tok := w.csrf[actor]; tok != "" {
			_ = mw.WriteField("csrf_token", tok) // writes to memory
		}
		fw, _ := mw.CreateFormFile("file", up.name)
		_, _ = io.WriteString(fw, up.content)
		_ = mw.Close()
		h.Set("Content-Type", mw.FormDataContentType())
		body = &buf
	case matrixJSON[rt.key()] != "":
		h.Set("Content-Type", "application/json")
		body = strings.NewReader(matrixJSON[rt.key()])
	default:
		form := url.Values{}
		for k, v := range matrixForms[rt.key()] {
			form[k] = v
		}
		if rt.key() == "POST /login" {
			// A username per actor, so that the throttle does not mix in.
			form.Set("username", "nobody-"+strconv.Itoa(slices.Index(matrixActors, actor)))
		}
		if tok := w.csrf[actor]; tok != "" {
			form.Set("csrf_token", tok)
		}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		body = strings.NewReader(form.Encode())
	}
	return cl.do(rt.method, path, body, h)
}

type routeKey struct{ method, path string }

func (r routeKey) key() string { return r.method + " " + r.path }

// fingerprint summarises the data an observer must never change.
func (w *matrixWorld) fingerprint(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	list, err := w.app.store.Consultations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		qn, err := w.app.store.Questionnaire(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "c %s %s %q %q %v %d;", c.Key, c.Status, c.Title, c.Description, c.ShareDistribution, len(w.app.revisions(c.ID, "")))
		for _, s := range qn.Sections {
			fmt.Fprintf(&b, "s %d %q %d;", s.ID, s.Title, s.Ord)
		}
		for _, q := range qn.Questions {
			fmt.Fprintf(&b, "q %s %q %s %d %d;", q.Key, q.Text, q.Kind, q.Ord, q.SectionID)
		}
	}
	users, err := w.app.store.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		member := uint(0)
		if u.MemberID != nil {
			member = *u.MemberID
		}
		fmt.Fprintf(&b, "u %s %s %d %v;", u.Username, u.Role, member, u.Active())
	}
	invs, err := w.app.store.Invitations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "i %d;", len(invs))
	return b.String()
}

func TestAuthorizationMatrix(t *testing.T) {
	probe := newTestApp(t)
	// Both route tables: the web pages' and the API's.
	var routes []routeKey
	for _, rt := range probe.handler.WebRoutes() {
		routes = append(routes, routeKey{rt.Method, rt.Path})
	}
	for _, rt := range probe.handler.API().Routes() {
		routes = append(routes, routeKey{rt.Method, rt.Path})
	}
	if n := len(probe.handler.API().Routes()); n < 7 {
		t.Fatalf("the API's table has %d routes; the matrix must cover it", n)
	}
	seen := map[string]bool{}
	var keys []routeKey
	for _, k := range routes {
		seen[k.key()] = true
		if _, ok := matrix[k.key()]; !ok {
			t.Errorf("route %s has no entry in the authorisation matrix: add the status each actor must get", k.key())
			continue
		}
		keys = append(keys, k)
	}
	var stale []string
	for k := range matrix {
		if !seen[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("the matrix lists %s, which is not a route any more", k)
	}

	for _, rt := range keys {
		t.Run(rt.key(), func(t *testing.T) {
			t.Parallel()
			w := newMatrixWorld(t)
			want := matrix[rt.key()]
			for _, actor := range matrixActors {
				before := ""
				if actor == actObserver && rt.method != http.MethodGet && !ownAccountRoutes[rt.key()] {
					before = w.fingerprint(t)
				}
				res := w.call(actor, rt)
				if res.Code != want.of(actor) {
					t.Errorf("%s: status %d, want %d\n%s", actor, res.Code, want.of(actor), res.snippet())
				}
				if (actor == actAnon || actor == actRevoked) && res.Code == http.StatusSeeOther &&
					!strings.HasPrefix(rt.path, "/login") && rt.path != "/invite/:token" {
					if loc := res.location(); !strings.HasPrefix(loc, "/login") {
						t.Errorf("%s: redirected to %q, want the sign-in page", actor, loc)
					}
				}
				if actor == actAnon || actor == actRevoked || actor == actDelB {
					wantNoBody(t, res, markerRationale, markerChoice, markerAnswer)
				}
				if before != "" {
					if after := w.fingerprint(t); after != before {
						t.Errorf("the observer changed data through %s:\nbefore %s\nafter  %s", rt.key(), before, after)
					}
				}
			}
		})
	}
}

// TestDelegateSeesOnlyOwnMember calls every GET route as the delegate of
// member B with B's own code in the address: the pages they may see must
// never carry member A's rationale or answers.
func TestDelegateSeesOnlyOwnMember(t *testing.T) {
	w := newMatrixWorld(t)
	w.params["member"] = "LVA"
	// A closed consultation whose distribution is shared with delegates.
	w.app.setStatus(w.app.secConsultation("matrix").ID, models.StatusClosed)
	fac := w.clients[actFac]
	wantRedirect(t, fac.submit("/consultations/matrix/share", url.Values{"share": {"on"}}), "/consultations/matrix")
	checked := 0
	for _, rt := range w.app.handler.Routes() {
		if rt.Method != http.MethodGet {
			continue
		}
		res := w.call(actDelB, routeKey{rt.Method, rt.Path})
		if res.Code >= 500 {
			t.Errorf("GET %s: status %d", rt.Path, res.Code)
		}
		if res.Code == http.StatusOK {
			checked++
		}
		wantNoBody(t, res, markerRationale, markerChoice, markerAnswer)
	}
	if checked < 8 {
		t.Fatalf("only %d pages answered 200 to the delegate", checked)
	}
}
