package handlers

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/handlers/api"
	"concord/models"
)

// Access says who may call a route; each level is a rule of the access
// policy (package access, see levelRule). Member-scoped routes are further
// checked in the handler with access.CanActForMember: a delegate reaches
// only their own member.
type Access string

const (
	Public      Access = "public"      // anyone
	SignedIn    Access = "signed-in"   // any account
	Staff       Access = "staff"       // facilitators and observers
	Facilitator Access = "facilitator" // facilitators only
	Delegate    Access = "delegate"    // delegates only
	MemberScope Access = "member"      // the member's delegates and facilitators
)

// levelRule is the access policy's rule of each level that needs an
// account; the router lets a request through only when it holds.
func levelRule(a Access) func(*models.User) bool {
	switch a {
	case SignedIn, MemberScope:
		return access.SignedIn
	case Staff:
		return access.CanReadAttributed
	case Facilitator:
		return access.CanManage
	case Delegate:
		return access.IsDelegate
	}
	return nil
}

// positionFormPath is the delegate's position form, which posts back to
// its own address.
const positionFormPath = "/consultations/:key/positions/:member"

// Route is one entry of the routing table.
type Route struct {
	Method  string
	Path    string
	Access  Access
	Nav     string
	Handler gin.HandlerFunc
}

// WebRoutes is every route of the web pages, in one table.
func (h *Handler) WebRoutes() []Route {
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
		{"GET", positionFormPath, MemberScope, "positions", h.positionsForm},
		{"POST", positionFormPath, MemberScope, "positions", h.savePositions},
		{"GET", "/consultations/:key/positions/:member/history", MemberScope, "positions", h.positionHistory},

		{"GET", "/consultations", Staff, "consultations", h.listConsultations},
		{"GET", "/consultations/:key", Staff, "consultations", h.showConsultation},
		{"GET", "/consultations/:key/coverage", Staff, "consultations", h.coverage},

		// The divergence report (attributed positions: staff only).
		{"GET", "/consultations/:key/report", Staff, "consultations", h.reportOverview},
		{"GET", "/consultations/:key/report.json", Staff, "consultations", h.reportJSON},
		{"GET", "/consultations/:key/report/questions/:qkey", Staff, "consultations", h.reportQuestion},
		{"GET", "/consultations/:key/report/heatmap", Staff, "consultations", h.reportHeatmap},
		{"GET", "/consultations/:key/report/map", Staff, "consultations", h.reportMap},
		{"GET", "/consultations/:key/report/members/:code", Staff, "consultations", h.reportMember},
		{"GET", "/consultations/:key/report/glossary", Staff, "consultations", h.reportGlossary},
		{"GET", "/consultations/:key/report/print.css", Staff, "", h.printCSS},

		{"GET", "/consultations/new", Facilitator, "consultations", h.newConsultation},
		{"POST", "/consultations", Facilitator, "consultations", h.createConsultation},
		{"GET", "/consultations/:key/edit", Facilitator, "consultations", h.editConsultation},
		{"POST", "/consultations/:key/edit", Facilitator, "consultations", h.updateConsultation},
		{"POST", "/consultations/:key/status", Facilitator, "consultations", h.setStatus},
		{"POST", "/consultations/:key/share", Facilitator, "consultations", h.setShare},
		{"POST", "/consultations/:key/rounds", Facilitator, "consultations", h.openRound},
		{"GET", "/consultations/:key/rationales", Facilitator, "consultations", h.rationalesPage},
		{"POST", "/consultations/:key/rationales/feedback", Facilitator, "consultations", h.setRationaleFeedback},
		{"POST", "/consultations/:key/rationales/visibility", Facilitator, "consultations", h.setRationaleVisibility},
		{"GET", "/consultations/:key/questions/new", Facilitator, "consultations", h.newQuestion},
		{"POST", "/consultations/:key/questions", Facilitator, "consultations", h.createQuestion},
		{"GET", "/questions/:id/edit", Facilitator, "consultations", h.editQuestion},
		{"POST", "/questions/:id/edit", Facilitator, "consultations", h.updateQuestion},
		{"POST", "/questions/:id/move", Facilitator, "consultations", h.moveQuestion},
		{"POST", "/questions/:id/delete", Facilitator, "consultations", h.deleteQuestion},
		{"POST", "/sections/:id/move", Facilitator, "consultations", h.moveSection},
		{"POST", "/sections/:id/rename", Facilitator, "consultations", h.renameSection},

		// Exports for ministerial preparation, definitions and imports (exports.go).
		{"GET", "/consultations/:key/exports", Staff, "consultations", h.exportsPage},
		{"GET", "/consultations/:key/exports/:file", Staff, "consultations", h.exportFile},
		{"GET", "/consultations/:key/definition.json", Staff, "consultations", h.exportDefinition},
		{"GET", "/consultations/import", Facilitator, "consultations", h.importDefinitionForm},
		{"POST", "/consultations/import", Facilitator, "consultations", h.importDefinition},
		{"GET", "/consultations/:key/positions/import", Facilitator, "consultations", h.importPositionsForm},
		{"POST", "/consultations/:key/positions/import", Facilitator, "consultations", h.importPositions},

		// Drafts and the silence procedure (drafts.go, silence.go): what
		// each account sees is further decided by the access package.
		{"GET", "/consultations/:key/drafts", SignedIn, "consultations", h.draftsPage},
		{"POST", "/consultations/:key/drafts", Facilitator, "consultations", h.createDraft},
		{"GET", "/consultations/:key/drafts/:n", SignedIn, "consultations", h.draftPage},
		{"POST", "/consultations/:key/drafts/:n", Facilitator, "consultations", h.saveDraft},
		{"GET", "/consultations/:key/drafts/:n/versions/:v", SignedIn, "consultations", h.versionPage},
		{"POST", "/consultations/:key/drafts/:n/versions/:v/circulate", Facilitator, "consultations", h.circulate},
		{"GET", "/consultations/:key/drafts/:n/compare", SignedIn, "consultations", h.compareVersions},
		{"GET", "/consultations/:key/drafts/:n/procedures/:pid", SignedIn, "consultations", h.procedurePage},
		{"POST", "/consultations/:key/drafts/:n/procedures/:pid/extend", Facilitator, "consultations", h.extendProcedure},
		{"POST", "/consultations/:key/drafts/:n/procedures/:pid/cancel", Facilitator, "consultations", h.cancelProcedure},
		{"POST", "/consultations/:key/drafts/:n/procedures/:pid/share", Facilitator, "consultations", h.shareObjections},
		{"POST", "/consultations/:key/drafts/:n/procedures/:pid/record", Facilitator, "consultations", h.recordOnBehalf},
		{"GET", "/consultations/:key/drafts/:n/procedures/:pid/members/:member", SignedIn, "consultations", h.memberProcedurePage},
		{"POST", "/consultations/:key/drafts/:n/procedures/:pid/members/:member", SignedIn, "consultations", h.act},
		{"GET", "/consultations/:key/drafts/:n/adopted", SignedIn, "consultations", h.adoptedPage},
		{"GET", "/consultations/:key/drafts/:n/adopted.pdf", SignedIn, "consultations", h.adoptedPDF},
		{"GET", "/consultations/:key/drafts/:n/adopted.md", SignedIn, "consultations", h.adoptedMarkdown},
		{"GET", "/consultations/:key/drafts/:n/print.css", SignedIn, "", h.draftPrintCSS},

		{"GET", "/accounts", Facilitator, "accounts", h.accounts},
		{"POST", "/accounts/invitations", Facilitator, "accounts", h.createInvitation},

		// Access control and the signed-in person's own account.
		{"POST", "/accounts/invitations/:id/revoke", Facilitator, "accounts", h.revokeInvitation},
		{"POST", "/accounts/users/:id/revoke", Facilitator, "accounts", h.revokeAccount},
		{"POST", "/accounts/users/:id/role", Facilitator, "accounts", h.changeRole},
		{"POST", "/accounts/users/:id/approver", Facilitator, "accounts", h.setApprover},
		{"GET", "/audit", Facilitator, "audit", h.auditLog},
		{"GET", "/audit.csv", Facilitator, "audit", h.auditCSV},
		{"GET", "/account/sessions", SignedIn, "account", h.sessions},
		{"POST", "/account/sessions/end-all", SignedIn, "account", h.endAllSessions},
		{"POST", "/account/sessions/:id/end", SignedIn, "account", h.endSession},
		{"GET", "/account/password", SignedIn, "account", h.passwordForm},
		{"POST", "/account/password", SignedIn, "account", h.changePassword},

		// API tokens (the JSON API itself is in package api, with its
		// own table: handlers/api/routes.go).
		{"GET", "/account/tokens", SignedIn, "tokens", h.listTokens},
		{"POST", "/account/tokens", SignedIn, "tokens", h.createToken},
		{"POST", "/account/tokens/:id/revoke", SignedIn, "tokens", h.revokeToken},
	}
}

