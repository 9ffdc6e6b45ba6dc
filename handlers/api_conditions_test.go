package handlers_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"concord/consensus"
	"concord/models"
)

// apiPendingJSON is the part of a GET positions answer that carries
// conditions, approval states and pending drafts.
type apiPendingJSON struct {
	Round     int                  `json:"round"`
	Positions []apiConditionsJSON  `json:"positions"`
	Pending   *[]apiConditionsJSON `json:"pending"`
}

type apiConditionsJSON struct {
	Member        string `json:"member"`
	QuestionKey   string `json:"question_key"`
	Preferred     int    `json:"preferred"`
	Option        int    `json:"option"`
	Rationale     string `json:"rationale"`
	Conditions    string `json:"conditions"`
	Revision      int    `json:"revision"`
	Source        string `json:"source"`
	State         string `json:"state"`
	ReviewComment string `json:"review_comment"`
	Withdrawn     bool   `json:"withdrawn"`
}

// apiPut sends a PUT of positions and decodes a 200 answer.
func apiPut(t *testing.T, f *apiFixture, token, body string) (changed, unchanged int, state string) {
	t.Helper()
	res := f.app.apiCall(token, http.MethodPut, "/api/v1/consultations/review/positions", body)
	wantStatus(t, res, http.StatusOK)
	var got struct {
		Changed, Unchanged int
		State              *string `json:"state"`
	}
	apiDecode(t, res, &got)
	if got.State != nil {
		state = *got.State
		if state == "" {
			t.Errorf("PUT %s: an empty state is given rather than left out", body)
		}
	}
	return got.Changed, got.Unchanged, state
}

// apiGet reads positions and decodes the answer.
func apiGet(t *testing.T, f *apiFixture, token, query string) apiPendingJSON {
	t.Helper()
	res := f.app.apiCall(token, http.MethodGet, "/api/v1/consultations/review/positions"+query, "")
	wantStatus(t, res, http.StatusOK)
	var body apiPendingJSON
	apiDecode(t, res, &body)
	return body
}

// TestAPIConditions: conditions are saved and read back on scale and
// choice positions; a PUT describes the whole answer, so leaving
// conditions out clears them (as for the rationale); a text question
// takes none, and the Store's limit applies.
func TestAPIConditions(t *testing.T) {
	f := newAPIFixture(t)
	c, u, state := apiPut(t, f, f.estT, `{"positions":[
		{"question_key":"posture","preferred":4,"acceptable_min":3,"conditions":"  Provided the Act is suspended,\r\nnot terminated.  "},
		{"question_key":"treaty","option":2,"conditions":"Only for a year."},
		{"question_key":"notes","answer_text":"A session."}]}`)
	if c != 3 || u != 0 || state != "" {
		t.Errorf("PUT: %d changed, %d unchanged, state %q; want 3, 0 and no state (approval not required)", c, u, state)
	}
	got := map[string]string{}
	body := apiGet(t, f, f.estT, "")
	for _, p := range body.Positions {
		got[p.QuestionKey] = p.Conditions
		if p.State != "" {
			t.Errorf("%s: state %q where approval is not required", p.QuestionKey, p.State)
		}
	}
	want := map[string]string{"posture": "Provided the Act is suspended,\nnot terminated.", "treaty": "Only for a year.", "notes": ""}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: conditions %q, want %q", k, got[k], w)
		}
	}
	if body.Pending != nil {
		t.Errorf("pending %v where approval is not required: the answer must stay as it was", *body.Pending)
	}
	// The text question carries no conditions field at all.
	raw := f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/review/positions", "").Body
	if strings.Count(raw, `"conditions"`) != 2 {
		t.Errorf("want conditions on the two positions that have them only:\n%s", raw)
	}

	// Conditions alone changed: a new revision. Then left out: cleared.
	if c, u, _ := apiPut(t, f, f.estT, `{"positions":[{"question_key":"treaty","option":2,"conditions":"Only for two years."}]}`); c != 1 || u != 0 {
		t.Errorf("changed conditions: %d changed, %d unchanged; want 1, 0", c, u)
	}
	if c, _, _ := apiPut(t, f, f.estT, `{"positions":[{"question_key":"treaty","option":2}]}`); c != 1 {
		t.Errorf("conditions left out: %d changed, want 1 (they are cleared)", c)
	}
	for _, p := range apiGet(t, f, f.estT, "").Positions {
		if p.QuestionKey == "treaty" && (p.Conditions != "" || p.Revision != 3) {
			t.Errorf("treaty after leaving conditions out: %+v, want revision 3 without conditions", p)
		}
	}

	tests := []struct {
		name, body, field, message string
	}{
		{"text question", `{"positions":[{"question_key":"notes","answer_text":"x","conditions":"if"}]}`,
			"positions[0].conditions", "Does not apply to a text question"},
		{"too long", `{"positions":[{"question_key":"posture","preferred":3,"conditions":"` + strings.Repeat("é", models.MaxConditions+1) + `"}]}`,
			"positions[0].conditions", "at most 2000 characters"},
		{"not a string", `{"positions":[{"question_key":"posture","preferred":3,"conditions":4}]}`,
			"positions[0].conditions", "Must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.app.revisionCount(f.open.ID, "EST")
			e := apiWantError(t, f.app.apiCall(f.estT, http.MethodPut, "/api/v1/consultations/review/positions", tc.body),
				http.StatusUnprocessableEntity, "validation_failed")
			if msg := e.Error.Fields[tc.field]; !strings.Contains(msg, tc.message) {
				t.Errorf("fields %v: want %q at %s", e.Error.Fields, tc.message, tc.field)
			}
			if n := f.app.revisionCount(f.open.ID, "EST"); n != before {
				t.Errorf("%d revisions after a refused PUT, want %d", n, before)
			}
		})
	}
}

