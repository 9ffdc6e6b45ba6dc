// Package handlers is Concord's HTTP layer: routing, sessions, forms and
// pages. It binds and validates input, calls the Store, hands report
// structs to templates, and computes no metrics of its own.
package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/handlers/api"
	"concord/models"
	"concord/static"
	"concord/templates"
)

// Config is the part of the server configuration the handlers use.
type Config struct {
	Sessions models.SessionPolicy
	// SecureCookies forces the Secure flag (behind a TLS-terminating
	// proxy); cookies are Secure anyway on requests that arrived over TLS.
	SecureCookies bool
	MaxBodyBytes  int64
	InvitationTTL time.Duration
	// TrustedProxies lists the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For is believed; empty trusts none.
	TrustedProxies []string
	// Throttle bounds failed sign-ins; the zero value means
	// models.DefaultThrottle().
	Throttle models.ThrottlePolicy
	// BaseURL is the address people reach Concord at (scheme and host,
	// maybe a path, no trailing slash). Every link Concord hands out, such
	// as an invitation, is built on it, never on a request's Host header.
	BaseURL string
}

// DefaultConfig returns the settings used when nothing is configured.
func DefaultConfig() Config {
	return Config{
		Sessions:      models.SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour},
		MaxBodyBytes:  1 << 20,
		InvitationTTL: 7 * 24 * time.Hour,
		BaseURL:       "http://127.0.0.1:8080",
	}
}

// Handler holds the dependencies of every HTTP handler.
type Handler struct {
	store  *models.Store
	render *Renderer
	assets *assets
	log    *slog.Logger
	cfg    Config
	cop    *http.CrossOriginProtection
	api    *api.API // the JSON API, mounted by NewRouter
	// reports caches the analyses of the rounds viewed last (reportcache.go).
	reports *reportCache
}

// New builds a Handler, parsing every template; a broken template is an
// error here, at start-up.
func New(store *models.Store, log *slog.Logger, cfg Config) (*Handler, error) {
	a, err := newAssets(static.FS)
	if err != nil {
		return nil, err
	}
	r, err := NewRenderer(templates.FS, templateFuncs(a))
	if err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultConfig().MaxBodyBytes
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL == "" {
		return nil, errors.New("no base URL: links would have to come from requests")
	}
	h := &Handler{store: store, render: r, assets: a, log: log, cfg: cfg, cop: http.NewCrossOriginProtection(),
		reports: newReportCache(reportCacheSize)}
	h.api = api.New(api.Deps{Store: store, Log: log, Audit: h.audit, ExportPack: h.exportPackRound, Report: h.analysedReport,
		Downloaded: func(c *gin.Context, cons *models.Consultation, file string, round int) {
			h.recordRoundDownload(c, cons, file, round, false)
		}})
	return h, nil
}

// view is what every page template receives.
type view struct {
	Title  string
	User   *models.User
	CSRF   string
	Flash  string
	Nav    string
	Errors map[string]string
	D      any
}

// page renders a full HTML page.
func (h *Handler) page(c *gin.Context, status int, name, title string, d any) {
	h.pageErrors(c, status, name, title, d, nil)
}

func (h *Handler) pageErrors(c *gin.Context, status int, name, title string, d any, errs map[string]string) {
	v := view{Title: title, User: currentUser(c), Flash: takeFlash(c), Errors: errs, D: d}
	if s := currentSession(c); s != nil {
		v.CSRF = s.CSRFToken
	}
	v.Nav = c.GetString(navKey)
	c.HTML(status, name, v)
}

// errorTitles head the error pages in plain words (not HTTP's "Conflict"
// or "Unprocessable Entity").
var errorTitles = map[int]string{
	http.StatusBadRequest:            "The request could not be read",
	http.StatusUnauthorized:          "Please sign in",
	http.StatusForbidden:             "Not open to your account",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Not possible at this address",
	http.StatusConflict:              "Not possible now",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusUnprocessableEntity:   "Please check what you entered",
	http.StatusTooManyRequests:       "Please wait",
	http.StatusInternalServerError:   "Something went wrong",
	http.StatusServiceUnavailable:    "Temporarily unavailable",
}

// errorPage answers with a plain-language error page.
func (h *Handler) errorPage(c *gin.Context, status int, message string) {
	if api.IsPath(c.Request.URL.Path) { // the API answers in JSON, even from shared middleware
		api.Error(c, status, "", message, nil)
		return
	}
	title, ok := errorTitles[status]
	if !ok {
		title = http.StatusText(status)
	}
	h.page(c, status, "error", title, gin.H{"Status": status, "Message": message})
	c.Abort()
}

// fail maps a Store error to a status and page; unexpected errors are
// logged once, here, and shown without internals.
func (h *Handler) fail(c *gin.Context, err error) {
	var conflict *models.ConflictError
	switch {
	case errors.Is(err, models.ErrNotFound):
		h.errorPage(c, http.StatusNotFound, "We could not find what you asked for. It may have been removed, or the address may be mistyped.")
	case errors.Is(err, models.ErrClosed):
		h.errorPage(c, http.StatusConflict, "This consultation is not accepting positions: it is not open, or its deadline has passed. Nothing was saved.")
	case errors.As(err, &conflict):
		h.errorPage(c, http.StatusConflict, conflict.Message)
	default:
		h.log.Error("request failed", "route", c.FullPath(), "method", c.Request.Method, "err", err)
		h.errorPage(c, http.StatusInternalServerError, "Something went wrong on our side. Nothing you did caused it; please try again.")
	}
}

func (h *Handler) forbidden(c *gin.Context) {
	h.errorPage(c, http.StatusForbidden, "Your account does not give access to this page.")
}

// parseForm reads a posted form, answering 413 when the body is too large.
func (h *Handler) parseForm(c *gin.Context) bool {
	var err error
	if c.ContentType() == "multipart/form-data" {
		err = c.Request.ParseMultipartForm(h.cfg.MaxBodyBytes)
	} else {
		// Not ParseMultipartForm: for a body that is not multipart it drops
		// ParseForm's error, so an oversized form would pass truncated.
		err = c.Request.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.errorPage(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("The form was larger than %d KB and was not saved.", h.cfg.MaxBodyBytes>>10))
			return false
		}
		h.errorPage(c, http.StatusBadRequest, "The form could not be read. Please reload the page and try again.")
		return false
	}
	return true
}

// redirect answers a successful POST: 303 to a GET, with a flash message.
func (h *Handler) redirect(c *gin.Context, to, flash string) {
	if flash != "" {
		setFlash(c, flash, h.secure(c))
	}
	c.Redirect(http.StatusSeeOther, to)
}

func (h *Handler) secure(c *gin.Context) bool { return h.cfg.SecureCookies || c.Request.TLS != nil }
