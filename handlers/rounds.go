package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/models"
)

// roundForm is the facilitator's form on the consultation page that closes
// the current round and opens the next: the new round's deadline as typed
// (models.DeadlineLayout, UTC; empty for none).
type roundForm struct {
	Deadline string `form:"deadline"`
}

// openRound closes the consultation's current round N and opens round N+1
// (Store.OpenNextRound, audited). From then on every save writes into
// round N+1, so round N's positions are final. A deadline that does not
// parse or is not in the future re-renders the page with 422, a draft
// consultation with 409, each with the value typed and a message beside
// the form.
func (h *Handler) openRound(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok || !h.parseForm(c) {
		return
	}
	f := roundForm{Deadline: c.PostForm("deadline")}
	deadline, err := models.ParseRoundDeadline(f.Deadline)
	if err == nil {
		_, err = h.store.OpenNextRound(c.Request.Context(), cons.ID, deadline, currentUser(c).ID)
	}
	if fields := formErrors(err); fields != nil {
		status := http.StatusUnprocessableEntity
		var conflict *models.ConflictError
		if errors.As(err, &conflict) {
			status = http.StatusConflict
		}
		fields[""] = "The round was not changed; see the message beside the form."
		h.consultationPage(c, cons, status, f, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, fmt.Sprintf(
		"Round %d is closed and round %d is open. Round %d positions are final; delegates now see its anonymised result beside each question.",
		cons.Round, cons.Round+1, cons.Round))
}

// rationaleGroup is one question's rationales of the previous round, as
// the facilitator reviews them.
type rationaleGroup struct {
	Question   models.Question
	Rationales []models.ReviewedRationale
	Hidden     int
}

// rationalesPage lists the rationales of the previous round with their
// authors, so that a facilitator can hide those that would identify their
// author before showing the rest to delegates without names.
func (h *Handler) rationalesPage(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	list, err := h.store.ReviewRationales(ctx, cons)
	if err != nil {
		h.fail(c, err)
		return
	}
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	var groups []rationaleGroup
	hidden := 0
	for _, q := range qn.Questions {
		g := rationaleGroup{Question: q}
		for _, r := range list {
			if r.QuestionID == q.ID {
				g.Rationales = append(g.Rationales, r)
				if r.Hidden {
					g.Hidden++
				}
			}
		}
		if len(g.Rationales) > 0 {
			groups = append(groups, g)
			hidden += g.Hidden
		}
	}
	h.page(c, http.StatusOK, "rationales", "Rationales of the previous round — "+cons.Title, gin.H{
		"Consultation": cons, "Previous": cons.Round - 1, "Groups": groups, "Count": len(list), "Hidden": hidden,
		"Shown": len(list) - hidden,
	})
}

// previousRoundOnly answers 409 in round 1, where there is no previous
// round whose rationales could be reviewed or shown.
func (h *Handler) previousRoundOnly(c *gin.Context, cons *models.Consultation) bool {
	if cons.Round < 2 {
		h.errorPage(c, http.StatusConflict, "This consultation is in round 1: there is no previous round whose rationales could be shown. Nothing was changed.")
		return false
	}
	return true
}

// setRationaleFeedback switches whether delegates see the previous round's
// rationales, without names, beside each question
// (Store.SetShowPreviousRationales, audited).
func (h *Handler) setRationaleFeedback(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok || !h.parseForm(c) || !h.previousRoundOnly(c, cons) {
		return
	}
	show := c.PostForm("show") == "on"
	if err := h.store.SetShowPreviousRationales(c.Request.Context(), cons.ID, show, currentUser(c).ID); err != nil {
		h.fail(c, err)
		return
	}
	msg := fmt.Sprintf("Delegates no longer see the rationales of round %d.", cons.Round-1)
	if show {
		msg = fmt.Sprintf("Delegates now see the rationales of round %d that are not hidden, without names.", cons.Round-1)
	}
	h.redirect(c, "/consultations/"+cons.Key+"/rationales", msg)
}

// setRationaleVisibility hides one rationale of the previous round from
// delegates, or shows it again (Store.HideRationale, Store.ShowRationale,
// both audited). Only a rationale listed for review can be named.
func (h *Handler) setRationaleVisibility(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok || !h.parseForm(c) || !h.previousRoundOnly(c, cons) {
		return
	}
	ctx := c.Request.Context()
	id, err := strconv.ParseUint(c.PostForm("revision"), 10, 32)
	list, lerr := h.store.ReviewRationales(ctx, cons)
	if lerr != nil {
		h.fail(c, lerr)
		return
	}
	var target *models.ReviewedRationale
	for i := range list {
		if err == nil && uint64(list[i].RevisionID) == id {
			target = &list[i]
		}
	}
	if target == nil {
		h.errorPage(c, http.StatusNotFound, fmt.Sprintf("There is no such rationale among those of round %d. Nothing was changed.", cons.Round-1))
		return
	}
	by := currentUser(c).ID
	var msg string
	switch c.PostForm("hide") {
	case "yes":
		err = h.store.HideRationale(ctx, cons.ID, target.RevisionID, by)
		msg = fmt.Sprintf("The rationale of %s on %s is hidden from delegates.", target.MemberCode, target.QuestionKey)
	case "no":
		err = h.store.ShowRationale(ctx, cons.ID, target.RevisionID, by)
		msg = fmt.Sprintf("The rationale of %s on %s is shown again (without the name) when rationales are shown.", target.MemberCode, target.QuestionKey)
	default:
		h.errorPage(c, http.StatusBadRequest, "The form could not be read. Nothing was changed.")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, fmt.Sprintf("/consultations/%s/rationales#r-%d", cons.Key, target.RevisionID), msg)
}
