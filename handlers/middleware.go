package handlers

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/handlers/api"
	"concord/models"
)

const (
	sessionCookie = "concord_session"
	flashCookie   = "concord_flash"
	userKey       = "concord.user"
	sessionKey    = "concord.session"
	navKey        = "concord.nav"
	// formExpiredKey marks a post whose form token was not the session's.
	formExpiredKey = "concord.form_expired"
)

// contentSecurityPolicy allows nothing but this origin: no inline script,
// no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// requestLog writes one structured line per request. It logs the route
// pattern, not the raw path, so tokens in URLs never reach the log.
func (h *Handler) requestLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	level := slog.LevelInfo
	if c.Writer.Status() >= 500 {
		level = slog.LevelError
	}
	attrs := []any{"method", c.Request.Method, "route", route, "status", c.Writer.Status(),
		"duration_ms", time.Since(start).Milliseconds(), "bytes", c.Writer.Size()}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user", u.Username)
	}
	h.log.Log(c.Request.Context(), level, "request", attrs...)
}

// renderErrors turns a render failure (nothing written yet) into a clean 500.
func (h *Handler) renderErrors(c *gin.Context) {
	c.Next()
	if len(c.Errors) > 0 && !c.Writer.Written() {
		h.log.Error("render failed", "route", c.FullPath(), "err", c.Errors.Last().Err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8",
			[]byte("Something went wrong on our side; please try again."))
	}
}

// securityHeaders sets the headers every response carries. HTML pages carry
// positions, so nothing but static files may be cached.
func (h *Handler) securityHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	// HSTS whenever the browser reached us over HTTPS: directly, or through
	// a TLS-terminating proxy (which -secure-cookies declares).
	if h.secure(c) {
		hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	// Static files replace this with their own long-lived caching.
	hd.Set("Cache-Control", "no-store")
	c.Next()
}

// limitBody caps request bodies; reading past the cap fails and the form
// parser answers 413.
func (h *Handler) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, h.cfg.MaxBodyBytes)
	}
	c.Next()
}

// loadSession attaches the signed-in user, if any, to the request.
func (h *Handler) loadSession(c *gin.Context) {
	token, err := c.Cookie(sessionCookie)
	if err == nil && token != "" {
		sess, u, err := h.store.SessionByToken(c.Request.Context(), token, h.cfg.Sessions)
		switch {
		case err == nil:
			c.Set(sessionKey, sess)
			c.Set(userKey, u)
		case errors.Is(err, models.ErrNotFound):
			h.clearSessionCookie(c)
		default:
			h.fail(c, err)
			return
		}
	}
	c.Next()
}

// csrf rejects cross-origin state-changing requests (Sec-Fetch-Site and
// Origin checks of the standard library) and, for signed-in users, posts
// without the session's form token.
func (h *Handler) csrf(c *gin.Context) {
	if err := h.cop.Check(c.Request); err != nil {
		h.errorPage(c, http.StatusForbidden, "This request came from another site and was refused.")
		return
	}
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if sess := currentSession(c); sess != nil {
		if !h.parseForm(c) {
			return
		}
		got := c.Request.PostFormValue("csrf_token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			// The position form is long and slow to fill: rather than
			// lose it, its handler re-renders what was posted, with a
			// fresh token, and saves nothing. The request has passed the
			// cross-origin check above and carries the signed-in
			// session; the handler still checks that the user may act
			// for the member.
			if c.Request.Method == http.MethodPost && c.FullPath() == positionFormRoute {
				c.Set(formExpiredKey, true)
				c.Next()
				return
			}
			h.errorPage(c, http.StatusForbidden, "This form has expired. Go back, reload the page and submit it again.")
			return
		}
	}
	c.Next()
}

// positionFormRoute is the route of the position form, the one form whose
// posted values come back when its token has expired.
const positionFormRoute = "/consultations/:key/positions/:member"

// formTokenExpired reports whether csrf let the request through only to
// show its values again: its form token was not the session's. Such a
// request must never write.
func formTokenExpired(c *gin.Context) bool {
	return c.GetBool(formExpiredKey)
}

// require lets through only users the access policy's rule allows;
// anonymous users are sent to the login page.
func (h *Handler) require(allowed func(*models.User) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		if u == nil {
			switch {
			case c.Request.Method == http.MethodGet:
				c.Redirect(http.StatusSeeOther, loginURL(c.Request.URL.RequestURI()))
			case c.FullPath() == positionFormPath:
				// A form posted after the session ended (a delegate who
				// drafted longer than the idle time): nothing is saved,
				// the browser keeps the typed values, and signing in
				// leads back to the form.
				h.page(c, http.StatusUnauthorized, "error", "Please sign in first", gin.H{"Status": http.StatusUnauthorized,
					"Message": "Your session has ended, so nothing was saved. Sign in again: the answers you typed are kept in this browser and come back when the form opens.",
					"SignIn":  loginURL(c.Request.URL.Path)})
			default:
				h.errorPage(c, http.StatusUnauthorized, "Please sign in first.")
			}
			c.Abort()
			return
		}
		if !allowed(u) {
			h.forbidden(c)
			return
		}
		c.Next()
	}
}

// withoutAPI runs a middleware on every request except those to the API,
// which authenticate with bearer tokens only.
func withoutAPI(mw gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if api.IsPath(c.Request.URL.Path) {
			c.Next()
			return
		}
		mw(c)
	}
}

// nav marks the active navigation entry.
func nav(name string) gin.HandlerFunc {
	return func(c *gin.Context) { c.Set(navKey, name); c.Next() }
}

// currentUser is the account making the request: the session's on a page,
// the token's on an API request (which shared code such as the request log
// and the download audit also read).
func currentUser(c *gin.Context) *models.User {
	if v, ok := c.Get(userKey); ok {
		return v.(*models.User)
	}
	return api.User(c)
}

func currentSession(c *gin.Context) *models.Session {
	if v, ok := c.Get(sessionKey); ok {
		return v.(*models.Session)
	}
	return nil
}

func (h *Handler) setSessionCookie(c *gin.Context, token string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: h.secure(c), SameSite: http.SameSiteLaxMode, MaxAge: int(h.cfg.Sessions.Absolute.Seconds())})
}

func (h *Handler) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: h.secure(c), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func setFlash(c *gin.Context, msg string, secure bool) {
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// takeFlash reads and clears the flash message.
func takeFlash(c *gin.Context) string {
	v, err := c.Cookie(flashCookie)
	if err != nil || v == "" {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 300 {
		return ""
	}
	return string(b)
}

// safeNext keeps a post-login redirect on this site: a path on this host,
// never "//host" nor anything a browser would read as one (browsers drop
// tabs and newlines from a Location and take a backslash for a slash).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	return next
}

// ParseTrustedProxies reads a comma-separated list of proxy addresses or
// CIDRs (CONCORD_TRUSTED_PROXIES). An empty list trusts no proxy: the
// client address is then the peer's address. A list that would trust every
// address is refused, since it lets any client choose its own address.
func ParseTrustedProxies(list string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		cidr := item
		if !strings.Contains(cidr, "/") {
			ip, err := netip.ParseAddr(cidr)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR", item)
			}
			cidr = netip.PrefixFrom(ip, ip.BitLen()).String()
		}
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR", item)
		}
		if p.Bits() == 0 {
			return nil, fmt.Errorf("trusted proxy %q would trust every address; list the proxies' own addresses", item)
		}
		out = append(out, item)
	}
	return out, nil
}
