package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"concord/consensus"
	"concord/handlers"
	"concord/handlers/api"
	"concord/models"
)

// apiErr is the JSON error body of the API.
type apiErr struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// apiToken creates an API token for u through the Store.
func (a *testApp) apiToken(u *testUser, expires string) (string, *models.APIToken) {
	a.t.Helper()
	token, tok, err := a.store.CreateAPIToken(context.Background(), u.ID, models.APITokenInput{Name: "test tool", Expires: expires})
	if err != nil {
		a.t.Fatalf("create API token for %s: %v", u.Username, err)
	}
	return token, tok
}

// apiCall sends an API request with a bearer token (none when token is
// ""), from a client without cookies unless one is given.
func (a *testApp) apiCall(token, method, path, body string) *response {
	a.t.Helper()
	return a.apiCallAs(a.anonymous(), token, method, path, body, nil)
}

func (a *testApp) apiCallAs(cl *client, token, method, path, body string, header http.Header) *response {
	a.t.Helper()
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if body != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	var r *strings.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	if r == nil {
		return cl.do(method, path, nil, h)
	}
	return cl.do(method, path, r, h)
}

// apiDecode decodes a JSON response, failing unless it is JSON.
func apiDecode(t testing.TB, r *response, v any) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want JSON\n%s", r.Method, r.Path, ct, r.snippet())
	}
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("%s %s: decode JSON: %v\n%s", r.Method, r.Path, err, r.snippet())
	}
}

// apiWantError checks the status and the JSON error code of a response
// and returns its error body.
func apiWantError(t testing.TB, r *response, status int, code string) apiErr {
	t.Helper()
	wantStatus(t, r, status)
	var e apiErr
	apiDecode(t, r, &e)
	if e.Error.Code != code {
		t.Errorf("%s %s: error code %q, want %q (%s)", r.Method, r.Path, e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Errorf("%s %s: error without a message", r.Method, r.Path)
	}
	return e
}

// apiFixture is an app with a consultation of every kind of question, a
// draft and a closed one, and one account per role.
type apiFixture struct {
	app                   *testApp
	open, draft, closed   *models.Consultation
	fac, obs, est, lva    *testUser
	facT, obsT, estT, lvT string
}

func newAPIFixture(t *testing.T, opts ...func(*handlers.Config)) *apiFixture {
	t.Helper()
	app := newTestApp(t, opts...)
	f := &apiFixture{app: app}
	f.open = app.consultation("review", models.StatusOpen, scaleQ("posture", 5),
		choiceQ("treaty", "Keep it", "Suspend it", "Void it"), textQ("notes"))
	f.draft = app.consultation("drafting", models.StatusDraft, scaleQ("later", 5))
	f.closed = app.consultation("finished", models.StatusClosed, scaleQ("past", 5))
	f.fac, f.obs = app.facilitator("fiona"), app.observer("oscar")
	f.est, f.lva = app.delegate("kadri", "EST"), app.delegate("janis", "LVA")
	f.facT, _ = app.apiToken(f.fac, "90")
	f.obsT, _ = app.apiToken(f.obs, "90")
	f.estT, _ = app.apiToken(f.est, "90")
	f.lvT, _ = app.apiToken(f.lva, "90")
	return f
}

func TestAPIAuthentication(t *testing.T) {
	tests := []struct {
		name   string
		header func(f *apiFixture) string // the Authorization header; "" sends none
		code   string                     // "" means 200
	}{
		{"valid token", func(f *apiFixture) string { return "Bearer " + f.estT }, ""},
		{"scheme in lower case", func(f *apiFixture) string { return "bearer " + f.estT }, ""},
		{"no header", func(f *apiFixture) string { return "" }, "unauthorized"},
		{"another scheme", func(f *apiFixture) string { return "Basic " + f.estT }, "unauthorized"},
		{"bearer without token", func(f *apiFixture) string { return "Bearer " }, "unauthorized"},
		{"token without scheme", func(f *apiFixture) string { return f.estT }, "unauthorized"},
		{"unknown token", func(f *apiFixture) string { return "Bearer " + models.APITokenPrefix + strings.Repeat("x", 43) }, "invalid_token"},
		{"truncated token", func(f *apiFixture) string { return "Bearer " + f.estT[:len(f.estT)-1] }, "invalid_token"},
		{"revoked token", func(f *apiFixture) string {
			tok, _ := f.app.apiToken(f.est, "90")
			list, err := f.app.store.APITokens(context.Background(), f.est.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.app.store.RevokeAPIToken(context.Background(), f.est.ID, list[0].ID); err != nil {
				t.Fatal(err)
			}
			return "Bearer " + tok
		}, "invalid_token"},
		{"expired token", func(f *apiFixture) string {
			tok, _ := f.app.apiToken(f.est, "30")
			f.app.clock.advance(31 * 24 * time.Hour)
			return "Bearer " + tok
		}, "invalid_token"},
		{"revoked account", func(f *apiFixture) string {
			if err := f.app.store.RevokeUser(context.Background(), f.est.ID, f.fac.ID); err != nil {
				t.Fatal(err)
			}
			return "Bearer " + f.estT
		}, "invalid_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			h := http.Header{}
			if v := tc.header(f); v != "" {
				h.Set("Authorization", v)
			}
			res := f.app.anonymous().do(http.MethodGet, "/api/v1/consultations", nil, h)
			if tc.code == "" {
				wantStatus(t, res, http.StatusOK)
				return
			}
			apiWantError(t, res, http.StatusUnauthorized, tc.code)
			if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
			}
		})
	}
}

// TestAPISessionCookieNotAccepted: a signed-in browser without a token is
// refused, and a bearer client that also carries a session cookie is
// served by its token alone (no form token needed).
func TestAPISessionCookieNotAccepted(t *testing.T) {
	f := newAPIFixture(t)
	browser := f.app.login(f.fac)
	res := f.app.apiCallAs(browser, "", http.MethodGet, "/api/v1/consultations", "", nil)
	apiWantError(t, res, http.StatusUnauthorized, "unauthorized")

	res = f.app.apiCallAs(browser, "", http.MethodPut, "/api/v1/consultations/review/positions",
		`{"member":"EST","positions":[{"question_key":"posture","preferred":3}]}`, nil)
	apiWantError(t, res, http.StatusUnauthorized, "unauthorized")

	// The delegate's token with the facilitator's cookie: the token decides.
	res = f.app.apiCallAs(browser, f.estT, http.MethodPut, "/api/v1/consultations/review/positions",
		`{"positions":[{"question_key":"posture","preferred":3}]}`, nil)
	wantStatus(t, res, http.StatusOK)
	revs := f.app.revisions(f.open.ID, "EST")
	if len(revs) != 1 || revs[0].SubmittedBy != f.est.ID || revs[0].Source != models.SourceAPI {
		t.Fatalf("revisions = %+v, want one by the delegate from the API", revs)
	}
}

