package models

import (
	"context"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/schema"
)

// The hot paths read and write some rows with hand-written SQL and scan
// them field by field. These tests keep that SQL in step with the models:
// a column added to a model and not to the statement fails here.

// modelColumns lists the database columns of a model, as gorm maps them.
func modelColumns(t *testing.T, model any) []string {
	t.Helper()
	sch, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(sch.DBNames)
	slices.Sort(out)
	return out
}

// selectedColumns lists the columns a SELECT statement reads of the table
// with the given alias (alias.column in the list before FROM).
func selectedColumns(query, alias string) []string {
	list := query[:strings.Index(query, "FROM")]
	var out []string
	for _, m := range regexp.MustCompile(`\b`+alias+`\.(\w+)`).FindAllStringSubmatch(list, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func TestSessionQueryColumns(t *testing.T) {
	for _, tc := range []struct {
		alias string
		model any
	}{{"s", &Session{}}, {"u", &User{}}, {"m", &Member{}}} {
		if got, want := selectedColumns(sessionQuery, tc.alias), modelColumns(t, tc.model); !slices.Equal(got, want) {
			t.Errorf("sessionQuery reads %s.%v, the model has %v", tc.alias, got, want)
		}
	}
}

// TestSessionWithUserMatchesGorm checks that the one-statement read gives
// what gorm reads of the same rows: accounts with and without a member,
// an approver, a revoked account.
func TestSessionWithUserMatchesGorm(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	revoked, err := f.s.CreateUser(ctx, NewUser{Username: "gone", Name: "Gone Away", Role: RoleDelegate,
		Password: fixtureDelPassword, MemberID: &f.lva.ID})
	if err != nil {
		t.Fatal(err)
	}
	at := f.now.Add(-time.Hour)
	if err := f.s.w.Model(&User{}).Where("id = ?", revoked.ID).
		Updates(map[string]any{"approver": true, "revoked_at": at}).Error; err != nil {
		t.Fatal(err)
	}
	for _, u := range []*User{f.facilitator, f.delegate, revoked} {
		t.Run(u.Username, func(t *testing.T) {
			tok, created := f.session(t, u)
			sess, got, err := f.s.sessionWithUser(ctx, HashToken(tok))
			if err != nil {
				t.Fatal(err)
			}
			var wantSess Session
			if err := f.s.r.First(&wantSess, created.ID).Error; err != nil {
				t.Fatal(err)
			}
			var want User
			if err := f.s.r.Preload("Member").First(&want, u.ID).Error; err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*sess, wantSess) {
				t.Errorf("session = %+v, want %+v", *sess, wantSess)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("user = %+v (member %+v), want %+v (member %+v)", *got, got.Member, want, want.Member)
			}
		})
	}
	if _, _, err := f.s.sessionWithUser(ctx, HashToken("no such token")); err != ErrNotFound {
		t.Errorf("unknown token: err = %v, want ErrNotFound", err)
	}
}

func TestRevisionColumns(t *testing.T) {
	if got, want := selectedColumns(revisionColumns+" FROM", "r"), modelColumns(t, &Revision{}); !slices.Equal(got, want) {
		t.Errorf("revisionColumns reads %v, the model has %v", got, want)
	}
}

// TestScanRevisionsMatchesGorm checks the field-by-field scan against gorm's
// reading of the same revisions: every field set, a reviewed one included.
func TestScanRevisionsMatchesGorm(t *testing.T) {
	f := newAccountsFixture(t)
	reviewer := f.facilitator.ID
	at := time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)
	base := Revision{ConsultationID: 0, Round: 2, MemberID: f.est.ID, Seq: 1, Preferred: 4, AcceptMin: 2,
		AcceptMax: 5, Importance: ImportanceHigh, Choice: 3, AcceptOptions: "1 3", Answer: "an answer",
		Rationale: "because", Conditions: "only if", Withdrawn: true, OnBehalf: true, SubmittedBy: f.delegate.ID,
		SubmittedAt: at, Source: "form", State: StateReturned, ReviewComment: "not yet", ReviewedBy: &reviewer}
	ctx := context.Background()
	c, err := f.s.CreateConsultation(ctx, ConsultationInput{Key: "scan", Title: "Scan"}, f.facilitator.ID)
	if err != nil {
		t.Fatal(err)
	}
	var questions []uint
	for _, key := range []string{"one", "two"} {
		q, err := f.s.CreateQuestion(ctx, c.ID, QuestionInput{Key: key, Section: "S", Text: "Text?", Kind: "scale",
			Labels: []string{"a", "b", "c", "d", "e"}}, f.facilitator.ID)
		if err != nil {
			t.Fatal(err)
		}
		questions = append(questions, q.ID)
	}
	base.ConsultationID = c.ID
	plain := base
	plain.ReviewedBy, plain.State, plain.ReviewComment, plain.QuestionID = nil, "", "", questions[1]
	base.QuestionID = questions[0]
	for _, r := range []*Revision{&base, &plain} {
		if err := f.s.w.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	var want []Revision
	if err := f.s.r.Order("id").Find(&want, "consultation_id = ?", c.ID).Error; err != nil {
		t.Fatal(err)
	}
	var got []Revision
	err = scanRevisions(f.s.r.Raw(`SELECT `+revisionColumns+` FROM revisions r WHERE r.consultation_id = ? ORDER BY r.id`, c.ID),
		func(r *Revision) { got = append(got, *r) })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scanned %+v\nwant    %+v", got, want)
	}
}
