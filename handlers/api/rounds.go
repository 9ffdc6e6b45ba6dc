package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/models"
)

// roundInput is the optional body of POST /api/v1/consultations/:key/rounds.
type roundInput struct {
	// Deadline of the new round, RFC 3339; null or left out for none.
	Deadline *string `json:"deadline"`
}

// roundBody is a round as the API shows it.
type roundBody struct {
	Number   int        `json:"number"`
	OpenedAt time.Time  `json:"opened_at"`
	ClosedAt *time.Time `json:"closed_at"`
	Deadline *time.Time `json:"deadline"`
}

func roundOf(r *models.RoundRecord) roundBody {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return roundBody{Number: r.Number, OpenedAt: r.OpenedAt.UTC(), ClosedAt: utc(r.ClosedAt), Deadline: utc(r.Deadline)}
}

// openRound: POST /api/v1/consultations/:key/rounds. A facilitator closes
// the current round N and opens round N+1 (models.Store.OpenNextRound,
// audited); from then on every save writes into round N+1. It answers 201
// with the consultation, as GET /api/v1/consultations/:key shows it, and
// the new round; 403 for any other account, 409 for a draft, 422 for a
// deadline that is not RFC 3339 or not in the future.
func (a *API) openRound(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	if !access.CanManage(u) {
		Error(c, http.StatusForbidden, "", "Only a facilitator can close a round and open the next.", nil)
		return
	}
	cons, ok := a.visible(c, u)
	if !ok {
		return
	}
	var in roundInput
	if c.Request.ContentLength != 0 && !decode(c, &in) {
		return
	}
	var deadline *time.Time
	if in.Deadline != nil {
		t, err := time.Parse(time.RFC3339, *in.Deadline)
		if err != nil {
			validation(c, map[string]string{"deadline": "Give a date and time in RFC 3339, such as 2026-12-15T17:00:00Z, or null for none."})
			return
		}
		deadline = &t
	}
	ctx := c.Request.Context()
	_, err := a.store.OpenNextRound(ctx, cons.ID, deadline, u.ID)
	if fields := storeFields(err); fields != nil {
		validation(c, fields)
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	opened, err := a.store.ConsultationByID(ctx, cons.ID) // as stored, with its new times
	if err != nil {
		a.fail(c, err)
		return
	}
	rounds, err := a.store.Rounds(ctx, opened.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	var current *models.RoundRecord
	for i := range rounds {
		if rounds[i].Number == opened.Round {
			current = &rounds[i]
		}
	}
	if current == nil {
		a.fail(c, fmt.Errorf("round %d of consultation %s not recorded", opened.Round, opened.Key))
		return
	}
	detail, err := a.consultationDetail(ctx, opened)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"consultation": detail, "round": roundOf(current)})
}

// storeFields returns the per-field messages of a *models.ValidationError,
// or nil for any other error.
func storeFields(err error) map[string]string {
	var verr *models.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	return verr.Fields
}
