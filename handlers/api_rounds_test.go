package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"concord/models"
)

// roundOpened is the answer of POST /api/v1/consultations/{key}/rounds.
type roundOpened struct {
	Consultation struct {
		Key      string     `json:"key"`
		Status   string     `json:"status"`
		Round    int        `json:"round"`
		Deadline *time.Time `json:"deadline"`
		Sections []struct {
			Questions []struct {
				Key string `json:"key"`
			} `json:"questions"`
		} `json:"sections"`
	} `json:"consultation"`
	Round struct {
		Number   int        `json:"number"`
		OpenedAt time.Time  `json:"opened_at"`
		ClosedAt *time.Time `json:"closed_at"`
		Deadline *time.Time `json:"deadline"`
	} `json:"round"`
}

// TestAPIOpenRoundRefused: only a facilitator's token opens a round; a
// draft, a bad body or a bad deadline is refused with the usual JSON
// errors, and nothing changes.
func TestAPIOpenRoundRefused(t *testing.T) {
	f := newAPIFixture(t)
	past := f.app.clock.Now().Add(-time.Minute).Format(time.RFC3339)
	tests := []struct {
		name   string
		token  func(f *apiFixture) string
		key    string
		body   string
		header http.Header
		status int
		code   string
		field  string // the field named in the error, if any
	}{
		{"delegate", func(f *apiFixture) string { return f.estT }, "review", "", nil, http.StatusForbidden, "forbidden", ""},
		{"observer", func(f *apiFixture) string { return f.obsT }, "review", "", nil, http.StatusForbidden, "forbidden", ""},
		{"delegate on a draft it cannot see", func(f *apiFixture) string { return f.estT }, "drafting", "", nil, http.StatusForbidden, "forbidden", ""},
		{"unknown consultation", func(f *apiFixture) string { return f.facT }, "nowhere", "", nil, http.StatusNotFound, "not_found", ""},
		{"draft", func(f *apiFixture) string { return f.facT }, "drafting", "", nil, http.StatusConflict, "conflict", ""},
		{"deadline not RFC 3339", func(f *apiFixture) string { return f.facT }, "review", `{"deadline":"2026-12-15 17:00"}`, nil, http.StatusUnprocessableEntity, "validation_failed", "deadline"},
		{"deadline in the past", func(f *apiFixture) string { return f.facT }, "review", `{"deadline":"` + past + `"}`, nil, http.StatusUnprocessableEntity, "validation_failed", "deadline"},
		{"deadline of the wrong type", func(f *apiFixture) string { return f.facT }, "review", `{"deadline":20261215}`, nil, http.StatusUnprocessableEntity, "validation_failed", "deadline"},
		{"unknown field", func(f *apiFixture) string { return f.facT }, "review", `{"deadline":null,"round":3}`, nil, http.StatusUnprocessableEntity, "validation_failed", "round"},
		{"not JSON", func(f *apiFixture) string { return f.facT }, "review", `deadline=`, nil, http.StatusBadRequest, "invalid_json", ""},
		{"not sent as JSON", func(f *apiFixture) string { return f.facT }, "review", `{}`, http.Header{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := f.app.in(t)
			res := app.apiCallAs(app.anonymous(), tc.token(f), http.MethodPost, "/api/v1/consultations/"+tc.key+"/rounds", tc.body, tc.header)
			e := apiWantError(t, res, tc.status, tc.code)
			if tc.field != "" && e.Error.Fields[tc.field] == "" {
				t.Errorf("no message for %q in %v", tc.field, e.Error.Fields)
			}
		})
	}
	for _, c := range []*models.Consultation{f.open, f.draft} {
		if got := f.app.reload(c.ID); got.Round != 1 || got.Status != c.Status {
			t.Errorf("%s after refusals: round %d, status %s", c.Key, got.Round, got.Status)
		}
	}
	if n := f.app.auditCount(models.AuditRoundOpened); n != 0 {
		t.Errorf("%d rounds opened by refused requests", n)
	}
}