// TestAPICrossSiteRefused: a page on another site cannot write through a
// browser, with or without a token, while a plain client can.
func TestAPICrossSiteRefused(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		cookie bool
		status int
	}{
		{"browser fetch from another site", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}, true, http.StatusForbidden},
		{"older browser from another site", http.Header{"Origin": {"https://evil.example"}}, true, http.StatusForbidden},
		{"cross-site without cookie", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}, false, http.StatusForbidden},
		{"same-origin browser", http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {"http://example.com"}}, true, http.StatusOK},
		{"command-line client", nil, false, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			cl := f.app.anonymous()
			if tc.cookie {
				cl = f.app.login(f.est)
			}
			res := f.app.apiCallAs(cl, f.estT, http.MethodPut, "/api/v1/consultations/review/positions",
				`{"positions":[{"question_key":"posture","preferred":4}]}`, tc.header)
			if tc.status != http.StatusOK {
				apiWantError(t, res, tc.status, "forbidden")
				if n := f.app.revisionCount(f.open.ID, ""); n != 0 {
					t.Errorf("%d revisions written by a refused request", n)
				}
				return
			}
			wantStatus(t, res, http.StatusOK)
			if n := f.app.revisionCount(f.open.ID, "EST"); n != 1 {
				t.Errorf("%d revisions, want 1", n)
			}
		})
	}
}

// apiRoutes lists the routes of the API's table, which must all be under
// /api/v1.
func apiRoutes(t *testing.T, h *handlers.Handler) []api.Route {
	t.Helper()
	out := h.API().Routes()
	for _, rt := range out {
		if !strings.HasPrefix(rt.Path, "/api/v1/") {
			t.Errorf("API route %s %s is not under /api/v1/", rt.Method, rt.Path)
		}
	}
	if len(out) < 6 {
		t.Fatalf("only %d API routes in the table", len(out))
	}
	return out
}

var routeParam = regexp.MustCompile(`[:*](\w+)`)

func fillPath(path string) string {
	return routeParam.ReplaceAllStringFunc(path, func(p string) string {
		switch p[1:] {
		case "key":
			return "review"
		case "file":
			return "questions.csv"
		}
		return "x"
	})
}

func TestAPIEveryRouteNeedsAToken(t *testing.T) {
	f := newAPIFixture(t)
	for _, rt := range apiRoutes(t, f.app.handler) {
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			body := ""
			if rt.Method == http.MethodPut {
				body = `{"positions":[{"question_key":"posture","preferred":3}]}`
			}
			res := f.app.apiCall("", rt.Method, fillPath(rt.Path), body)
			if rt.Path == "/api/v1/openapi.json" {
				wantStatus(t, res, http.StatusOK)
				return
			}
			if rt.Access != api.Bearer && rt.Access != api.BearerStaff {
				t.Errorf("access %q, want a bearer level", rt.Access)
			}
			apiWantError(t, res, http.StatusUnauthorized, "unauthorized")
		})
	}
	if n := f.app.revisionCount(f.open.ID, ""); n != 0 {
		t.Errorf("%d revisions written without a token", n)
	}
}

func TestAPIErrorsAreJSON(t *testing.T) {
	f := newAPIFixture(t)
	tests := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"unknown endpoint", http.MethodGet, "/api/v1/nothing-here", http.StatusNotFound, "not_found"},
		{"unknown version", http.MethodGet, "/api/v2/consultations", http.StatusNotFound, "not_found"},
		{"API root", http.MethodGet, "/api", http.StatusNotFound, "not_found"},
		{"unknown consultation", http.MethodGet, "/api/v1/consultations/nope", http.StatusNotFound, "not_found"},
		{"method not allowed", http.MethodDelete, "/api/v1/consultations/review/positions", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"post to a list", http.MethodPost, "/api/v1/consultations", http.StatusMethodNotAllowed, "method_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			apiWantError(t, f.app.apiCall(f.facT, tc.method, tc.path, ""), tc.status, tc.code)
		})
	}
	// Pages outside the API keep their HTML error page.
	res := f.app.anonymous().get("/no-such-page")
	wantStatus(t, res, http.StatusNotFound)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("page 404 Content-Type = %q, want HTML", ct)
	}
}

type apiConsultationJSON struct {
	Key                string     `json:"key"`
	Title              string     `json:"title"`
	Status             string     `json:"status"`
	Round              int        `json:"round"`
	Deadline           *time.Time `json:"deadline"`
	AcceptingPositions bool       `json:"accepting_positions"`
	Quorum             int        `json:"quorum"`
	Marking            string     `json:"marking"`
	Sections           []struct {
		Title     string `json:"title"`
		Questions []struct {
			Number    int      `json:"number"`
			Key       string   `json:"key"`
			Section   string   `json:"section"`
			Text      string   `json:"text"`
			Help      string   `json:"help"`
			Kind      string   `json:"kind"`
			Points    []string `json:"points"`
			StatusQuo *int     `json:"status_quo"`
			Options   []string `json:"options"`
		} `json:"questions"`
	} `json:"sections"`
}

