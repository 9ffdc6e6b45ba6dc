package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/models"
)

// consultationBody is a consultation as the API shows it.
type consultationBody struct {
	Key                string     `json:"key"`
	Title              string     `json:"title"`
	Description        string     `json:"description"`
	Status             string     `json:"status"`
	Round              int        `json:"round"`
	Deadline           *time.Time `json:"deadline"`
	AcceptingPositions bool       `json:"accepting_positions"`
	// Quorum is the effective quorum: how many responses make a
	// question's verdict speak for the alliance (the whole roster unless
	// the facilitator set a lower number).
	Quorum int `json:"quorum"`
	// Marking is the classification marking of the reports ("" for none).
	Marking   string        `json:"marking"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	Sections  []sectionBody `json:"sections,omitempty"`
}

type sectionBody struct {
	Title     string         `json:"title"`
	Questions []questionBody `json:"questions"`
}

type questionBody struct {
	Number    int      `json:"number"` // stable questionnaire number: 1 for Q1
	Key       string   `json:"key"`
	Section   string   `json:"section"`
	Text      string   `json:"text"`
	Help      string   `json:"help"`
	Kind      string   `json:"kind"`
	Points    []string `json:"points"`
	StatusQuo *int     `json:"status_quo"`
	Options   []string `json:"options"`
}

// consultationOf is the API view of a consultation; roster is the
// number of members, against which the quorum is taken.
func (a *API) consultationOf(cons *models.Consultation, roster int) consultationBody {
	out := consultationBody{Key: cons.Key, Title: cons.Title, Description: cons.Description, Status: cons.Status,
		Round: cons.Round, AcceptingPositions: cons.AcceptsPositions(a.store.Now()),
		Quorum: cons.EffectiveQuorum(roster), Marking: cons.Marking,
		CreatedAt: cons.CreatedAt.UTC(), UpdatedAt: cons.UpdatedAt.UTC()}
	if cons.Deadline != nil {
		d := cons.Deadline.UTC()
		out.Deadline = &d
	}
	return out
}

func questionOf(q *models.Question, section string) questionBody {
	out := questionBody{Number: q.Number, Key: q.Key, Section: section, Text: q.Text, Help: q.Help, Kind: q.Kind,
		Points: q.Points(), Options: q.Choices()}
	if out.Points == nil {
		out.Points = []string{}
	}
	if out.Options == nil {
		out.Options = []string{}
	}
	if q.Kind == models.KindScale && q.StatusQuo > 0 {
		sq := q.StatusQuo
		out.StatusQuo = &sq
	}
	return out
}

// visible loads the consultation of the URL; one the account may not see
// (access.CanSeeConsultation: a draft, for a delegate) is reported as not
// found.
func (a *API) visible(c *gin.Context, u *models.User) (*models.Consultation, bool) {
	cons, err := a.store.ConsultationByKey(c.Request.Context(), c.Param("key"))
	if err == nil && !access.CanSeeConsultation(u, cons) {
		err = models.ErrNotFound
	}
	if errors.Is(err, models.ErrNotFound) {
		Error(c, http.StatusNotFound, "", fmt.Sprintf("There is no consultation with the key %q.", c.Param("key")), nil)
		return nil, false
	}
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return cons, true
}

// listConsultations: GET /api/v1/consultations.
func (a *API) listConsultations(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	all, err := a.store.Consultations(c.Request.Context())
	if err != nil {
		a.fail(c, err)
		return
	}
	list := slices.DeleteFunc(all, func(cons models.Consultation) bool { return !access.CanSeeConsultation(u, &cons) })
	members, err := a.store.Members(c.Request.Context())
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]consultationBody, 0, len(list))
	for i := range list {
		out = append(out, a.consultationOf(&list[i], len(members)))
	}
	c.JSON(http.StatusOK, gin.H{"consultations": out})
}

// getConsultation: GET /api/v1/consultations/:key, with its sections
// and questions in order.
func (a *API) getConsultation(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	cons, ok := a.visible(c, u)
	if !ok {
		return
	}
	out, err := a.consultationDetail(c.Request.Context(), cons)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// consultationDetail is the API view of a consultation with its sections
// and questions in order, as GET /api/v1/consultations/:key answers.
func (a *API) consultationDetail(ctx context.Context, cons *models.Consultation) (consultationBody, error) {
	qn, err := a.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		return consultationBody{}, err
	}
	members, err := a.store.Members(ctx)
	if err != nil {
		return consultationBody{}, err
	}
	out := a.consultationOf(cons, len(members))
	out.Sections = []sectionBody{}
	for _, g := range qn.BySection(false) {
		sec := sectionBody{Title: g.Section.Title, Questions: make([]questionBody, 0, len(g.Questions))}
		for i := range g.Questions {
			sec.Questions = append(sec.Questions, questionOf(&g.Questions[i], g.Section.Title))
		}
		out.Sections = append(out.Sections, sec)
	}
	return out, nil
}
