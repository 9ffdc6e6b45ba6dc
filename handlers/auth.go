package handlers

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
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
	attempt := models.Attempt{Username: f.Username, Address: c.ClientIP()}
	policy := h.throttlePolicy()
	// A throttled attempt is refused before its password is checked, so a
	// locked account cannot be guessed even with the right password.
	wait, ifFailed, err := h.store.BeginLogin(ctx, policy, attempt)
	if err != nil {
		h.fail(c, err)
		return
	}
	if wait > 0 {
		h.loginRefused(c, f, http.StatusTooManyRequests, wait,
			"Too many failed sign-in attempts for this account or from this address. For safety, sign-in is paused: try again in "+humanWait(wait)+".")
		return
	}
	u, err := h.store.Authenticate(ctx, f.Username, f.Password)
	if err != nil {
		if !errors.Is(err, models.ErrBadCredentials) {
			h.fail(c, err)
			return
		}
		t, err := h.store.LoginFailed(ctx, policy, attempt)
		if err != nil {
			h.fail(c, err)
			return
		}
		t = t.Merge(ifFailed)
		subject := "username " + truncate(f.Username, 64)
		h.audit(c, models.AuditEvent{Action: models.AuditLoginFailed, Subject: subject, Detail: "from " + attempt.Address})
		msg := "The username or password is not correct."
		switch {
		case t.Locked:
			h.audit(c, models.AuditEvent{Action: models.AuditLoginLocked, Subject: subject,
				Detail: "from " + attempt.Address + "; paused for " + humanWait(t.Wait)})
			msg += " After repeated failures, sign-in is paused for " + humanWait(t.Wait) + "."
		case t.Wait > 0:
			msg += " Wait " + humanWait(t.Wait) + " before trying again."
		}
		h.loginRefused(c, f, http.StatusUnauthorized, t.Wait, msg)
		return
	}
	if err := h.store.LoginSucceeded(ctx, attempt); err != nil {
		h.fail(c, err)
		return
	}
	// A fresh session on every login: an identifier planted before login
	// is never promoted (no session fixation).
	if !h.replaceSession(c, u) {
		return
	}
	h.audit(c, models.AuditEvent{UserID: &u.ID, MemberID: u.MemberID, Action: models.AuditLoginOK, Subject: "user " + u.Username,
		Detail: "from " + attempt.Address})
	next := f.Next
	if next == "/" || next == "/login" {
		next = "/"
	}
	h.redirect(c, next, "")
}

// loginRefused re-renders the sign-in form with a message; the username is
// kept, the password never is.
func (h *Handler) loginRefused(c *gin.Context, f loginForm, status int, wait time.Duration, msg string) {
	if wait > 0 {
		c.Header("Retry-After", retryAfter(wait))
	}
	f.Password = ""
	h.pageErrors(c, status, "login", "Sign in", gin.H{"Form": f}, map[string]string{"": msg})
}

// replaceSession ends the session the request came with, if any, and
// starts a new one for u: the new identifier is set as the cookie.
func (h *Handler) replaceSession(c *gin.Context, u *models.User) bool {
	ctx := c.Request.Context()
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := h.store.DeleteSession(ctx, old); err != nil {
			h.fail(c, err)
			return false
		}
	}
	token, _, err := h.store.CreateSession(ctx, u.ID, h.cfg.Sessions, c.Request.UserAgent())
	if err != nil {
		h.fail(c, err)
		return false
	}
	h.setSessionCookie(c, token)
	return true
}

func (h *Handler) throttlePolicy() models.ThrottlePolicy {
	if h.cfg.Throttle == (models.ThrottlePolicy{}) {
		return models.DefaultThrottle()
	}
	return h.cfg.Throttle
}

// retryAfter is the Retry-After header value of a wait, in whole seconds.
func retryAfter(wait time.Duration) string { return strconv.Itoa(int(math.Ceil(wait.Seconds()))) }

// humanWait says a wait in words, rounded up: "5 seconds", "15 minutes".
func humanWait(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case d <= 90*time.Second:
		return plural(max(1, int(math.Ceil(d.Seconds()))), "second")
	case d <= 90*time.Minute:
		return plural(int(math.Ceil(d.Minutes())), "minute")
	default:
		return plural(int(math.Ceil(d.Hours())), "hour")
	}
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
	if !h.replaceSession(c, u) {
		return
	}
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