func TestAPIListConsultations(t *testing.T) {
	tests := []struct {
		name  string
		token func(f *apiFixture) string
		want  []string
	}{
		{"delegate sees open and closed", func(f *apiFixture) string { return f.estT }, []string{"finished", "review"}},
		{"facilitator sees drafts too", func(f *apiFixture) string { return f.facT }, []string{"finished", "drafting", "review"}},
		{"observer sees drafts too", func(f *apiFixture) string { return f.obsT }, []string{"finished", "drafting", "review"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			res := f.app.apiCall(tc.token(f), http.MethodGet, "/api/v1/consultations", "")
			wantStatus(t, res, http.StatusOK)
			var body struct {
				Consultations []apiConsultationJSON `json:"consultations"`
			}
			apiDecode(t, res, &body)
			var got []string
			for _, c := range body.Consultations {
				got = append(got, c.Key)
				if (c.Key == "review") != c.AcceptingPositions {
					t.Errorf("%s: accepting_positions = %t", c.Key, c.AcceptingPositions)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("consultations = %v, want %v (newest first)", got, tc.want)
			}
		})
	}
}

func TestAPIGetConsultation(t *testing.T) {
	tests := []struct {
		name   string
		token  func(f *apiFixture) string
		key    string
		status int
	}{
		{"delegate reads an open consultation", func(f *apiFixture) string { return f.estT }, "review", http.StatusOK},
		{"delegate reads a closed consultation", func(f *apiFixture) string { return f.estT }, "finished", http.StatusOK},
		{"delegate cannot see a draft", func(f *apiFixture) string { return f.estT }, "drafting", http.StatusNotFound},
		{"facilitator reads a draft", func(f *apiFixture) string { return f.facT }, "drafting", http.StatusOK},
		{"observer reads a draft", func(f *apiFixture) string { return f.obsT }, "drafting", http.StatusOK},
		{"unknown key", func(f *apiFixture) string { return f.facT }, "no-such-thing", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			res := f.app.apiCall(tc.token(f), http.MethodGet, "/api/v1/consultations/"+tc.key, "")
			if tc.status != http.StatusOK {
				apiWantError(t, res, tc.status, "not_found")
				return
			}
			wantStatus(t, res, http.StatusOK)
			var c apiConsultationJSON
			apiDecode(t, res, &c)
			if c.Key != tc.key || c.Round != 1 || len(c.Sections) == 0 {
				t.Errorf("consultation = %+v", c)
			}
		})
	}

	// The questions, with every field.
	f := newAPIFixture(t)
	res := f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/review", "")
	var c apiConsultationJSON
	apiDecode(t, res, &c)
	var titles, keys []string
	for _, s := range c.Sections {
		titles = append(titles, s.Title)
		for _, q := range s.Questions {
			keys = append(keys, q.Key)
			if q.Section != s.Title || q.Text == "" || q.Points == nil || q.Options == nil {
				t.Errorf("question %+v", q)
			}
			switch q.Kind {
			case models.KindScale:
				if len(q.Points) != 5 || len(q.Options) != 0 {
					t.Errorf("scale question %s: points %v options %v", q.Key, q.Points, q.Options)
				}
			case models.KindChoice:
				if strings.Join(q.Options, "|") != "Keep it|Suspend it|Void it" || len(q.Points) != 0 || q.StatusQuo != nil {
					t.Errorf("choice question %s: %+v", q.Key, q)
				}
			}
		}
	}
	if strings.Join(titles, ",") != "Posture,Treaties,Remarks" || strings.Join(keys, ",") != "posture,treaty,notes" {
		t.Errorf("sections %v, questions %v", titles, keys)
	}
	var numbers []int
	for _, s := range c.Sections {
		for _, q := range s.Questions {
			numbers = append(numbers, q.Number)
		}
	}
	if fmt.Sprint(numbers) != "[1 2 3]" {
		t.Errorf("question numbers %v, want [1 2 3]", numbers)
	}
}

// TestAPIConsultationQuorumAndMarking: the consultation object carries the
// effective quorum (the roster of 32 by default) and the marking, in the
// list and alone.
func TestAPIConsultationQuorumAndMarking(t *testing.T) {
	tests := []struct {
		name        string
		quorum      string
		marking     string
		wantQuorum  int
		wantMarking string
	}{
		{"defaults: every member, no marking", "", "", 32, ""},
		{"a lower quorum and a marking", "29", "Restricted", 29, "Restricted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			err := f.app.store.UpdateConsultation(context.Background(), f.open.ID, models.ConsultationInput{
				Title: f.open.Title, Quorum: tc.quorum, Marking: tc.marking}, f.fac.ID)
			if err != nil {
				t.Fatal(err)
			}
			var one apiConsultationJSON
			apiDecode(t, f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/review", ""), &one)
			var list struct {
				Consultations []apiConsultationJSON `json:"consultations"`
			}
			apiDecode(t, f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations", ""), &list)
			got := []apiConsultationJSON{one}
			for _, c := range list.Consultations {
				if c.Key == "review" {
					got = append(got, c)
				}
			}
			if len(got) != 2 {
				t.Fatalf("review is not in the list: %+v", list)
			}
			for _, c := range got {
				if c.Quorum != tc.wantQuorum || c.Marking != tc.wantMarking {
					t.Errorf("quorum %d, marking %q; want %d and %q", c.Quorum, c.Marking, tc.wantQuorum, tc.wantMarking)
				}
			}
		})
	}
}

type apiPositionsJSON struct {
	Consultation string `json:"consultation"`
	Round        int    `json:"round"`
	Member       string `json:"member"`
	Positions    []struct {
		Member      string `json:"member"`
		QuestionKey string `json:"question_key"`
		Kind        string `json:"kind"`
		Preferred   int    `json:"preferred"`
		AcceptMin   int    `json:"acceptable_min"`
		AcceptMax   int    `json:"acceptable_max"`
		Importance  string `json:"importance"`
		Option      int    `json:"option"`
		Choice      string `json:"choice"`
		Accept      []int  `json:"acceptable_options"`
		Answer      string `json:"answer_text"`
		Rationale   string `json:"rationale"`
		Revision    int    `json:"revision"`
		SubmittedBy string `json:"submitted_by"`
		Source      string `json:"source"`
	} `json:"positions"`
}