// API is the JSON API the router mounts.
func (h *Handler) API() *api.API { return h.api }

// Routes is every route the router serves: the web table (WebRoutes), then
// the API's (api.Routes), with the API's access levels under their own
// names.
func (h *Handler) Routes() []Route {
	out := h.WebRoutes()
	for _, rt := range h.api.Routes() {
		out = append(out, Route{Method: rt.Method, Path: rt.Path, Access: Access(rt.Access), Handler: rt.Handler})
	}
	return out
}

// NewRouter returns the engine serving every route of the web table and
// of the API's, with the middleware every request passes through.
func NewRouter(h *Handler) *gin.Engine {
	r := gin.New()
	// The client address (sign-in throttling, audit) comes from
	// X-Forwarded-For only when the peer is a configured proxy.
	if err := r.SetTrustedProxies(h.cfg.TrustedProxies); err != nil {
		h.log.Error("invalid trusted proxies; trusting none", "err", err)
		_ = r.SetTrustedProxies(nil) // nil never fails
	}
	r.HTMLRender = h.render
	r.RedirectTrailingSlash = true
	r.HandleMethodNotAllowed = true
	r.Use(h.requestLog, gin.CustomRecovery(func(c *gin.Context, err any) {
		h.log.Error("panic", "route", c.FullPath(), "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
	}), h.renderErrors, h.securityHeaders, h.limitBody, withoutAPI(h.loadSession), h.csrf)
	r.NoRoute(func(c *gin.Context) {
		if api.IsPath(c.Request.URL.Path) {
			api.NoRoute(c)
			return
		}
		h.errorPage(c, http.StatusNotFound, "There is no page at this address.")
	})
	r.NoMethod(func(c *gin.Context) {
		h.errorPage(c, http.StatusMethodNotAllowed, "This address does not accept that kind of request.")
	})
	for _, rt := range h.WebRoutes() {
		chain := []gin.HandlerFunc{}
		if rt.Nav != "" {
			chain = append(chain, nav(rt.Nav))
		}
		switch rt.Access {
		case SignedIn, MemberScope, Staff, Facilitator, Delegate:
			chain = append(chain, h.require(levelRule(rt.Access)))
		}
		r.Handle(rt.Method, rt.Path, append(chain, rt.Handler)...)
	}
	h.api.Register(r)
	return r
}

func loginURL(next string) string { return "/login?next=" + url.QueryEscape(safeNext(next)) }