// TestAPIKeep: "keep": true confirms the previous round's answer. Refused
// in round 1 and beside any other value (at positions[i].keep); in round 2
// it copies the round-1 answer, conditions included; ?round=N reads an
// earlier round.
func TestAPIKeep(t *testing.T) {
	f := newAPIFixture(t)
	apiPut(t, f, f.estT, `{"positions":[{"question_key":"posture","preferred":4,"acceptable_min":3,"rationale":"Deterrence.","conditions":"If allies agree."},
		{"question_key":"treaty","option":1}]}`)
	refused := func(t *testing.T, body, field, message string) {
		t.Helper()
		before := f.app.revisionCount(f.open.ID, "EST")
		e := apiWantError(t, f.app.apiCall(f.estT, http.MethodPut, "/api/v1/consultations/review/positions", body),
			http.StatusUnprocessableEntity, "validation_failed")
		if msg := e.Error.Fields[field]; !strings.Contains(msg, message) {
			t.Errorf("fields %v: want %q at %s", e.Error.Fields, message, field)
		}
		if n := f.app.revisionCount(f.open.ID, "EST"); n != before {
			t.Errorf("%d revisions after a refused PUT, want %d", n, before)
		}
	}
	t.Run("round 1", func(t *testing.T) {
		refused(t, `{"positions":[{"question_key":"posture","keep":true}]}`, "positions[0].keep", "first round")
	})

	if _, err := f.app.store.OpenNextRound(context.Background(), f.open.ID, nil, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		name, body, field, message string
	}{
		{"keep beside a value", `{"positions":[{"question_key":"posture","keep":true,"preferred":2}]}`, "positions[0].keep", "not both"},
		{"keep beside a choice by its text", `{"positions":[{"question_key":"treaty","keep":true,"choice":"Void it"}]}`, "positions[0].keep", "not both"},
		{"keep and withdraw", `{"positions":[{"question_key":"posture","keep":true,"withdrawn":true}]}`, "positions[0].keep", "not both"},
		{"nothing to keep", `{"positions":[{"question_key":"posture","keep":true},{"question_key":"notes","keep":true}]}`,
			"positions[1].keep", "no answer from round 1"},
		{"not a boolean", `{"positions":[{"question_key":"posture","keep":"yes"}]}`, "positions[0].keep", "true or false"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) { refused(t, tc.body, tc.field, tc.message) })
	}

	if c, u, _ := apiPut(t, f, f.estT, `{"positions":[{"question_key":"posture","keep":true}]}`); c != 1 || u != 0 {
		t.Errorf("keep: %d changed, %d unchanged; want 1, 0", c, u)
	}
	body := apiGet(t, f, f.estT, "")
	if body.Round != 2 || len(body.Positions) != 1 {
		t.Fatalf("round 2: round %d, positions %+v; want posture alone (treaty not kept)", body.Round, body.Positions)
	}
	if p := body.Positions[0]; p.Preferred != 4 || p.Rationale != "Deterrence." || p.Conditions != "If allies agree." || p.Source != models.SourceAPI {
		t.Errorf("kept position %+v, want round 1's answer with its conditions, saved through the API", p)
	}
	if r1 := apiGet(t, f, f.estT, "?round=1"); r1.Round != 1 || len(r1.Positions) != 2 || r1.Pending != nil {
		t.Errorf("round 1: round %d, %d positions, pending %v; want both round-1 positions and no pending list", r1.Round, len(r1.Positions), r1.Pending)
	}
	apiWantError(t, f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/review/positions?round=3", ""),
		http.StatusUnprocessableEntity, "validation_failed")
}