func TestAPIGetPositions(t *testing.T) {
	tests := []struct {
		name        string
		token       func(f *apiFixture) string
		query       string
		status      int
		wantMember  string
		wantMembers string // member codes of the positions, in order
	}{
		{"delegate reads own member", func(f *apiFixture) string { return f.estT }, "", http.StatusOK, "EST", "EST,EST,EST"},
		{"delegate names own member", func(f *apiFixture) string { return f.estT }, "?member=est", http.StatusOK, "EST", "EST,EST,EST"},
		{"delegate asks for another member", func(f *apiFixture) string { return f.estT }, "?member=LVA", http.StatusForbidden, "", ""},
		{"other delegate reads own member", func(f *apiFixture) string { return f.lvT }, "", http.StatusOK, "LVA", "LVA"},
		{"facilitator reads one member", func(f *apiFixture) string { return f.facT }, "?member=LVA", http.StatusOK, "LVA", "LVA"},
		{"facilitator reads every member", func(f *apiFixture) string { return f.facT }, "", http.StatusOK, "", "EST,EST,EST,LVA"},
		{"observer reads every member", func(f *apiFixture) string { return f.obsT }, "", http.StatusOK, "", "EST,EST,EST,LVA"},
		{"observer reads one member", func(f *apiFixture) string { return f.obsT }, "?member=EST", http.StatusOK, "EST", "EST,EST,EST"},
		{"member without positions", func(f *apiFixture) string { return f.obsT }, "?member=POL", http.StatusOK, "POL", ""},
		{"unknown member", func(f *apiFixture) string { return f.facT }, "?member=XXX", http.StatusNotFound, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			f.app.submitPositions(f.open.ID, "EST", f.est.ID,
				models.PositionInput{QuestionKey: "posture", Preferred: 4, AcceptMin: 3, AcceptMax: 5, Importance: "red line", Rationale: "Deterrence."},
				models.PositionInput{QuestionKey: "treaty", Option: 2, AcceptOptions: []int{3}},
				models.PositionInput{QuestionKey: "notes", Answer: "A session on the Baltic."})
			f.app.submitPositions(f.open.ID, "LVA", f.lva.ID, models.PositionInput{QuestionKey: "posture", Preferred: 5},
				models.PositionInput{QuestionKey: "treaty", Option: 1})
			// A withdrawn answer is not a position.
			f.app.submitPositions(f.open.ID, "LVA", f.lva.ID, models.PositionInput{QuestionKey: "treaty", Withdrawn: true})
			res := f.app.apiCall(tc.token(f), http.MethodGet, "/api/v1/consultations/review/positions"+tc.query, "")
			switch tc.status {
			case http.StatusForbidden:
				apiWantError(t, res, tc.status, "forbidden")
				return
			case http.StatusNotFound:
				apiWantError(t, res, tc.status, "not_found")
				return
			}
			wantStatus(t, res, http.StatusOK)
			var body apiPositionsJSON
			apiDecode(t, res, &body)
			if body.Consultation != "review" || body.Round != 1 || body.Member != tc.wantMember {
				t.Errorf("consultation %q round %d member %q", body.Consultation, body.Round, body.Member)
			}
			var members []string
			for _, p := range body.Positions {
				members = append(members, p.Member)
				if p.Revision != 1 || p.Source != models.SourceForm || p.SubmittedBy == "" {
					t.Errorf("position %+v", p)
				}
				if p.Member != "EST" {
					continue
				}
				switch p.QuestionKey {
				case "posture":
					if p.Preferred != 4 || p.AcceptMin != 3 || p.AcceptMax != 5 || p.Importance != "red line" || p.Rationale != "Deterrence." || p.Option != 0 {
						t.Errorf("scale position %+v", p)
					}
				case "treaty":
					if p.Option != 2 || p.Choice != "Suspend it" || p.Preferred != 0 || fmt.Sprint(p.Accept) != "[2 3]" {
						t.Errorf("choice position %+v, want option 2 with options 2 and 3 acceptable", p)
					}
				case "notes":
					if p.Answer != "A session on the Baltic." || p.Kind != models.KindText {
						t.Errorf("text position %+v", p)
					}
				}
			}
			if got := strings.Join(members, ","); got != tc.wantMembers {
				t.Errorf("positions of %q, want %q", got, tc.wantMembers)
			}
		})
	}
}

func TestAPIPutPositions(t *testing.T) {
	f := newAPIFixture(t)
	body := `{"positions":[
		{"question_key":"posture","preferred":4,"acceptable_min":3,"importance":"high","rationale":"  Deterrence.  "},
		{"question_key":"treaty","choice":"suspend it"},
		{"question_key":"notes","answer_text":"A session\r\non the Baltic."}]}`
	res := f.app.apiCall(f.estT, http.MethodPut, "/api/v1/consultations/review/positions", body)
	wantStatus(t, res, http.StatusOK)
	var got struct{ Changed, Unchanged int }
	apiDecode(t, res, &got)
	if got.Changed != 3 || got.Unchanged != 0 {
		t.Fatalf("result %+v, want 3 changed", got)
	}
	revs := f.app.revisions(f.open.ID, "EST")
	byKey := map[string]models.RevisionRecord{}
	for _, r := range revs {
		byKey[r.QuestionKey] = r
		if r.Source != models.SourceAPI || r.SubmittedBy != f.est.ID {
			t.Errorf("revision %+v: want source api by the delegate", r.Revision)
		}
	}
	if r := byKey["posture"]; r.Preferred != 4 || r.AcceptMin != 3 || r.AcceptMax != 4 || r.Importance != "high" || r.Rationale != "Deterrence." {
		t.Errorf("scale revision %+v (acceptable_max defaults to preferred)", r.Revision)
	}
	if r := byKey["treaty"]; r.Choice != 2 {
		t.Errorf("choice revision %+v, want option 2", r.Revision)
	}
	if r := byKey["notes"]; r.Answer != "A session\non the Baltic." {
		t.Errorf("text revision %q", r.Answer)
	}
	if n := f.app.auditCount(models.AuditPosition); n != 3 {
		t.Errorf("%d position audit events, want 3", n)
	}

	// The same again changes nothing; a changed answer appends one revision.
	res = f.app.apiCall(f.estT, http.MethodPut, "/api/v1/consultations/review/positions",
		`{"member":"EST","positions":[{"question_key":"treaty","option":2},{"question_key":"posture","preferred":5,"acceptable_min":3,"acceptable_max":5}]}`)
	wantStatus(t, res, http.StatusOK)
	apiDecode(t, res, &got)
	if got.Changed != 1 || got.Unchanged != 1 {
		t.Errorf("result %+v, want 1 changed and 1 unchanged", got)
	}
	if n := f.app.revisionCount(f.open.ID, "EST"); n != 4 {
		t.Errorf("%d revisions, want 4", n)
	}

	if revs := f.app.revisions(f.open.ID, "EST"); revs[0].OnBehalf {
		t.Error("a delegate's own answer is recorded as entered on its behalf")
	}

	// A facilitator writes for a named member, on its behalf.
	res = f.app.apiCall(f.facT, http.MethodPut, "/api/v1/consultations/review/positions",
		`{"member":"lva","positions":[{"question_key":"posture","preferred":2}]}`)
	wantStatus(t, res, http.StatusOK)
	if revs := f.app.revisions(f.open.ID, "LVA"); len(revs) != 1 || revs[0].SubmittedBy != f.fac.ID || !revs[0].OnBehalf {
		t.Errorf("LVA revisions %+v, want one by the facilitator on LVA's behalf", revs)
	}
}

