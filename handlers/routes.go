package handlers

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
)

// Access says who may call a route. Member-scoped routes are further
// checked in the handler: a delegate reaches only their own member.
type Access string

const (
	Public      Access = "public"      // anyone
	SignedIn    Access = "signed-in"   // any account
	Staff       Access = "staff"       // facilitators and observers
	Facilitator Access = "facilitator" // facilitators only
	Delegate    Access = "delegate"    // delegates only
	MemberScope Access = "member"      // the member's delegates and facilitators
)

// Route is one entry of the routing table.
type Route struct {
	Method  string
	Path    string
	Access  Access
	Nav     string
	Handler gin.HandlerFunc
}

// Routes is every route of the application, in one table.
func (h *Handler) Routes() []Route {
	return []Route{
		{"GET", "/healthz", Public, "", h.healthz},
		{"GET", "/static/*file", Public, "", h.assets.serve},
		{"GET", "/login", Public, "", h.loginForm},
		{"POST", "/login", Public, "", h.login},
		{"GET", "/invite/:token", Public, "", h.inviteForm},
		{"POST", "/invite/:token", Public, "", h.acceptInvite},

		{"GET", "/", SignedIn, "", h.home},
		{"POST", "/logout", SignedIn, "", h.logout},

		{"GET", "/dashboard", Delegate, "dashboard", h.dashboard},
		{"GET", "/consultations/:key/positions/:member", MemberScope, "positions", h.positionsForm},
		{"POST", "/consultations/:key/positions/:member", MemberScope, "positions", h.savePositions},
		{"GET", "/consultations/:key/positions/:member/history", MemberScope, "positions", h.positionHistory},

		{"GET", "/consultations", Staff, "consultations", h.listConsultations},
		{"GET", "/consultations/:key", Staff, "consultations", h.showConsultation},
		{"GET", "/consultations/:key/coverage", Staff, "consultations", h.coverage},

		{"GET", "/consultations/new", Facilitator, "consultations", h.newConsultation},
		{"POST", "/consultations", Facilitator, "consultations", h.createConsultation},
		{"GET", "/consultations/:key/edit", Facilitator, "consultations", h.editConsultation},
		{"POST", "/consultations/:key/edit", Facilitator, "consultations", h.updateConsultation},
		{"POST", "/consultations/:key/status", Facilitator, "consultations", h.setStatus},
		{"POST", "/consultations/:key/share", Facilitator, "consultations", h.setShare},
		{"GET", "/consultations/:key/questions/new", Facilitator, "consultations", h.newQuestion},
		{"POST", "/consultations/:key/questions", Facilitator, "consultations", h.createQuestion},
		{"GET", "/questions/:id/edit", Facilitator, "consultations", h.editQuestion},
		{"POST", "/questions/:id/edit", Facilitator, "consultations", h.updateQuestion},
		{"POST", "/questions/:id/move", Facilitator, "consultations", h.moveQuestion},
		{"POST", "/questions/:id/delete", Facilitator, "consultations", h.deleteQuestion},
		{"POST", "/sections/:id/move", Facilitator, "consultations", h.moveSection},
		{"POST", "/sections/:id/rename", Facilitator, "consultations", h.renameSection},

		{"GET", "/accounts", Facilitator, "accounts", h.accounts},
		{"POST", "/accounts/invitations", Facilitator, "accounts", h.createInvitation},
	}
}

// NewRouter returns the engine serving every route of the table, with the
// middleware every request passes through.
func NewRouter(h *Handler) *gin.Engine {
	r := gin.New()
	r.HTMLRender = h.render
	r.RedirectTrailingSlash = true
	r.HandleMethodNotAllowed = true
	r.Use(h.requestLog, gin.CustomRecovery(func(c *gin.Context, err any) {
		h.log.Error("panic", "route", c.FullPath(), "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
	}), h.renderErrors, h.securityHeaders, h.limitBody, h.loadSession, h.csrf)
	r.NoRoute(func(c *gin.Context) {
		h.errorPage(c, http.StatusNotFound, "There is no page at this address.")
	})
	r.NoMethod(func(c *gin.Context) {
		h.errorPage(c, http.StatusMethodNotAllowed, "This address does not accept that kind of request.")
	})
	for _, rt := range h.Routes() {
		chain := []gin.HandlerFunc{}
		if rt.Nav != "" {
			chain = append(chain, nav(rt.Nav))
		}
		switch rt.Access {
		case SignedIn, MemberScope:
			chain = append(chain, h.require())
		case Staff:
			chain = append(chain, h.require("facilitator", "observer"))
		case Facilitator:
			chain = append(chain, h.require("facilitator"))
		case Delegate:
			chain = append(chain, h.require("delegate"))
		}
		r.Handle(rt.Method, rt.Path, append(chain, rt.Handler)...)
	}
	return r
}

func loginURL(next string) string { return "/login?next=" + url.QueryEscape(safeNext(next)) }
