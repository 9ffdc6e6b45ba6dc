package handlers

import (
	"errors"
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
	// Approver ("on" when ticked) makes the invited delegate its member's
	// head of delegation (models.InviteApprover); delegates only.
	Approver string `form:"approver"`
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
		if f.Approver != "" {
			errs["approver"] = "Only a delegate can be the head of delegation: choose the role delegate, or leave this unticked."
		}
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
	var opts []models.InvitationOption
	if f.Approver != "" {
		opts = append(opts, models.InviteApprover)
	}
	token, inv, err := h.store.CreateInvitation(ctx, f.Role, memberID, &by, h.cfg.InvitationTTL, opts...)
	if fields := formErrors(err); fields != nil {
		h.pageErrors(c, http.StatusUnprocessableEntity, "accounts", "Accounts and invitations", d, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	d, ok = h.accountsData(c)
	if !ok {
		return
	}
	d["Form"] = invitationForm{Role: f.Role}
	d["NewLink"] = h.cfg.BaseURL + "/invite/" + token
	d["NewInvitation"] = inv
	d["NewMember"] = member
	h.page(c, http.StatusCreated, "accounts", "Accounts and invitations", d)
}

// accountsProblem re-renders the accounts page with a message: a refused
// revocation or role change changes nothing.
func (h *Handler) accountsProblem(c *gin.Context, status int, errs map[string]string, extra gin.H) {
	d, ok := h.accountsData(c)
	if !ok {
		return
	}
	d["Form"] = invitationForm{Role: models.RoleDelegate}
	for k, v := range extra {
		d[k] = v
	}
	h.pageErrors(c, status, "accounts", "Accounts and invitations", d, errs)
}

// accountActionFailed answers a failed revocation or role change.
func (h *Handler) accountActionFailed(c *gin.Context, err error, extra gin.H) {
	var conflict *models.ConflictError
	var verr *models.ValidationError
	switch {
	case errors.Is(err, models.ErrNotFound):
		h.errorPage(c, http.StatusNotFound, "There is no such account.")
	case errors.As(err, &verr):
		h.accountsProblem(c, http.StatusUnprocessableEntity, rowErrors(verr.Fields), extra)
	case errors.As(err, &conflict):
		field := ""
		if extra != nil {
			field = conflict.Field
		}
		h.accountsProblem(c, http.StatusConflict, rowErrors(map[string]string{field: conflict.Message}), extra)
	default:
		h.fail(c, err)
	}
}

// rowErrors keys the messages of an account row's form apart from those
// of the invitation form on the same page, and says at the top that
// nothing changed.
func rowErrors(fields map[string]string) map[string]string {
	out := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		if k != "" {
			k = "user_" + k
		}
		out[k] = v
	}
	if _, ok := out[""]; !ok {
		out[""] = "Nothing was changed; see the message beside the account."
	}
	return out
}

// revokeInvitation makes a pending invitation link unusable.
func (h *Handler) revokeInvitation(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	if err := h.store.RevokeInvitation(c.Request.Context(), id, currentUser(c).ID); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			h.errorPage(c, http.StatusNotFound, "This invitation is no longer pending: it was used, revoked, or never existed.")
			return
		}
		h.fail(c, err)
		return
	}
	h.redirect(c, "/accounts", "Invitation revoked: its link no longer works.")
}

// revokeAccount revokes an account; its sessions end at once.
func (h *Handler) revokeAccount(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok {
		return
	}
	if err := h.store.RevokeUser(c.Request.Context(), id, currentUser(c).ID); err != nil {
		h.accountActionFailed(c, err, nil)
		return
	}
	h.redirect(c, "/accounts", "Account revoked: it is signed out everywhere and can no longer sign in.")
}

type roleForm struct {
	Role   string `form:"role"`
	Member string `form:"member"`
}

// changeRole gives an account another role (and member, for a delegate).
func (h *Handler) changeRole(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok || !h.parseForm(c) {
		return
	}
	var f roleForm
	if err := c.ShouldBind(&f); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read.")
		return
	}
	ctx := c.Request.Context()
	extra := gin.H{"RoleUser": id, "RoleForm": f}
	var memberID *uint
	if f.Role == models.RoleDelegate {
		m, err := h.store.MemberByCode(ctx, f.Member)
		if err != nil {
			if !errors.Is(err, models.ErrNotFound) {
				h.fail(c, err)
				return
			}
			h.accountsProblem(c, http.StatusUnprocessableEntity,
				rowErrors(map[string]string{"member": "Choose the member this delegate will represent."}), extra)
			return
		}
		memberID = &m.ID
	}
	if err := h.store.SetRole(ctx, id, f.Role, memberID, currentUser(c).ID); err != nil {
		h.accountActionFailed(c, err, extra)
		return
	}
	h.redirect(c, "/accounts", "Role changed. The account was signed out and will sign in again with its new rights.")
}

// setApprover marks a delegate account as its member's head of delegation,
// who approves the member's drafts where national approval is required,
// or unmarks it (Store.SetApprover). It is a change of rights: audited,
// and it ends the account's API tokens.
func (h *Handler) setApprover(c *gin.Context) {
	id, ok := h.idParam(c, "id")
	if !ok || !h.parseForm(c) {
		return
	}
	approver := c.PostForm("approver") == "on"
	ctx := c.Request.Context()
	if u, err := h.store.UserByID(ctx, id); err == nil && u.Active() && u.Approver == approver && u.Role == models.RoleDelegate {
		h.redirect(c, "/accounts", "Nothing changed: the account already was as you asked.")
		return
	}
	if err := h.store.SetApprover(ctx, id, approver, currentUser(c).ID); err != nil {
		h.accountActionFailed(c, err, gin.H{"ApproverUser": id})
		return
	}
	msg := "The account is now its member's head of delegation: it approves or returns the member's drafts. Any API tokens it had were ended."
	if !approver {
		msg = "The account is no longer its member's head of delegation. Any API tokens it had were ended."
	}
	h.redirect(c, "/accounts", msg)
}