// TestAPIPutAcceptableOptionsAndWithdrawal: acceptable options are stored
// with the chosen option, read back as an array; "withdrawn": true appends
// a withdrawal, after which the question is absent from the positions;
// leaving withdrawn out changes nothing.
func TestAPIPutAcceptableOptionsAndWithdrawal(t *testing.T) {
	f := newAPIFixture(t)
	put := func(body string, changed, unchanged int) {
		t.Helper()
		res := f.app.apiCall(f.estT, http.MethodPut, "/api/v1/consultations/review/positions", body)
		wantStatus(t, res, http.StatusOK)
		var got struct{ Changed, Unchanged int }
		apiDecode(t, res, &got)
		if got.Changed != changed || got.Unchanged != unchanged {
			t.Errorf("PUT %s: %+v, want %d changed and %d unchanged", body, got, changed, unchanged)
		}
	}
	keys := func() map[string][]int {
		t.Helper()
		var body apiPositionsJSON
		apiDecode(t, f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/review/positions", ""), &body)
		out := map[string][]int{}
		for _, p := range body.Positions {
			out[p.QuestionKey] = p.Accept
		}
		return out
	}
	put(`{"positions":[{"question_key":"treaty","option":3,"acceptable_options":[1]},{"question_key":"posture","preferred":2}]}`, 2, 0)
	if r := f.app.revisions(f.open.ID, "EST"); r[0].AcceptOptions != "1 3" {
		t.Errorf("stored acceptable options %q, want \"1 3\"", r[0].AcceptOptions)
	}
	if got := keys(); fmt.Sprint(got["treaty"]) != "[1 3]" || got["posture"] != nil || len(got) != 2 {
		t.Errorf("positions %v, want treaty [1 3] and posture without acceptable options", got)
	}
	// The same options in another order, with the chosen one listed: no change.
	put(`{"positions":[{"question_key":"treaty","option":3,"acceptable_options":[3,1]}]}`, 0, 1)
	put(`{"positions":[{"question_key":"posture","withdrawn":true},{"question_key":"treaty","option":3,"acceptable_options":[1],"withdrawn":false}]}`, 1, 1)
	if got := keys(); len(got) != 1 || got["treaty"] == nil {
		t.Errorf("positions after withdrawing posture: %v, want treaty only", got)
	}
	// Withdrawing what is not there changes nothing.
	put(`{"positions":[{"question_key":"posture","withdrawn":true},{"question_key":"notes","withdrawn":true}]}`, 0, 2)
	revs := f.app.revisions(f.open.ID, "EST")
	if len(revs) != 3 || !revs[2].Withdrawn || revs[2].QuestionKey != "posture" {
		t.Errorf("history %+v, want the withdrawal of posture last of 3", revs)
	}
	// Answering again brings it back.
	put(`{"positions":[{"question_key":"posture","preferred":2}]}`, 1, 0)
	if got := keys(); len(got) != 2 {
		t.Errorf("positions after answering again: %v", got)
	}
}

func TestAPIPutPositionsValidation(t *testing.T) {
	tests := []struct {
		name   string
		token  string // "fac" or "" for the EST delegate
		body   string
		fields []string
	}{
		{"preferred out of range, after a valid position",
			"", `{"positions":[{"question_key":"notes","answer_text":"fine"},{"question_key":"posture","preferred":9}]}`,
			[]string{"positions[1].preferred"}},
		{"range around the wrong side",
			"", `{"positions":[{"question_key":"posture","preferred":3,"acceptable_min":4,"acceptable_max":2}]}`,
			[]string{"positions[0].acceptable_min", "positions[0].acceptable_max"}},
		{"unknown importance", "", `{"positions":[{"question_key":"posture","preferred":3,"importance":"vital"}]}`,
			[]string{"positions[0].importance"}},
		{"scale without a preferred point", "", `{"positions":[{"question_key":"posture","rationale":"why"}]}`,
			[]string{"positions[0].preferred"}},
		{"unknown question", "", `{"positions":[{"question_key":"posture","preferred":3},{"question_key":"nope","preferred":3}]}`,
			[]string{"positions[1].question_key"}},
		{"missing question key", "", `{"positions":[{"preferred":3}]}`, []string{"positions[0].question_key"}},
		{"null position", "", `{"positions":[null]}`, []string{"positions[0].question_key"}},
		{"position not an object", "", `{"positions":[3]}`, []string{"positions[0]"}},
		{"question answered twice", "", `{"positions":[{"question_key":"posture","preferred":3},{"question_key":"posture","preferred":4}]}`,
			[]string{"positions[1].question_key"}},
		{"field of another kind", "", `{"positions":[{"question_key":"treaty","option":1,"preferred":3}]}`,
			[]string{"positions[0].preferred"}},
		{"rationale on a text question", "", `{"positions":[{"question_key":"notes","answer_text":"x","rationale":"y"}]}`,
			[]string{"positions[0].rationale"}},
		{"option out of range", "", `{"positions":[{"question_key":"treaty","option":4}]}`, []string{"positions[0].option"}},
		{"unknown choice text", "", `{"positions":[{"question_key":"treaty","choice":"Tear it up"}]}`, []string{"positions[0].choice"}},
		{"option and choice disagree", "", `{"positions":[{"question_key":"treaty","option":1,"choice":"Void it"}]}`,
			[]string{"positions[0].choice"}},
		{"empty text answer", "", `{"positions":[{"question_key":"notes","answer_text":"   "}]}`, []string{"positions[0].answer_text"}},
		{"invalid UTF-8 in a rationale", "", "{\"positions\":[{\"question_key\":\"posture\",\"preferred\":3,\"rationale\":\"ok \xff\"}]}",
			[]string{"positions[0].rationale"}},
		{"a lone surrogate in a text answer", "", `{"positions":[{"question_key":"posture","preferred":3},{"question_key":"notes","answer_text":"x \ud800 y"}]}`,
			[]string{"positions[1].answer_text"}},
		{"text answer too long", "", `{"positions":[{"question_key":"notes","answer_text":"` + strings.Repeat("a", 4001) + `"}]}`,
			[]string{"positions[0].answer_text"}},
		{"number as a string", "", `{"positions":[{"question_key":"posture","preferred":"3"}]}`, []string{"positions[0].preferred"}},
		{"fraction", "", `{"positions":[{"question_key":"posture","preferred":3.5}]}`, []string{"positions[0].preferred"}},
		{"misspelt field", "", `{"positions":[{"question_key":"posture","prefered":3}]}`, []string{"positions[0].prefered"}},
		{"unknown top-level field", "", `{"positions":[{"question_key":"posture","preferred":3}],"round":2}`, []string{"round"}},
		{"positions not a list", "", `{"positions":{"question_key":"posture"}}`, []string{"positions"}},
		{"no positions", "", `{"positions":[]}`, []string{"positions"}},
		{"positions missing", "", `{}`, []string{"positions"}},
		{"several problems at once", "",
			`{"positions":[{"question_key":"posture","preferred":0},{"question_key":"treaty","option":7},{"question_key":"notes"}]}`,
			[]string{"positions[0].preferred", "positions[1].option", "positions[2].answer_text"}},
		{"acceptable option beyond the options", "", `{"positions":[{"question_key":"treaty","option":1,"acceptable_options":[4]}]}`,
			[]string{"positions[0].acceptable_options"}},
		{"acceptable option zero", "", `{"positions":[{"question_key":"treaty","option":1,"acceptable_options":[0]}]}`,
			[]string{"positions[0].acceptable_options"}},
		{"acceptable options not a list", "", `{"positions":[{"question_key":"treaty","option":1,"acceptable_options":"1 3"}]}`,
			[]string{"positions[0].acceptable_options"}},
		{"acceptable options not numbers", "", `{"positions":[{"question_key":"treaty","option":1,"acceptable_options":["Keep it"]}]}`,
			[]string{"positions[0].acceptable_options"}},
		{"acceptable options on a scale question", "", `{"positions":[{"question_key":"posture","preferred":3,"acceptable_options":[1]}]}`,
			[]string{"positions[0].acceptable_options"}},
		{"acceptable options without a choice", "", `{"positions":[{"question_key":"treaty","acceptable_options":[2]}]}`,
			[]string{"positions[0].option"}},
		{"withdrawn with an answer", "", `{"positions":[{"question_key":"posture","preferred":3,"withdrawn":true}]}`,
			[]string{"positions[0].withdrawn"}},
		{"withdrawn with importance alone", "", `{"positions":[{"question_key":"posture","importance":"high","withdrawn":true}]}`,
			[]string{"positions[0].withdrawn"}},
		{"withdrawn not a boolean", "", `{"positions":[{"question_key":"posture","withdrawn":"yes"}]}`,
			[]string{"positions[0].withdrawn"}},
		{"facilitator without a member", "fac", `{"positions":[{"question_key":"posture","preferred":3}]}`, []string{"member"}},
		{"facilitator with an unknown member", "fac", `{"member":"XXX","positions":[{"question_key":"posture","preferred":3}]}`, []string{"member"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			token := f.estT
			if tc.token == "fac" {
				token = f.facT
			}
			res := f.app.apiCall(token, http.MethodPut, "/api/v1/consultations/review/positions", tc.body)
			e := apiWantError(t, res, http.StatusUnprocessableEntity, "validation_failed")
			for _, field := range tc.fields {
				if e.Error.Fields[field] == "" {
					t.Errorf("no message for %s; fields %v", field, e.Error.Fields)
				}
			}
			if len(e.Error.Fields) != len(tc.fields) {
				t.Errorf("fields %v, want only %v", e.Error.Fields, tc.fields)
			}
			if n := f.app.revisionCount(f.open.ID, ""); n != 0 {
				t.Errorf("%d revisions written by a rejected request", n)
			}
			if n := f.app.auditCount(models.AuditPosition); n != 0 {
				t.Errorf("%d position events recorded for a rejected request", n)
			}
		})
	}
}

func TestAPIPutPositionsRefused(t *testing.T) {
	const good = `{"positions":[{"question_key":"posture","preferred":3}]}`
	tests := []struct {
		name        string
		token       func(f *apiFixture) string
		key         string
		body        string
		contentType string
		prepare     func(t *testing.T, f *apiFixture)
		status      int
		code        string
	}{
		{"observer", func(f *apiFixture) string { return f.obsT }, "review", `{"member":"EST","positions":[{"question_key":"posture","preferred":3}]}`, "", nil, http.StatusForbidden, "forbidden"},
		{"delegate for another member", func(f *apiFixture) string { return f.estT }, "review", `{"member":"LVA","positions":[{"question_key":"posture","preferred":3}]}`, "", nil, http.StatusForbidden, "forbidden"},
		{"closed consultation", func(f *apiFixture) string { return f.estT }, "finished", `{"positions":[{"question_key":"past","preferred":3}]}`, "", nil, http.StatusConflict, "consultation_closed"},
		{"deadline passed", func(f *apiFixture) string { return f.estT }, "review", good, "", func(t *testing.T, f *apiFixture) {
			deadline := f.app.clock.Now().Add(time.Hour).Format(models.DeadlineLayout)
			err := f.app.store.UpdateConsultation(context.Background(), f.open.ID, models.ConsultationInput{Key: "review",
				Title: f.open.Title, Description: f.open.Description, Deadline: deadline}, f.fac.ID)
			if err != nil {
				t.Fatal(err)
			}
			f.app.clock.advance(2 * time.Hour)
		}, http.StatusConflict, "consultation_closed"},
		{"draft, for a delegate", func(f *apiFixture) string { return f.estT }, "drafting", `{"positions":[{"question_key":"later","preferred":3}]}`, "", nil, http.StatusNotFound, "not_found"},
		{"draft, for a facilitator", func(f *apiFixture) string { return f.facT }, "drafting", `{"member":"EST","positions":[{"question_key":"later","preferred":3}]}`, "", nil, http.StatusConflict, "consultation_closed"},
		{"unknown consultation", func(f *apiFixture) string { return f.estT }, "nope", good, "", nil, http.StatusNotFound, "not_found"},
		{"not JSON", func(f *apiFixture) string { return f.estT }, "review", `{"positions":[`, "", nil, http.StatusBadRequest, "invalid_json"},
		{"JSON but not an object", func(f *apiFixture) string { return f.estT }, "review", `[1,2]`, "", nil, http.StatusBadRequest, "invalid_json"},
		{"trailing data", func(f *apiFixture) string { return f.estT }, "review", good + `{}`, "", nil, http.StatusBadRequest, "invalid_json"},
		{"empty body", func(f *apiFixture) string { return f.estT }, "review", " ", "", nil, http.StatusBadRequest, "invalid_json"},
		{"form encoding", func(f *apiFixture) string { return f.estT }, "review", "positions=1", "application/x-www-form-urlencoded", nil, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"body too large", func(f *apiFixture) string { return f.estT }, "review",
			`{"positions":[{"question_key":"notes","answer_text":"` + strings.Repeat("a", 3000) + `"}]}`, "", nil,
			http.StatusRequestEntityTooLarge, "body_too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t, func(cfg *handlers.Config) { cfg.MaxBodyBytes = 2048 })
			if tc.prepare != nil {
				tc.prepare(t, f)
			}
			var header http.Header
			if tc.contentType != "" {
				header = http.Header{"Content-Type": {tc.contentType}}
			}
			res := f.app.apiCallAs(f.app.anonymous(), tc.token(f), http.MethodPut, "/api/v1/consultations/"+tc.key+"/positions", tc.body, header)
			apiWantError(t, res, tc.status, tc.code)
			if n := f.app.revisionCount(f.open.ID, "") + f.app.revisionCount(f.draft.ID, "") + f.app.revisionCount(f.closed.ID, ""); n != 0 {
				t.Errorf("%d revisions written by a refused request", n)
			}
		})
	}
}

