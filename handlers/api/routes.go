package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/models"
)

// Access says who may call an API route. Each level needing a token is a
// rule of the access policy (package access); handlers then check the
// consultation and member a request names with the policy too.
type Access string

const (
	Public      Access = "public"       // anyone, no token: the OpenAPI document
	Bearer      Access = "bearer"       // a token of any account (access.SignedIn)
	BearerStaff Access = "bearer-staff" // a token of a facilitator or observer (access.CanReadAttributed)
)

// rule is the access policy's rule of a level that needs a token.
func (l Access) rule() func(*models.User) bool {
	switch l {
	case Bearer:
		return access.SignedIn
	case BearerStaff:
		return access.CanReadAttributed
	}
	return nil
}

// Route is one entry of the API's route table.
type Route struct {
	Method  string
	Path    string
	Access  Access
	Handler gin.HandlerFunc
}

// Routes is every route of the API, in one table. The OpenAPI document
// (openapi.json) lists exactly these; a test compares them.
func (a *API) Routes() []Route {
	return []Route{
		{"GET", "/api/v1/openapi.json", Public, openAPI},
		{"GET", "/api/v1/consultations", Bearer, a.listConsultations},
		{"GET", "/api/v1/consultations/:key", Bearer, a.getConsultation},
		{"GET", "/api/v1/consultations/:key/positions", Bearer, a.getPositions},
		{"PUT", "/api/v1/consultations/:key/positions", Bearer, a.putPositions},
		{"GET", "/api/v1/consultations/:key/report", BearerStaff, a.report},
		{"GET", "/api/v1/consultations/:key/exports/:file", BearerStaff, a.exportFile},
		{"POST", "/api/v1/consultations/:key/rounds", Bearer, a.openRound}, // facilitators only: checked in the handler
		{"GET", "/api/v1/consultations/:key/drafts", Bearer, a.listDrafts},
		{"GET", "/api/v1/consultations/:key/drafts/:n/versions/:v", Bearer, a.getVersion},
		{"GET", "/api/v1/consultations/:key/drafts/:n/procedures/:id", Bearer, a.getProcedure},
		{"GET", "/api/v1/consultations/:key/drafts/:n/adopted.md", Bearer, a.adoptedMarkdown},
		{"POST", "/api/v1/consultations/:key/drafts/:n/procedures/:id/actions", Bearer, a.postAction}, // who acts for which member: checked in the handler
	}
}

// Register adds every route of the table to the router, behind the token
// authentication its access level asks for. The router's shared
// middleware (security headers, body limit, cross-origin check) runs
// first; it must skip session cookies on API paths (see IsPath) and answer
// them with Error.
func (a *API) Register(r gin.IRoutes) {
	for _, rt := range a.Routes() {
		chain := []gin.HandlerFunc{}
		if rule := rt.Access.rule(); rule != nil {
			chain = append(chain, a.auth(rule))
		}
		r.Handle(rt.Method, rt.Path, append(chain, rt.Handler)...)
	}
}

// openAPIDocument describes every /api/v1 endpoint (OpenAPI 3.1). A test
// checks that it lists every route of the table.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI: GET /api/v1/openapi.json. It needs no token: it describes the
// API and holds no data.
func openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPIDocument)
}
