// Package api is Concord's JSON API under /api/v1, for automation and
// other tools. It is a sibling of the web handlers over the same Store,
// with its own route table (routes.go), its own authentication and its
// own error format:
//
//   - Callers authenticate with a bearer token created on /account/tokens;
//     session cookies are ignored, so the API needs no form token and a
//     page on another site cannot act through a signed-in browser. A token
//     has the rights of its account, as the access policy (package access)
//     grants them.
//   - Every error, from a handler or from middleware shared with the web
//     pages, is a JSON body {"error": {"code", "message", "fields"}}.
//   - Positions are validated by the Store alone, as for the position form
//     and the import: the API translates JSON (types, unknown fields, an
//     option given by its text) and reports the Store's messages at the
//     JSON path of the position they concern.
//
// The web router mounts it with Register; the contract is described by the
// OpenAPI document served at /api/v1/openapi.json.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/consensus"
	"concord/export"
	"concord/models"
)

// Deps are what the API needs from the application.
type Deps struct {
	Store *models.Store
	Log   *slog.Logger
	// Audit records an event of the audit log; a failure to record is
	// logged by it and not answered.
	Audit func(*gin.Context, models.AuditEvent)
	// ExportPack builds the export pack of a round of a consultation, the
	// same as the web exports page offers.
	ExportPack func(ctx context.Context, cons *models.Consultation, round int) (*export.Pack, error)
	// Report returns the analysis of a round, from the report cache the web
	// pages share; nil analyses the round on every request.
	Report func(ctx context.Context, cons *models.Consultation, round int) (*consensus.Report, error)
	// Downloaded audits the download of one export file of a round by the
	// request's account, as a download from the exports page is.
	Downloaded func(c *gin.Context, cons *models.Consultation, file string, round int)
}

// API serves the JSON API.
type API struct {
	store *models.Store
	log   *slog.Logger
	deps  Deps
}

// New returns the API over the given dependencies.
func New(d Deps) *API {
	return &API{store: d.Store, log: d.Log, deps: d}
}

// Context keys of an authenticated API request.
const (
	userKey  = "concord.api.user"
	tokenKey = "concord.api.token"
)

// IsPath reports whether a request path belongs to the JSON API.
func IsPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// User is the account of an API request's token; nil before
// authentication and outside the API.
func User(c *gin.Context) *models.User {
	if v, ok := c.Get(userKey); ok {
		return v.(*models.User)
	}
	return nil
}

// errorBody is the shape of every API error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// codes names the error codes of the statuses the API answers with.
var codes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "validation_failed",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "internal_error",
	http.StatusServiceUnavailable:    "unavailable",
}

// Error answers with a JSON error and stops the chain. An empty code
// takes the status's usual code.
func Error(c *gin.Context, status int, code, message string, fields map[string]string) {
	if code == "" {
		code = codes[status]
		if code == "" {
			code = "error"
		}
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: message, Fields: fields}})
}

// fail maps a Store error to a JSON error; unexpected errors are logged
// once, here, and answered without internals.
func (a *API) fail(c *gin.Context, err error) {
	var conflict *models.ConflictError
	switch {
	case errors.Is(err, models.ErrNotFound):
		Error(c, http.StatusNotFound, "", "We could not find what you asked for.", nil)
	case errors.Is(err, models.ErrClosed):
		Error(c, http.StatusConflict, "consultation_closed",
			"This consultation is not accepting positions: it is not open, or its deadline has passed. Nothing was saved.", nil)
	case errors.As(err, &conflict):
		Error(c, http.StatusConflict, "", conflict.Message, nil)
	default:
		a.log.Error("API request failed", "route", c.FullPath(), "method", c.Request.Method, "err", err)
		Error(c, http.StatusInternalServerError, "", "Something went wrong on our side. Please try again.", nil)
	}
}

// NoRoute answers unknown API addresses.
func NoRoute(c *gin.Context) {
	Error(c, http.StatusNotFound, "", "There is no API endpoint at this address. The endpoints are listed in /api/v1/openapi.json.", nil)
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// auth authenticates the bearer token and lets through only accounts
// the access policy's rule allows. The account is checked on every request.
func (a *API) auth(allowed func(*models.User) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="concord"`)
			Error(c, http.StatusUnauthorized, "", "Send an API token in the header “Authorization: Bearer <token>”. Create one on /account/tokens.", nil)
			return
		}
		tok, u, err := a.store.AuthenticateAPIToken(c.Request.Context(), token)
		if errors.Is(err, models.ErrBadToken) {
			c.Header("WWW-Authenticate", `Bearer realm="concord", error="invalid_token"`)
			Error(c, http.StatusUnauthorized, "invalid_token", "This API token is not valid: it may be mistyped, revoked or expired, or its account revoked.", nil)
			return
		}
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Set(userKey, u)
		c.Set(tokenKey, tok)
		if !allowed(u) {
			Error(c, http.StatusForbidden, "", "Your account does not give access to this endpoint.", nil)
			return
		}
		c.Next()
	}
}

// user is the account of the request's token. A route registered
// without token authentication answers 401 rather than act for nobody.
func (a *API) user(c *gin.Context) (*models.User, bool) {
	if _, ok := c.Get(tokenKey); !ok {
		Error(c, http.StatusUnauthorized, "", "This endpoint needs an API token.", nil)
		return nil, false
	}
	return User(c), true
}

// validation answers 422 with a message per field (JSON path), saying
// that nothing was saved.
func validation(c *gin.Context, fields map[string]string) {
	n := len(fields)
	msg := "1 field needs attention. Nothing was saved."
	if n != 1 {
		msg = fmt.Sprintf("%d fields need attention. Nothing was saved.", n)
	}
	Error(c, http.StatusUnprocessableEntity, "", msg, fields)
}

// jsonProblem names the field of a decoding error and explains it.
func jsonProblem(err error) (field, msg string) {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field = typeErr.Field
		switch typeErr.Type.Kind() {
		case reflect.Int:
			return field, "Must be a whole number."
		case reflect.String:
			return field, "Must be a string."
		case reflect.Slice:
			return field, "Must be a list."
		case reflect.Bool:
			return field, "Must be true or false."
		}
		return field, "Has the wrong type."
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(name, `"`), "Unknown field."
	}
	return "", err.Error()
}

// decode reads a JSON request body into v: 415 for another content
// type, 413 when too large, 400 when not JSON, 422 for unknown fields and
// wrong types.
func decode(c *gin.Context, v any) bool {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			Error(c, http.StatusUnsupportedMediaType, "", "Send the body as JSON, with “Content-Type: application/json”.", nil)
			return false
		}
	}
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			Error(c, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("The body is larger than %d KB. Nothing was saved.", tooBig.Limit>>10), nil)
			return false
		}
		Error(c, http.StatusBadRequest, "", "The body could not be read.", nil)
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		Error(c, http.StatusBadRequest, "invalid_json", "The body is empty; send a JSON object.", nil)
		return false
	}
	if !json.Valid(data) {
		Error(c, http.StatusBadRequest, "invalid_json", "The body is not valid JSON.", nil)
		return false
	}
	// encoding/json would silently replace invalid UTF-8 and lone
	// surrogates by U+FFFD: refuse them as the web forms do.
	if path, ok := models.JSONTextProblem(data); !ok {
		if path == "" {
			path = "body"
		}
		validation(c, map[string]string{path: models.JSONTextMessage})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field, msg := jsonProblem(err)
		if field == "" {
			Error(c, http.StatusBadRequest, "invalid_json", "The body must be a JSON object.", nil)
			return false
		}
		validation(c, map[string]string{field: msg})
		return false
	}
	return true
}
