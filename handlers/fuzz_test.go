package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"concord/models"
)

// FuzzPositionForm posts arbitrary values in the position form of a
// delegate and checks that the server never fails (no 5xx), that a refused
// form writes nothing, and that an accepted one (303) stored exactly the
// valid positions it was given. The seed corpus runs with the normal tests;
// explore with
//
//	go test ./handlers -run '^$' -fuzz FuzzPositionForm -fuzztime 1m
func FuzzPositionForm(f *testing.F) {
	seeds := []struct {
		preferred, min, max, importance, option, answer, rationale string
	}{
		{"3", "2", "4", "high", "2", "A considered answer.", "Because."},
		{"", "", "", "", "", "", ""},
		{"1", "", "", "red line", "", "", ""},
		{"5", "5", "5", "low", "3", "", ""},
		{"6", "", "", "", "", "", ""},
		{"0", "0", "0", "", "0", "", ""},
		{"-1", "", "", "", "-3", "", ""},
		{"3", "4", "2", "medium", "", "", ""},
		{"three", "", "", "", "two", "", ""},
		{" 3 ", " 1", "5 ", " high ", " 1 ", "  padded  ", "  padded  "},
		{"99999999999999999999", "", "", "", "", "", ""},
		{"3", "", "", "critical", "", "", ""},
		{"", "", "", "high", "", "", ""},
		{"", "", "", "", "", "", "a rationale alone"},
		{"2", "", "", "", "4", strings.Repeat("x", 4001), strings.Repeat("y", 4001)},
		{"2", "", "", "", "", strings.Repeat("é", 4000), strings.Repeat("ü", 4000)},
		{"2", "", "", "", "1", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>"},
		{"2", "", "", "", "1", "line\r\nbreak", "=cmd|' /C calc'!A0"},
		{"\x00", "\x00", "", "\x00", "\x00", "\x00", "\x00"},
		{"3", "", "", "", "", "\xff\xfe", "\xc3\x28"},
	}
	for _, s := range seeds {
		f.Add(s.preferred, s.min, s.max, s.importance, s.option, s.answer, s.rationale)
	}

	app := newTestApp(f)
	cons := app.consultation("fuzz", models.StatusOpen,
		scaleQ("posture", 5), choiceQ("treaty", "Keep", "Suspend", "Void"), textQ("notes"))
	del := app.delegate("kadri", "EST")
	cl := app.login(del)
	csrf := cl.csrfToken()
	ctx := context.Background()
	qn, err := app.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		f.Fatal(err)
	}
	const path = "/consultations/fuzz/positions/EST"

	f.Fuzz(func(t *testing.T, preferred, min, max, importance, option, answer, rationale string) {
		// The harness reports through the test it was given; inside the
		// fuzz target that must be this iteration's t, never f.
		app.t, cl.t = t, t
		form := url.Values{"csrf_token": {csrf},
			"preferred.posture": {preferred}, "min.posture": {min}, "max.posture": {max},
			"importance.posture": {importance}, "rationale.posture": {rationale},
			"option.treaty": {option}, "rationale.treaty": {rationale},
			"answer.notes": {answer}}
		before := app.revisionCount(cons.ID, "")
		res := cl.post(path, form)
		after := app.revisionCount(cons.ID, "")
		switch {
		case res.Code >= 500:
			t.Fatalf("status %d for %q\n%s", res.Code, form, res.snippet())
		case res.Code == http.StatusSeeOther:
			if res.location() != path {
				t.Fatalf("redirect to %q", res.location())
			}
			if after-before > len(qn.Questions) {
				t.Fatalf("%d revisions from one form of %d questions", after-before, len(qn.Questions))
			}
			current, err := app.store.MemberPositions(ctx, cons.ID, cons.Round, app.member("EST").ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range qn.Questions {
				cur, ok := current[q.ID]
				if !ok {
					continue
				}
				r := cur.Revision
				in := models.PositionInput{QuestionKey: q.Key, Preferred: r.Preferred, AcceptMin: r.AcceptMin,
					AcceptMax: r.AcceptMax, Importance: r.Importance, Option: r.Choice, Answer: r.Answer, Rationale: r.Rationale}
				if msgs := app.store.Check(in, &q); msgs != nil {
					t.Fatalf("stored position on %s is invalid: %v (%+v)", q.Key, msgs, r)
				}
			}
			// What was given is what is stored (0 and blank both mean
			// "not answered").
			trim := strings.TrimSpace
			pref, _ := strconv.Atoi(trim(preferred))
			if pref != 0 {
				if got := current[qn.Questions[0].ID].Preferred; got != pref {
					t.Fatalf("preferred %q stored as %d", preferred, got)
				}
				rat := trim(strings.ReplaceAll(rationale, "\r\n", "\n"))
				if got := current[qn.Questions[0].ID].Rationale; got != rat {
					t.Fatalf("rationale %q stored as %q", rat, got)
				}
			}
			if opt, _ := strconv.Atoi(trim(option)); opt != 0 {
				if got := current[qn.Questions[1].ID].Choice; got != opt {
					t.Fatalf("option %q stored as %d", option, got)
				}
			}
			if a := trim(answer); a != "" {
				if got := current[qn.Questions[2].ID].Answer; got != a {
					t.Fatalf("answer %q stored as %q", a, got)
				}
			}
		case res.Code == http.StatusUnprocessableEntity:
			if after != before {
				t.Fatalf("a refused form wrote %d revisions", after-before)
			}
			// The form comes back with a message saying what to correct.
			if len(res.fieldErrors("")) == 0 && res.alert() == "" {
				t.Fatalf("422 without any message for %q", form)
			}
		default:
			t.Fatalf("unexpected status %d for %q\n%s", res.Code, form, res.snippet())
		}
	})
}
