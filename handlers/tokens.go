package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/models"
)

// tokensPage renders the API tokens page of the signed-in user; d carries
// the form and, right after a creation, the new token.
func (h *Handler) tokensPage(c *gin.Context, status int, d gin.H, errs map[string]string) {
	u := currentUser(c)
	list, err := h.store.APITokens(c.Request.Context(), u.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if d == nil {
		d = gin.H{}
	}
	if _, ok := d["Form"]; !ok {
		d["Form"] = models.APITokenInput{Expires: "90"}
	}
	d["Tokens"] = list
	d["Lifetimes"] = models.APITokenLifetimes
	d["Now"] = h.store.Now()
	d["Max"] = models.MaxAPITokens
	d["APIBase"] = h.cfg.BaseURL + "/api/v1"
	h.pageErrors(c, status, "tokens", "API tokens", d, errs)
}

// listTokens: GET /account/tokens.
func (h *Handler) listTokens(c *gin.Context) {
	h.tokensPage(c, http.StatusOK, nil, nil)
}

// createToken: POST /account/tokens. The token is shown in this response
// only; the database keeps just its hash.
func (h *Handler) createToken(c *gin.Context) {
	if !h.parseForm(c) {
		return
	}
	var f models.APITokenInput
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	current := f.Current
	f.Current = "" // never echoed
	if refusal, err := h.confirmPassword(c, current); err != nil {
		h.fail(c, err)
		return
	} else if refusal != nil {
		h.tokensPage(c, refusal.status, gin.H{"Form": f}, refusal.errs)
		return
	}
	token, tok, err := h.store.CreateAPIToken(c.Request.Context(), currentUser(c).ID, f)
	if fields := formErrors(err); fields != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, models.ErrConflict) {
			status = http.StatusConflict
		}
		h.tokensPage(c, status, gin.H{"Form": f}, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.tokensPage(c, http.StatusCreated, gin.H{"NewToken": token, "Created": tok}, nil)
}

// revokeToken: POST /account/tokens/:id/revoke. Another user's token is
// reported as not found.
func (h *Handler) revokeToken(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	tok, err := h.store.RevokeAPIToken(c.Request.Context(), currentUser(c).ID, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, "/account/tokens", "Token “"+tok.Name+"” is revoked; programs using it can no longer reach the API.")
}
