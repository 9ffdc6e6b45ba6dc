package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/models"
)

// maxOptions is the number of option rows the question form offers.
const maxOptions = 10

// questionView prepares a question form: it pads labels and options with
// empty rows so a facilitator can add points or options, except once
// members have answered the question, when their number is fixed.
func (h *Handler) questionView(c *gin.Context, cons *models.Consultation, f models.QuestionInput, q *models.Question) (gin.H, error) {
	ctx := c.Request.Context()
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		return nil, err
	}
	var sections []string
	for _, s := range qn.Sections {
		sections = append(sections, s.Title)
	}
	answered := false
	if q != nil {
		n, err := h.store.AnswerCount(ctx, q.ID)
		if err != nil {
			return nil, err
		}
		answered = n > 0
	}
	labels := append([]string{}, f.Labels...)
	options := append([]string{}, f.Options...)
	for !answered && len(labels) < models.MaxScalePoints {
		labels = append(labels, "")
	}
	for !answered && len(options) < maxOptions {
		options = append(options, "")
	}
	return gin.H{"Consultation": cons, "Form": f, "Labels": labels, "Options": options, "Sections": sections,
		"Question": q, "Answered": answered}, nil
}

// questionForm renders the question form, with the messages of a
// rejected save when errs is given.
func (h *Handler) questionForm(c *gin.Context, status int, title string, cons *models.Consultation,
	f models.QuestionInput, q *models.Question, errs map[string]string) {
	d, err := h.questionView(c, cons, f, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.pageErrors(c, status, "question_form", title, d, errs)
}

func (h *Handler) newQuestion(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	f := models.QuestionInput{Kind: models.KindScale, Section: c.Query("section")}
	h.questionForm(c, http.StatusOK, "New question", cons, f, nil, nil)
}

func (h *Handler) bindQuestion(c *gin.Context) (models.QuestionInput, bool) {
	var f models.QuestionInput
	if !h.parseForm(c) {
		return f, false
	}
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return f, false
	}
	return f, true
}

func (h *Handler) createQuestion(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	f, ok := h.bindQuestion(c)
	if !ok {
		return
	}
	_, err := h.store.CreateQuestion(c.Request.Context(), cons.ID, f, currentUser(c).ID)
	if fields := formErrors(err); fields != nil {
		h.questionForm(c, http.StatusUnprocessableEntity, "New question", cons, f, nil, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, "Question added.")
}

// question loads the question named in the URL and its consultation.
func (h *Handler) question(c *gin.Context) (*models.Question, *models.Consultation, bool) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return nil, nil, false
	}
	ctx := c.Request.Context()
	q, err := h.store.QuestionByID(ctx, id)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	cons, err := h.store.ConsultationByID(ctx, q.ConsultationID)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	return q, cons, true
}

func (h *Handler) editQuestion(c *gin.Context) {
	q, cons, ok := h.question(c)
	if !ok {
		return
	}
	section, err := h.store.SectionTitle(c.Request.Context(), q.SectionID)
	if err != nil {
		h.fail(c, err)
		return
	}
	f := models.QuestionInput{Key: q.Key, Section: section, Text: q.Text, Help: q.Help, Kind: q.Kind,
		Labels: q.Points(), Options: q.Choices(), StatusQuo: q.StatusQuo}
	h.questionForm(c, http.StatusOK, "Edit question", cons, f, q, nil)
}

func (h *Handler) updateQuestion(c *gin.Context) {
	q, cons, ok := h.question(c)
	if !ok {
		return
	}
	f, ok := h.bindQuestion(c)
	if !ok {
		return
	}
	err := h.store.UpdateQuestion(c.Request.Context(), q.ID, f, currentUser(c).ID)
	if fields := formErrors(err); fields != nil {
		h.questionForm(c, http.StatusUnprocessableEntity, "Edit question", cons, f, q, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, "Question saved.")
}

func (h *Handler) moveQuestion(c *gin.Context) {
	q, cons, ok := h.question(c)
	if !ok || !h.parseForm(c) {
		return
	}
	if err := h.store.MoveQuestion(c.Request.Context(), q.ID, c.PostForm("direction") == "up"); err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key+"#q-"+q.Key, "")
}

func (h *Handler) deleteQuestion(c *gin.Context) {
	q, cons, ok := h.question(c)
	if !ok {
		return
	}
	if err := h.store.DeleteQuestion(c.Request.Context(), q.ID, currentUser(c).ID); err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, "Question deleted.")
}

func (h *Handler) section(c *gin.Context) (*models.Section, *models.Consultation, bool) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return nil, nil, false
	}
	ctx := c.Request.Context()
	sec, err := h.store.SectionByID(ctx, id)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	cons, err := h.store.ConsultationByID(ctx, sec.ConsultationID)
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	return sec, cons, true
}

func (h *Handler) moveSection(c *gin.Context) {
	sec, cons, ok := h.section(c)
	if !ok || !h.parseForm(c) {
		return
	}
	if err := h.store.MoveSection(c.Request.Context(), sec.ID, c.PostForm("direction") == "up"); err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, "")
}

func (h *Handler) renameSection(c *gin.Context) {
	sec, cons, ok := h.section(c)
	if !ok || !h.parseForm(c) {
		return
	}
	err := h.store.RenameSection(c.Request.Context(), sec.ID, c.PostForm("title"), currentUser(c).ID)
	if fields := formErrors(err); fields != nil {
		h.redirect(c, "/consultations/"+cons.Key, "The section was not renamed: "+fields["title"])
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, "Section renamed.")
}
