package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/models"
)

func (h *Handler) accountsData(c *gin.Context) (gin.H, bool) {
	ctx := c.Request.Context()
	users, err := h.store.Users(ctx)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	invs, err := h.store.Invitations(ctx)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	members, err := h.store.Members(ctx)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	delegates := map[uint]int{}
	for _, u := range users {
		if u.MemberID != nil && u.Active() {
			delegates[*u.MemberID]++
		}
	}
	return gin.H{"Users": users, "Invitations": invs, "Members": members, "Delegates": delegates, "Now": h.store.Now()}, true
}

func (h *Handler) accounts(c *gin.Context) {
	d, ok := h.accountsData(c)
	if !ok {
		return
	}
	d["Form"] = invitationForm{Role: models.RoleDelegate}
	h.page(c, http.StatusOK, "accounts", "Accounts and invitations", d)
}

type invitationForm struct {
	Role   string `form:"role"`
	Member string `form:"member"`
}

// createInvitation makes a one-time link. The link is shown in this
// response only: the database keeps just its hash.
func (h *Handler) createInvitation(c *gin.Context) {
	if !h.parseForm(c) {
		return
	}
	var f invitationForm
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	ctx := c.Request.Context()
	errs := map[string]string{}
	var memberID *uint
	var member *models.Member
	switch f.Role {
	case models.RoleDelegate:
		m, err := h.store.MemberByCode(ctx, f.Member)
		if err != nil {
			errs["member"] = "Choose the member this delegate will represent."
		} else {
			memberID, member = &m.ID, m
		}
	case models.RoleFacilitator, models.RoleObserver:
	default:
		errs["role"] = "Choose delegate, observer or facilitator."
	}
	d, ok := h.accountsData(c)
	if !ok {
		return
	}
	d["Form"] = f
	if len(errs) > 0 {
		h.pageErrors(c, http.StatusUnprocessableEntity, "accounts", "Accounts and invitations", d, errs)
		return
	}
	by := currentUser(c).ID
	token, inv, err := h.store.CreateInvitation(ctx, f.Role, memberID, &by, h.cfg.InvitationTTL)
	if err != nil {
		h.fail(c, err)
		return
	}
	d, ok = h.accountsData(c)
	if !ok {
		return
	}
	d["Form"] = invitationForm{Role: f.Role}
	d["NewLink"] = absoluteURL(c, "/invite/"+token)
	d["NewInvitation"] = inv
	d["NewMember"] = member
	h.page(c, http.StatusCreated, "accounts", "Accounts and invitations", d)
}

// absoluteURL builds a link to this server as the browser reached it.
func absoluteURL(c *gin.Context, path string) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host + path
}