func TestAPIReport(t *testing.T) {
	tests := []struct {
		name   string
		token  func(f *apiFixture) string
		query  string
		status int
		code   string
	}{
		{"facilitator", func(f *apiFixture) string { return f.facT }, "", http.StatusOK, ""},
		{"observer", func(f *apiFixture) string { return f.obsT }, "", http.StatusOK, ""},
		{"observer, round 1 named", func(f *apiFixture) string { return f.obsT }, "?round=1", http.StatusOK, ""},
		{"delegate", func(f *apiFixture) string { return f.estT }, "", http.StatusForbidden, "forbidden"},
		{"round not yet reached", func(f *apiFixture) string { return f.facT }, "?round=2", http.StatusUnprocessableEntity, "validation_failed"},
		{"round not a number", func(f *apiFixture) string { return f.facT }, "?round=last", http.StatusUnprocessableEntity, "validation_failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			f.app.submitPositions(f.open.ID, "EST", f.est.ID, models.PositionInput{QuestionKey: "posture", Preferred: 4},
				models.PositionInput{QuestionKey: "treaty", Option: 1})
			f.app.submitPositions(f.open.ID, "LVA", f.lva.ID, models.PositionInput{QuestionKey: "posture", Preferred: 2})
			res := f.app.apiCall(tc.token(f), http.MethodGet, "/api/v1/consultations/review/report"+tc.query, "")
			if tc.status != http.StatusOK {
				apiWantError(t, res, tc.status, tc.code)
				return
			}
			wantStatus(t, res, http.StatusOK)
			var rep consensus.Report
			apiDecode(t, res, &rep)
			q, ok := rep.Question("posture")
			if rep.MembersTotal != 32 || !ok || q.Coverage.Responses != 2 || q.Scale == nil || q.Scale.Median != 3 {
				t.Errorf("report: members %d, posture %+v", rep.MembersTotal, q)
			}
			if c, ok := rep.Question("treaty"); !ok || c.Choice == nil || c.Choice.Options[0].Count != 1 {
				t.Errorf("choice report %+v", c)
			}
			// The consensus-rule fields are part of the JSON (their values
			// are the analysis's), and the quorum is the whole roster.
			var raw struct {
				Quorum    *int `json:"quorum"`
				Questions []map[string]json.RawMessage
			}
			apiDecode(t, res, &raw)
			if raw.Quorum == nil || *raw.Quorum != rep.Quorum {
				t.Errorf("report quorum %v", raw.Quorum)
			}
			for _, field := range []string{"number", "best_point", "accepting", "not_accepting", "holdouts", "quorate", "provisional", "verdict"} {
				if _, ok := raw.Questions[0][field]; !ok {
					t.Errorf("question report lacks %q", field)
				}
			}

			if n := f.app.auditCount(models.AuditExportDownload); n != 1 {
				t.Errorf("%d download events, want 1 (the report download is audited)", n)
			}
		})
	}
}

