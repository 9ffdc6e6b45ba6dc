package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"concord/models"
)

// sessionRow is one live session as the sessions page shows it.
type sessionRow struct {
	S       models.Session
	Current bool
	// Ends is when the session will end if left unused.
	Ends time.Time
}

// sessions lists the signed-in person's live sessions.
func (h *Handler) sessions(c *gin.Context) {
	u, cur := currentUser(c), currentSession(c)
	list, err := h.store.UserSessions(c.Request.Context(), u.ID, h.cfg.Sessions)
	if err != nil {
		h.fail(c, err)
		return
	}
	rows := make([]sessionRow, 0, len(list))
	for _, s := range list {
		ends := s.LastSeenAt.Add(h.cfg.Sessions.Idle)
		if s.ExpiresAt.Before(ends) {
			ends = s.ExpiresAt
		}
		rows = append(rows, sessionRow{S: s, Current: cur != nil && s.ID == cur.ID, Ends: ends})
	}
	h.page(c, http.StatusOK, "sessions", "Your sessions", gin.H{
		"Sessions": rows, "Idle": humanWait(h.cfg.Sessions.Idle), "Absolute": humanWait(h.cfg.Sessions.Absolute),
	})
}

// endAllSessions signs the person out everywhere, this browser included.
func (h *Handler) endAllSessions(c *gin.Context) {
	u := currentUser(c)
	if _, err := h.store.EndSessions(c.Request.Context(), u.ID, 0); err != nil {
		h.fail(c, err)
		return
	}
	h.clearSessionCookie(c)
	h.redirect(c, "/login", "You are signed out everywhere, including here, and your API tokens are revoked.")
}

// endSession ends one of the person's sessions (another device, usually).
func (h *Handler) endSession(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	u := currentUser(c)
	if _, err := h.store.EndSessions(c.Request.Context(), u.ID, id); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			h.errorPage(c, http.StatusNotFound, "This session has already ended.")
			return
		}
		h.fail(c, err)
		return
	}
	if cur := currentSession(c); cur != nil && cur.ID == id {
		h.clearSessionCookie(c)
		h.redirect(c, "/login", "You are signed out.")
		return
	}
	h.redirect(c, "/account/sessions", "That session has ended.")
}

func (h *Handler) passwordForm(c *gin.Context) {
	h.page(c, http.StatusOK, "password", "Change your password", gin.H{"Form": models.PasswordChange{}})
}

// changePassword sets a new password after checking the current one. Other
// sessions end; this one continues under a new identifier. Wrong current
// passwords count as failed sign-ins, so a borrowed session cannot be used
// to guess the password.
func (h *Handler) changePassword(c *gin.Context) {
	if !h.parseForm(c) {
		return
	}
	var f models.PasswordChange
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	ctx := c.Request.Context()
	u := currentUser(c)
	attempt := models.Attempt{Username: u.Username, Address: c.ClientIP()}
	policy := h.throttlePolicy()
	refuse := func(status int, errs map[string]string) {
		h.pageErrors(c, status, "password", "Change your password", gin.H{"Form": models.PasswordChange{}}, errs)
	}
	wait, ifFailed, err := h.store.BeginLogin(ctx, policy, attempt)
	if err != nil {
		h.fail(c, err)
		return
	}
	if wait > 0 {
		c.Header("Retry-After", retryAfter(wait))
		refuse(http.StatusTooManyRequests, map[string]string{"": "Too many wrong passwords. For safety, try again in " + humanWait(wait) + "."})
		return
	}
	err = h.store.ChangePassword(ctx, u.ID, f, currentSession(c).ID)
	var perr *models.PasswordChangeError
	wrong := errors.As(err, &perr) && (perr.WrongCurrent || f.Current == "")
	if !wrong && (err == nil || perr != nil) {
		// The current password was right: the attempt counted in advance
		// was not a failure.
		if err := h.store.LoginSucceeded(ctx, attempt); err != nil {
			h.fail(c, err)
			return
		}
	}
	if perr != nil {
		if perr.WrongCurrent {
			t, err := h.store.LoginFailed(ctx, policy, attempt)
			if err != nil {
				h.fail(c, err)
				return
			}
			if t = t.Merge(ifFailed); t.Wait > 0 {
				c.Header("Retry-After", retryAfter(t.Wait))
			}
		}
		refuse(http.StatusUnprocessableEntity, perr.Fields)
		return
	}
	var conflict *models.ConflictError
	if errors.As(err, &conflict) {
		refuse(http.StatusConflict, map[string]string{"": conflict.Message})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if !h.replaceSession(c, u) {
		return
	}
	h.redirect(c, "/account/sessions", "Your password is changed. Your other sessions were signed out and your API tokens revoked.")
}

// refusal is why a form was refused: the status and a message per field.
type refusal struct {
	status int
	errs   map[string]string
}

// confirmPassword checks the signed-in person's current password before a
// sensitive action (creating an API token). Wrong passwords count as failed
// sign-ins, so a borrowed session cannot be used to guess the password;
// while the throttle holds, even the right one is refused. It returns nil
// when the password is right.
func (h *Handler) confirmPassword(c *gin.Context, current string) (*refusal, error) {
	if current == "" {
		return &refusal{http.StatusUnprocessableEntity, map[string]string{"current": "Enter your current password."}}, nil
	}
	ctx := c.Request.Context()
	u := currentUser(c)
	attempt := models.Attempt{Username: u.Username, Address: c.ClientIP()}
	policy := h.throttlePolicy()
	wait, ifFailed, err := h.store.BeginLogin(ctx, policy, attempt)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		c.Header("Retry-After", retryAfter(wait))
		return &refusal{http.StatusTooManyRequests, map[string]string{"current": "Too many wrong passwords. For safety, try again in " + humanWait(wait) + "."}}, nil
	}
	err = h.store.VerifyPassword(ctx, u.ID, current)
	if errors.Is(err, models.ErrBadCredentials) {
		t, err := h.store.LoginFailed(ctx, policy, attempt)
		if err != nil {
			return nil, err
		}
		if t = t.Merge(ifFailed); t.Wait > 0 {
			c.Header("Retry-After", retryAfter(t.Wait))
		}
		return &refusal{http.StatusUnprocessableEntity, map[string]string{"current": "The current password is not correct."}}, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, h.store.LoginSucceeded(ctx, attempt)
}