// TestAPIApprovalDrafts: under national approval, a PUT by a delegate who
// is not the head of delegation saves drafts (state "draft"); GET gives the
// member's approved positions, and to those who may act for the member the
// pending drafts (with a returned draft's comment); the head of
// delegation's and a facilitator's saves are approved at once.
func TestAPIApprovalDrafts(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	if err := f.app.store.SetRequireApproval(ctx, f.open.ID, true, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	head := f.app.delegate("mari", "EST")
	if err := f.app.store.SetApprover(ctx, head.ID, true, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	headT, _ := f.app.apiToken(head, "90")

	if _, _, state := apiPut(t, f, f.estT, `{"positions":[{"question_key":"posture","preferred":2,"conditions":"If the Council meets."}]}`); state != models.StateDraft {
		t.Errorf("a delegate's save: state %q, want draft", state)
	}
	body := apiGet(t, f, f.estT, "")
	if len(body.Positions) != 0 || body.Pending == nil || len(*body.Pending) != 1 {
		t.Fatalf("after a draft: positions %+v, pending %v; want no position and one pending draft", body.Positions, body.Pending)
	}
	if d := (*body.Pending)[0]; d.QuestionKey != "posture" || d.State != models.StateDraft || d.Preferred != 2 || d.Conditions != "If the Council meets." {
		t.Errorf("pending draft %+v", d)
	}
	readers := []struct {
		name, token, query string
		wantPending        bool
	}{
		{"the drafter", f.estT, "", true},
		{"the head of delegation", headT, "", true},
		{"a facilitator naming the member", f.facT, "?member=EST", true},
		{"an observer naming the member", f.obsT, "?member=EST", false},
		{"a facilitator reading every member", f.facT, "", false},
	}
	for _, tc := range readers {
		t.Run(tc.name, func(t *testing.T) {
			b := apiGet(t, f, tc.token, tc.query)
			if len(b.Positions) != 0 {
				t.Errorf("positions %+v: a draft is not a position", b.Positions)
			}
			if got := b.Pending != nil && len(*b.Pending) == 1; got != tc.wantPending {
				t.Errorf("pending %v, want shown: %v", b.Pending, tc.wantPending)
			}
		})
	}

	// Returned with a comment: the drafter sees it.
	if _, err := f.app.store.Return(ctx, f.open.ID, f.app.member("EST").ID, nil, "Say which Council.", head.ID); err != nil {
		t.Fatal(err)
	}
	if b := apiGet(t, f, f.estT, ""); b.Pending == nil || len(*b.Pending) != 1 ||
		(*b.Pending)[0].State != models.StateReturned || (*b.Pending)[0].ReviewComment != "Say which Council." {
		t.Errorf("after a return: pending %v, want the returned draft with its comment", b.Pending)
	}

	// The head of delegation edits and approves in one step.
	if _, _, state := apiPut(t, f, headT, `{"positions":[{"question_key":"posture","preferred":3,"conditions":"If the NATO-Russia Council meets."}]}`); state != models.StateApproved {
		t.Errorf("the head of delegation's save: state %q, want approved", state)
	}
	b := apiGet(t, f, f.estT, "")
	if len(b.Positions) != 1 || b.Positions[0].State != models.StateApproved || b.Positions[0].Preferred != 3 ||
		b.Positions[0].Conditions != "If the NATO-Russia Council meets." {
		t.Errorf("after approval: positions %+v", b.Positions)
	}
	if b.Pending == nil || len(*b.Pending) != 0 {
		t.Errorf("after approval: pending %v, want an empty list", b.Pending)
	}
	// A facilitator's save is approved at once, on the member's behalf.
	if _, _, state := apiPut(t, f, f.facT, `{"member":"LVA","positions":[{"question_key":"posture","preferred":5}]}`); state != models.StateApproved {
		t.Errorf("a facilitator's save: state %q, want approved", state)
	}
}

// TestAPIExportAndReportCountApprovedOnly: under national approval a
// draft is in neither positions.csv nor the report (JSON and page) until
// it is approved; history.csv records it, with its state; once approved,
// the position and its conditions are in all of them.
func TestAPIExportAndReportCountApprovedOnly(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	if err := f.app.store.SetRequireApproval(ctx, f.open.ID, true, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	const cond = "Provided the Act is suspended, not terminated."
	apiPut(t, f, f.estT, `{"positions":[{"question_key":"posture","preferred":4,"acceptable_min":3,"conditions":"`+cond+`"}]}`)

	csvOf := func(t *testing.T, file string) []map[string]string {
		t.Helper()
		res := f.app.apiCall(f.facT, http.MethodGet, "/api/v1/consultations/review/exports/"+file, "")
		wantStatus(t, res, http.StatusOK)
		recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s: %v", file, err)
		}
		var out []map[string]string
		for _, rec := range recs[1:] {
			out = append(out, byHeader(recs[0], rec))
		}
		return out
	}
	responses := func(t *testing.T) int {
		t.Helper()
		var rep consensus.Report
		apiDecode(t, f.app.apiCall(f.facT, http.MethodGet, "/api/v1/consultations/review/report", ""), &rep)
		q, ok := rep.Question("posture")
		if !ok {
			t.Fatal("no posture in the report")
		}
		return q.Coverage.Responses
	}
	page := func(t *testing.T) string {
		t.Helper()
		res := f.app.login(f.fac).get("/consultations/review/report/questions/posture")
		wantStatus(t, res, http.StatusOK)
		return res.text()
	}

	if rows := csvOf(t, "positions.csv"); len(rows) != 0 {
		t.Errorf("positions.csv with a draft only: %v, want no line", rows)
	}
	if n := responses(t); n != 0 {
		t.Errorf("report: %d responses with a draft only, want 0", n)
	}
	if p := page(t); strings.Contains(p, cond) || !strings.Contains(p, "Too few answers to judge (0 of 32)") {
		t.Error("the report page shows a draft")
	}
	hist := csvOf(t, "history.csv")
	if len(hist) != 1 || hist[0]["state"] != models.StateDraft || hist[0]["conditions"] != cond {
		t.Errorf("history.csv %v, want the draft with its state and conditions", hist)
	}

	if _, err := f.app.store.Approve(ctx, f.open.ID, f.app.member("EST").ID, nil, f.fac.ID); err != nil {
		t.Fatal(err)
	}
	rows := csvOf(t, "positions.csv")
	if len(rows) != 1 || rows[0]["member_code"] != "EST" || rows[0]["preferred"] != "4" || rows[0]["conditions"] != cond {
		t.Errorf("positions.csv after approval: %v, want EST's position with its conditions", rows)
	}
	if n := responses(t); n != 1 {
		t.Errorf("report: %d responses after approval, want 1", n)
	}
	// EST accepts the best point (its own, 4): its conditions are listed
	// beside the verdict and in its voice.
	p := page(t)
	for _, want := range []string{"Conditions attached by members accepting the best point", "EST " + cond, "Conditions: " + cond} {
		if !strings.Contains(p, want) {
			t.Errorf("the report page lacks %q", want)
		}
	}
	hist = csvOf(t, "history.csv")
	if len(hist) != 2 || hist[1]["state"] != models.StateApproved || hist[1]["conditions"] != cond {
		t.Errorf("history.csv %v, want the draft then its approval", hist)
	}
}

// byHeader maps a CSV record by the header's column names.
func byHeader(header, rec []string) map[string]string {
	m := make(map[string]string, len(header))
	for i, h := range header {
		if i < len(rec) {
			m[h] = rec[i]
		}
	}
	return m
}

// TestOpenAPIPositionSchemas: the document describes conditions, keep,
// the approval state and the pending drafts where the API uses them.
func TestOpenAPIPositionSchemas(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	app := newTestApp(t)
	apiDecode(t, app.apiCall("", http.MethodGet, "/api/v1/openapi.json", ""), &doc)
	tests := []struct {
		schema string
		fields []string
	}{
		{"Position", []string{"conditions", "state", "review_comment", "withdrawn"}},
		{"Positions", []string{"pending", "round"}},
		{"PositionInput", []string{"conditions", "keep", "withdrawn"}},
		{"SubmitResult", []string{"changed", "unchanged", "state"}},
	}
	for _, tc := range tests {
		t.Run(tc.schema, func(t *testing.T) {
			props := doc.Components.Schemas[tc.schema].Properties
			for _, f := range tc.fields {
				if _, ok := props[f]; !ok {
					t.Errorf("%s does not describe %q", tc.schema, f)
				}
			}
		})
	}
}
