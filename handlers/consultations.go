package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/models"
)

// consultation loads the consultation named in the URL, answering 404.
func (h *Handler) consultation(c *gin.Context) (*models.Consultation, bool) {
	cons, err := h.store.ConsultationByKey(c.Request.Context(), c.Param("key"))
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return cons, true
}

func (h *Handler) listConsultations(c *gin.Context) {
	list, err := h.store.Consultations(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, http.StatusOK, "consultations", "Consultations", gin.H{"Consultations": list})
}

func (h *Handler) showConsultation(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	h.consultationPage(c, cons, http.StatusOK, roundForm{}, nil)
}

// consultationPage renders a consultation's page: its questions and, for
// facilitators, its status, rounds and settings. The form that opens the
// next round comes back with what was typed and a message per field when
// errs is not nil.
func (h *Handler) consultationPage(c *gin.Context, cons *models.Consultation, status int, round roundForm, errs map[string]string) {
	ctx := c.Request.Context()
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	counts, err := h.store.AnsweredCounts(ctx, cons.ID, cons.Round)
	if err != nil {
		h.fail(c, err)
		return
	}
	members, err := h.store.Members(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	rounds, err := h.store.Rounds(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.pageErrors(c, status, "consultation", cons.Title, gin.H{
		"Consultation": cons, "Sections": qn.BySection(true), "QuestionCount": len(qn.Questions),
		"Responding": len(counts), "Members": members, "Now": h.store.Now(),
		"Rounds": rounds, "RoundForm": round,
	}, errs)
}

func (h *Handler) newConsultation(c *gin.Context) {
	h.consultationForm(c, http.StatusOK, "New consultation", gin.H{"Form": models.ConsultationInput{}, "New": true, "RequireApproval": false}, nil)
}

// consultationForm renders the create/edit form with the roster size the
// quorum field is checked against.
func (h *Handler) consultationForm(c *gin.Context, status int, title string, data gin.H, fields map[string]string) {
	members, err := h.store.Members(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	data["Roster"] = len(members)
	if fields != nil {
		h.pageErrors(c, status, "consultation_form", title, data, fields)
		return
	}
	h.page(c, status, "consultation_form", title, data)
}

func (h *Handler) createConsultation(c *gin.Context) {
	if !h.parseForm(c) {
		return
	}
	var f models.ConsultationInput
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	f.RequireApproval = requireApproval(c)
	approval := f.RequireApproval
	by := currentUser(c).ID
	cons, err := h.store.CreateConsultation(c.Request.Context(), f, by)
	if fields := formErrors(err); fields != nil {
		h.consultationForm(c, http.StatusUnprocessableEntity, "New consultation", gin.H{"Form": f, "New": true, "RequireApproval": approval}, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, "Consultation created. Add its questions, then open it.")
}

func (h *Handler) editConsultation(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	f := models.ConsultationInput{Key: cons.Key, Title: cons.Title, Description: cons.Description, Deadline: cons.DeadlineInput(),
		Quorum: models.QuorumInput(cons.Quorum), Marking: cons.Marking, Timezone: cons.Timezone}
	h.consultationForm(c, http.StatusOK, "Edit consultation", gin.H{"Form": f, "Consultation": cons, "RequireApproval": cons.RequireApproval}, nil)
}

func (h *Handler) updateConsultation(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok || !h.parseForm(c) {
		return
	}
	var f models.ConsultationInput
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	f.Key = cons.Key
	f.RequireApproval = requireApproval(c)
	approval := f.RequireApproval
	by := currentUser(c).ID
	err := h.store.UpdateConsultation(c.Request.Context(), cons.ID, f, by)
	if fields := formErrors(err); fields != nil {
		h.consultationForm(c, http.StatusUnprocessableEntity, "Edit consultation",
			gin.H{"Form": f, "Consultation": cons, "RequireApproval": approval}, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, "Changes saved.")
}

// requireApproval reads the consultation form's "require national
// approval" box; it is saved with the rest of the form, in one
// transaction.
func requireApproval(c *gin.Context) bool { return c.PostForm("require_approval") == "on" }

func (h *Handler) setStatus(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok || !h.parseForm(c) {
		return
	}
	status := c.PostForm("status")
	if err := h.store.SetStatus(c.Request.Context(), cons.ID, status, currentUser(c).ID); err != nil {
		h.fail(c, err)
		return
	}
	msg := map[string]string{models.StatusOpen: "The consultation is open: delegates can now submit positions.",
		models.StatusClosed: "The consultation is closed: positions can no longer change."}[status]
	h.redirect(c, "/consultations/"+cons.Key, msg)
}

func (h *Handler) setShare(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok || !h.parseForm(c) {
		return
	}
	share := c.PostForm("share") == "on"
	if err := h.store.SetShareDistribution(c.Request.Context(), cons.ID, share, currentUser(c).ID); err != nil {
		h.fail(c, err)
		return
	}
	msg := "Delegates will not see the distribution."
	if share {
		msg = "Delegates will see the anonymised distribution once the consultation is closed."
	}
	h.redirect(c, "/consultations/"+cons.Key, msg)
}

// formErrors returns the per-field messages of a validation or conflict
// error, or nil for any other error.
func formErrors(err error) map[string]string {
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return verr.Fields
	}
	var conflict *models.ConflictError
	if errors.As(err, &conflict) {
		return map[string]string{conflict.Field: conflict.Message}
	}
	return nil
}

// idParam reads a numeric URL parameter, answering 404 when it is not one.
func (h *Handler) idParam(c *gin.Context, name string) (uint, bool) {
	id, err := strconv.ParseUint(c.Param(name), 10, 32)
	if err != nil || id == 0 {
		h.errorPage(c, http.StatusNotFound, "There is no page at this address.")
		return 0, false
	}
	return uint(id), true
}