func TestAPIExport(t *testing.T) {
	tests := []struct {
		name   string
		token  func(f *apiFixture) string
		file   string
		status int
		code   string
		column string // a column the header must have
	}{
		{"questions for a facilitator", func(f *apiFixture) string { return f.facT }, "questions.csv", http.StatusOK, "", "question_key"},
		{"positions for an observer", func(f *apiFixture) string { return f.obsT }, "positions.csv", http.StatusOK, "", ""},
		{"history for an observer", func(f *apiFixture) string { return f.obsT }, "history.csv", http.StatusOK, "", ""},
		{"delegate", func(f *apiFixture) string { return f.estT }, "questions.csv", http.StatusForbidden, "forbidden", ""},
		{"unknown file", func(f *apiFixture) string { return f.facT }, "secrets.csv", http.StatusNotFound, "not_found", ""},
		{"rounds for a facilitator", func(f *apiFixture) string { return f.facT }, "rounds.csv", http.StatusOK, "", "unchanged_pct"},
		{"movement header only in round 1", func(f *apiFixture) string { return f.facT }, "movement.csv", http.StatusOK, "", ""},
		{"round 1 asked for", func(f *apiFixture) string { return f.facT }, "positions.csv?round=1", http.StatusOK, "", "round"},
		{"a round that does not exist", func(f *apiFixture) string { return f.facT }, "positions.csv?round=2", http.StatusUnprocessableEntity, "validation_failed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAPIFixture(t)
			f.app.submitPositions(f.open.ID, "EST", f.est.ID, models.PositionInput{QuestionKey: "posture", Preferred: 4, Rationale: "=HYPERLINK(\"x\")"})
			res := f.app.apiCall(tc.token(f), http.MethodGet, "/api/v1/consultations/review/exports/"+tc.file, "")
			if tc.status != http.StatusOK {
				apiWantError(t, res, tc.status, tc.code)
				return
			}
			wantStatus(t, res, http.StatusOK)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "review-"+strings.Split(tc.file, "?")[0]) {
				t.Errorf("Content-Disposition %q", cd)
			}
			if strings.HasPrefix(res.Body, "\xEF\xBB\xBF") {
				t.Error("API CSV starts with a byte-order mark")
			}
			rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
			if err != nil || len(rows) < 1 || (len(rows) < 2 && tc.file != "movement.csv") {
				t.Fatalf("CSV: %v, %d rows\n%s", err, len(rows), res.snippet())
			}
			if tc.column != "" && !strings.Contains(strings.Join(rows[0], ","), tc.column) {
				t.Errorf("header %v lacks %s", rows[0], tc.column)
			}
			if strings.Contains(res.Body, "\n=HYPERLINK") || strings.Contains(res.Body, ",=HYPERLINK") {
				t.Error("a formula reached the CSV unescaped")
			}
			if n := f.app.auditCount(models.AuditExportDownload); n != 1 {
				t.Errorf("%d download events, want 1", n)
			}
		})
	}
}

// TestAPITokenUse: use is recorded at most once a minute and audited at
// most once an hour per token.
func TestAPITokenUse(t *testing.T) {
	f := newAPIFixture(t)
	token, tok := f.app.apiToken(f.obs, "never")
	start := f.app.clock.Now()
	steps := []struct {
		name       string
		advance    time.Duration
		wantUsedAt time.Duration // after start
		wantEvents int
	}{
		{"first request", 0, 0, 1},
		{"ten seconds later", 10 * time.Second, 0, 1},
		{"two minutes later", 2 * time.Minute, 130 * time.Second, 1},
		{"an hour later", time.Hour, time.Hour + 130*time.Second, 2},
	}
	for _, st := range steps {
		f.app.clock.advance(st.advance)
		wantStatus(t, f.app.apiCall(token, http.MethodGet, "/api/v1/consultations", ""), http.StatusOK)
		list, err := f.app.store.APITokens(context.Background(), f.obs.ID)
		if err != nil {
			t.Fatal(err)
		}
		var used *time.Time
		for _, tk := range list {
			if tk.ID == tok.ID {
				used = tk.LastUsedAt
			}
		}
		if used == nil || !used.Equal(start.Add(st.wantUsedAt)) {
			t.Errorf("%s: last used %v, want %v", st.name, used, start.Add(st.wantUsedAt))
		}
		if n := f.app.auditCount(models.AuditAPITokenUsed); n != st.wantEvents {
			t.Errorf("%s: %d use events, want %d", st.name, n, st.wantEvents)
		}
	}
}