// TestAPIOpenRound: a facilitator's token opens round 2 without a body
// and round 3 with a deadline; the answer is the consultation as GET
// shows it and the new round; a closed consultation is open again in its
// new round; later saves go into the new round.
func TestAPIOpenRound(t *testing.T) {
	f := newAPIFixture(t)
	now := f.app.clock.Now()

	res := f.app.apiCall(f.facT, http.MethodPost, "/api/v1/consultations/review/rounds", "")
	wantStatus(t, res, http.StatusCreated)
	var got roundOpened
	apiDecode(t, res, &got)
	c := got.Consultation
	if c.Key != "review" || c.Round != 2 || c.Status != models.StatusOpen || c.Deadline != nil {
		t.Errorf("consultation %+v, want review in round 2, open, without a deadline", c)
	}
	if len(c.Sections) == 0 || len(c.Sections[0].Questions) == 0 {
		t.Errorf("the consultation comes without its questions: %+v", c)
	}
	if r := got.Round; r.Number != 2 || !r.OpenedAt.Equal(now) || r.ClosedAt != nil || r.Deadline != nil {
		t.Errorf("round %+v, want 2 opened at %v, not closed, no deadline", r, now)
	}

	deadline := now.Add(7 * 24 * time.Hour)
	res = f.app.apiCall(f.facT, http.MethodPost, "/api/v1/consultations/review/rounds", `{"deadline":"`+deadline.Format(time.RFC3339)+`"}`)
	wantStatus(t, res, http.StatusCreated)
	got = roundOpened{}
	apiDecode(t, res, &got)
	if got.Round.Number != 3 || got.Round.Deadline == nil || !got.Round.Deadline.Equal(deadline) ||
		got.Consultation.Deadline == nil || !got.Consultation.Deadline.Equal(deadline) {
		t.Errorf("round 3: %+v, consultation deadline %v; want the deadline %v on both", got.Round, got.Consultation.Deadline, deadline)
	}
	if n := f.app.auditCount(models.AuditRoundOpened); n != 2 {
		t.Errorf("%d round.opened events, want 2", n)
	}
	if !strings.Contains(f.app.auditEvents(models.AuditRoundOpened)[0].Detail, "round 3 opened") {
		t.Errorf("latest event %+v", f.app.auditEvents(models.AuditRoundOpened)[0])
	}

	// GET shows the same consultation.
	var again struct {
		Round int `json:"round"`
	}
	apiDecode(t, f.app.apiCall(f.estT, http.MethodGet, "/api/v1/consultations/review", ""), &again)
	if again.Round != 3 {
		t.Errorf("GET shows round %d, want 3", again.Round)
	}

	// A delegate's save now goes into round 3; round 1 stays empty.
	wantStatus(t, f.app.apiCall(f.estT, http.MethodPut, "/api/v1/consultations/review/positions",
		`{"positions":[{"question_key":"posture","preferred":2}]}`), http.StatusOK)
	if p := f.app.positionOf(f.open.ID, 3, "EST", "posture"); p == nil || p.Preferred != 2 {
		t.Errorf("round-3 position %+v, want preferred 2", p)
	}
	if p := f.app.positionOf(f.open.ID, 1, "EST", "posture"); p != nil {
		t.Errorf("a round-1 position was written after round 3 opened: %+v", p)
	}

	// A closed consultation opens again in its next round.
	res = f.app.apiCall(f.facT, http.MethodPost, "/api/v1/consultations/finished/rounds", `{"deadline":null}`)
	wantStatus(t, res, http.StatusCreated)
	got = roundOpened{}
	apiDecode(t, res, &got)
	if got.Consultation.Status != models.StatusOpen || got.Consultation.Round != 2 {
		t.Errorf("closed consultation after opening a round: %+v", got.Consultation)
	}
}
