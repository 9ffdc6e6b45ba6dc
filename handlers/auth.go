package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"concord/models"
)

// healthz answers 200 only when the database answers a query.
func (h *Handler) healthz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		h.log.Error("health check failed", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// home sends each role to its starting page.
func (h *Handler) home(c *gin.Context) {
	if currentUser(c).Role == models.RoleDelegate {
		c.Redirect(http.StatusSeeOther, "/dashboard")
		return
	}
	c.Redirect(http.StatusSeeOther, "/consultations")
}

type loginForm struct {
	Username string `form:"username"`
	Password string `form:"password"`
	Next     string `form:"next"`
}

func (h *Handler) loginForm(c *gin.Context) {
	if currentUser(c) != nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	h.page(c, http.StatusOK, "login", "Sign in", gin.H{"Form": loginForm{Next: safeNext(c.Query("next"))}})
}

func (h *Handler) login(c *gin.Context) {
	if !h.parseForm(c) {
		return
	}
	var f loginForm
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	f.Next = safeNext(f.Next)
	ctx := c.Request.Context()
	u, err := h.store.Authenticate(ctx, f.Username, f.Password)
	if err != nil {
		if !errors.Is(err, models.ErrBadCredentials) {
			h.fail(c, err)
			return
		}
		h.audit(c, models.AuditEvent{Action: models.AuditLoginFailed, Subject: "username " + truncate(f.Username, 64)})
		f.Password = ""
		h.pageErrors(c, http.StatusUnauthorized, "login", "Sign in", gin.H{"Form": f},
			map[string]string{"": "The username or password is not correct."})
		return
	}
	// A fresh session on every login: an identifier planted before login
	// is never promoted (no session fixation).
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := h.store.DeleteSession(ctx, old); err != nil {
			h.fail(c, err)
			return
		}
	}
	token, _, err := h.store.CreateSession(ctx, u.ID, h.cfg.Sessions, c.Request.UserAgent())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.setSessionCookie(c, token)
	h.audit(c, models.AuditEvent{UserID: &u.ID, MemberID: u.MemberID, Action: models.AuditLoginOK, Subject: "user " + u.Username})
	next := f.Next
	if next == "/" || next == "/login" {
		next = "/"
	}
	h.redirect(c, next, "")
}

func (h *Handler) logout(c *gin.Context) {
	if token, err := c.Cookie(sessionCookie); err == nil {
		if err := h.store.DeleteSession(c.Request.Context(), token); err != nil {
			h.fail(c, err)
			return
		}
	}
	u := currentUser(c)
	h.audit(c, models.AuditEvent{UserID: &u.ID, Action: models.AuditLogout, Subject: "user " + u.Username})
	h.clearSessionCookie(c)
	h.redirect(c, "/login", "You are signed out.")
}

func (h *Handler) inviteForm(c *gin.Context) {
	inv, err := h.store.InvitationByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.invitationFailed(c, err)
		return
	}
	h.page(c, http.StatusOK, "invite", "Create your account", gin.H{"Invitation": inv, "Form": models.AccountInput{}})
}

func (h *Handler) acceptInvite(c *gin.Context) {
	ctx := c.Request.Context()
	token := c.Param("token")
	inv, err := h.store.InvitationByToken(ctx, token)
	if err != nil {
		h.invitationFailed(c, err)
		return
	}
	if !h.parseForm(c) {
		return
	}
	var f models.AccountInput
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	u, err := h.store.AcceptInvitation(ctx, token, f)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		f.Password, f.Confirm = "", ""
		h.pageErrors(c, http.StatusUnprocessableEntity, "invite", "Create your account",
			gin.H{"Invitation": inv, "Form": f}, verr.Fields)
		return
	}
	if err != nil {
		h.invitationFailed(c, err)
		return
	}
	token, _, err = h.store.CreateSession(ctx, u.ID, h.cfg.Sessions, c.Request.UserAgent())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.setSessionCookie(c, token)
	h.redirect(c, "/", "Welcome, "+u.Name+". Your account is ready.")
}

func (h *Handler) invitationFailed(c *gin.Context, err error) {
	if errors.Is(err, models.ErrNotFound) {
		h.errorPage(c, http.StatusNotFound, "This invitation link is not valid: it may have been used already, revoked, or have expired. Ask a facilitator for a new one.")
		return
	}
	h.fail(c, err)
}

// audit records an event; a failure to record is logged, not shown.
func (h *Handler) audit(c *gin.Context, ev models.AuditEvent) {
	if err := h.store.Record(c.Request.Context(), ev); err != nil {
		h.log.Error("audit", "err", err)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