// TestOpenAPIDocument: the document is JSON, OpenAPI 3.1, and lists every
// API route of the table under its method.
func TestOpenAPIDocument(t *testing.T) {
	app := newTestApp(t)
	res := app.apiCall("", http.MethodGet, "/api/v1/openapi.json", "")
	wantStatus(t, res, http.StatusOK)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	apiDecode(t, res, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	routes := apiRoutes(t, app.handler)
	listed := 0
	for _, rt := range routes {
		path := routeParam.ReplaceAllString(rt.Path, "{$1}")
		op, ok := doc.Paths[path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s (%s) is not in the document", rt.Method, rt.Path, path)
			continue
		}
		listed++
		if _, ok := op["responses"]; !ok {
			t.Errorf("%s %s has no responses", rt.Method, path)
		}
	}
	// And nothing the router does not serve.
	ops := 0
	for _, methods := range doc.Paths {
		ops += len(methods)
	}
	if ops != listed {
		t.Errorf("the document has %d operations, the table %d API routes", ops, listed)
	}
}

func TestTokensPage(t *testing.T) {
	app := newTestApp(t)
	est := app.delegate("kadri", "EST")
	other := app.delegate("janis", "LVA")
	cl := app.login(est)

	page := cl.get("/account/tokens")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "You have no API tokens.")

	// Invalid: the form comes back with the values and a message.
	res := cl.submit("/account/tokens", url.Values{"name": {""}, "expires": {"30"}, "current": {est.Password}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantFieldError(t, res, "", "Give the token a name")
	if got := res.selected("expires"); got != "30" {
		t.Errorf("expires re-rendered as %q, want 30", got)
	}
	res = cl.submit("/account/tokens", url.Values{"name": {"exporter"}, "expires": {"forever"}, "current": {est.Password}})
	wantStatus(t, res, http.StatusUnprocessableEntity)
	wantFieldError(t, res, "", "Choose how long")
	if got := res.inputValue("name"); got != "exporter" {
		t.Errorf("name re-rendered as %q", got)
	}
	if n := app.auditCount(models.AuditAPITokenNew); n != 0 {
		t.Fatalf("%d tokens created by invalid forms", n)
	}

	// Without the form token: refused.
	wantStatus(t, cl.post("/account/tokens", url.Values{"name": {"x"}, "expires": {"30"}}), http.StatusForbidden)

	// Created: shown once, and it works.
	res = cl.submit("/account/tokens", url.Values{"name": {"nightly export"}, "expires": {"90"}, "current": {est.Password}})
	wantStatus(t, res, http.StatusCreated)
	token := res.textOf("new-token")
	if !strings.HasPrefix(token, models.APITokenPrefix) {
		t.Fatalf("no token shown: %q\n%s", token, res.snippet())
	}
	wantStatus(t, app.apiCall(token, http.MethodGet, "/api/v1/consultations", ""), http.StatusOK)
	if n := app.auditCount(models.AuditAPITokenNew); n != 1 {
		t.Errorf("%d creation events, want 1", n)
	}

	page = cl.get("/account/tokens")
	wantStatus(t, page, http.StatusOK)
	wantText(t, page, "nightly export", "active")
	wantNoBody(t, page, token, token[len(models.APITokenPrefix):])
	list, err := app.store.APITokens(context.Background(), est.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("tokens %v, %v", list, err)
	}
	if list[0].TokenHash == token || list[0].LastUsedAt == nil {
		t.Errorf("stored token %+v", list[0])
	}

	// Another user cannot revoke it; the owner can.
	otherCl := app.login(other)
	path := fmt.Sprintf("/account/tokens/%d/revoke", list[0].ID)
	wantStatus(t, otherCl.submit(path, nil), http.StatusNotFound)
	wantStatus(t, app.apiCall(token, http.MethodGet, "/api/v1/consultations", ""), http.StatusOK)
	wantStatus(t, cl.submit("/account/tokens/abc/revoke", nil), http.StatusNotFound)

	res = cl.submit(path, nil)
	wantRedirect(t, res, "/account/tokens")
	if !strings.Contains(res.flash(), "revoked") {
		t.Errorf("flash %q", res.flash())
	}
	apiWantError(t, app.apiCall(token, http.MethodGet, "/api/v1/consultations", ""), http.StatusUnauthorized, "invalid_token")
	page = cl.follow(res)
	wantText(t, page, "nightly export", "revoked")
	if n := app.auditCount(models.AuditAPITokenRevoked); n != 1 {
		t.Errorf("%d revocation events, want 1", n)
	}

	// Signed out: to the login page.
	res = app.anonymous().get("/account/tokens")
	wantStatus(t, res, http.StatusSeeOther)
	if !strings.HasPrefix(res.location(), "/login") {
		t.Errorf("anonymous visit redirects to %q", res.location())
	}
}

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(v any) []string {
	var out []string
	tp := reflect.TypeOf(v)
	for i := range tp.NumField() {
		name, _, _ := strings.Cut(tp.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// TestOpenAPIReportSchema: every field the report endpoint sends (the JSON
// of consensus.Report) is described in the document, so that the schema
// grows with the report.
func TestOpenAPIReportSchema(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	app := newTestApp(t)
	apiDecode(t, app.apiCall("", http.MethodGet, "/api/v1/openapi.json", ""), &doc)
	type schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Items      json.RawMessage            `json:"items"`
	}
	props := func(t *testing.T, raw json.RawMessage, path ...string) map[string]json.RawMessage {
		t.Helper()
		for _, step := range path {
			var s schema
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			if step == "[]" {
				raw = s.Items
			} else {
				raw = s.Properties[step]
			}
			if raw == nil {
				t.Fatalf("schema has no %v", path)
			}
		}
		var s schema
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		return s.Properties
	}
	tests := []struct {
		name   string
		schema string
		path   []string
		value  any
	}{
		{"report", "Report", nil, consensus.Report{}},
		{"question report", "QuestionReport", nil, consensus.QuestionReport{}},
		{"choice statistics", "QuestionReport", []string{"choice"}, consensus.ChoiceStats{}},
		{"option count", "QuestionReport", []string{"choice", "options", "[]"}, consensus.OptionCount{}},
		{"member profile", "Report", []string{"members", "[]"}, consensus.MemberProfile{}},
		{"member position", "Report", []string{"members", "[]", "positions", "[]"}, consensus.MemberPosition{}},
		{"trend", "QuestionReport", []string{"trend"}, consensus.Trend{}},
		{"movement", "QuestionReport", []string{"trend", "movement", "[]"}, consensus.Movement{}},
		{"member movement", "Report", []string{"members", "[]", "movement"}, consensus.MemberMovement{}},
		{"bloc movement", "Report", []string{"opinion_map", "blocs", "[]", "movement"}, consensus.BlocMovement{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := props(t, doc.Components.Schemas[tc.schema], tc.path...)
			for _, f := range jsonFields(tc.value) {
				if _, ok := got[f]; !ok {
					t.Errorf("%s %v: %q is not described", tc.schema, tc.path, f)
				}
			}
		})
	}
}
