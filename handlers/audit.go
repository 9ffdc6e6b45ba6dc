package handlers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/export"
	"concord/models"
)

// auditPageSize is the number of events per page of the audit log.
const auditPageSize = 50

// auditQuery is the filter form of the audit log (a GET form: the filter
// is part of the address, so a filtered view can be bookmarked).
type auditQuery struct {
	Action string `form:"action"`
	User   string `form:"user"`   // account ID
	Member string `form:"member"` // member code
	From   string `form:"from"`   // first day, YYYY-MM-DD (UTC)
	To     string `form:"to"`     // last day, YYYY-MM-DD (UTC), inclusive
	Page   string `form:"page"`
}

const dayLayout = "2006-01-02"

// auditFilter turns the form into a store filter, with a message per invalid
// field.
func (h *Handler) auditFilter(c *gin.Context, q *auditQuery) (models.AuditFilter, map[string]string, error) {
	var f models.AuditFilter
	errs := map[string]string{}
	q.Action = strings.TrimSpace(q.Action)
	if len(q.Action) > 64 {
		errs["action"] = "Choose an event type from the list."
	}
	f.Action = q.Action
	if q.User = strings.TrimSpace(q.User); q.User != "" {
		id, err := strconv.ParseUint(q.User, 10, 32)
		if err != nil || id == 0 {
			errs["user"] = "Choose an account from the list."
		}
		f.UserID = uint(id)
	}
	if q.Member = strings.TrimSpace(q.Member); q.Member != "" {
		m, err := h.store.MemberByCode(c.Request.Context(), q.Member)
		switch {
		case errors.Is(err, models.ErrNotFound):
			errs["member"] = "Choose a member from the list."
		case err != nil:
			return f, nil, err
		default:
			f.MemberID = m.ID
		}
	}
	day := func(field, v string) time.Time {
		if v = strings.TrimSpace(v); v == "" {
			return time.Time{}
		}
		t, err := time.Parse(dayLayout, v)
		if err != nil {
			errs[field] = "Give a date as YYYY-MM-DD."
		}
		return t
	}
	f.Since = day("from", q.From)
	if to := day("to", q.To); !to.IsZero() {
		f.Until = to.AddDate(0, 0, 1)
		if !f.Since.IsZero() && to.Before(f.Since) {
			errs["to"] = "The last day must not be before the first day."
		}
	}
	if len(errs) == 0 {
		errs = nil
	}
	return f, errs, nil
}

// values is the query string of the filter, without the page.
func (q auditQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"action": q.Action, "user": q.User, "member": q.Member, "from": q.From, "to": q.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func auditURL(path string, v url.Values, page int) string {
	if page > 1 {
		v = cloneValues(v)
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, s := range v {
		out[k] = append([]string(nil), s...)
	}
	return out
}

// bindAuditFilter reads the filter of the audit pages from the query. It
// answers the request itself (and returns ok false) when the query cannot
// be read or the store fails; errs holds the messages of invalid fields.
func (h *Handler) bindAuditFilter(c *gin.Context) (q auditQuery, f models.AuditFilter, errs map[string]string, ok bool) {
	if err := c.ShouldBindQuery(&q); err != nil {
		h.errorPage(c, http.StatusBadRequest, "The filter could not be read.")
		return q, f, nil, false
	}
	f, errs, err := h.auditFilter(c, &q)
	if err != nil {
		h.fail(c, err)
		return q, f, nil, false
	}
	return q, f, errs, true
}

// auditLog shows the audit log to facilitators, filtered and paginated.
func (h *Handler) auditLog(c *gin.Context) {
	q, f, errs, ok := h.bindAuditFilter(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	users, err := h.store.Users(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	members, err := h.store.Members(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	actions, err := h.store.AuditActions(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := gin.H{"Form": q, "Users": users, "Members": members, "Actions": actions}
	if errs != nil {
		h.pageErrors(c, http.StatusUnprocessableEntity, "audit", "Audit log", d, errs)
		return
	}
	total, err := h.store.AuditCount(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	pages := max(1, int((total+auditPageSize-1)/auditPageSize))
	page, _ := strconv.Atoi(q.Page)
	page = min(max(page, 1), pages)
	f.Offset, f.Limit = (page-1)*auditPageSize, auditPageSize
	records, err := h.store.Audit(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	head, err := h.store.AuditChainHead(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	v := q.values()
	d["Records"], d["Total"], d["Page"], d["Pages"] = records, int(total), page, pages
	d["Head"], d["HeadPending"] = head, int(head.Pending)
	d["CSV"] = auditURL("/audit.csv", v, 0)
	if page > 1 {
		d["Prev"] = auditURL("/audit", v, page-1)
	}
	if page < pages {
		d["Next"] = auditURL("/audit", v, page+1)
	}
	h.page(c, http.StatusOK, "audit", "Audit log", d)
}

// auditCSV exports the filtered audit log as CSV, every matching event,
// newest first. Text cells are protected against spreadsheet formula
// injection (export.Escape). The export itself is recorded in the log.
//
// The last column, chain_hash, is each entry's hash in the audit chain
// (empty while not linked yet); columns are only ever appended. The
// header X-Concord-Audit-Head carries the chain head (ID:HASH) read
// before the rows, to record elsewhere and check later with
// `concord audit verify -expect`.
func (h *Handler) auditCSV(c *gin.Context) {
	q, f, errs, ok := h.bindAuditFilter(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if errs != nil {
		msgs := make([]string, 0, len(errs))
		for _, m := range errs {
			msgs = append(msgs, m)
		}
		h.errorPage(c, http.StatusUnprocessableEntity, "The export filter is not valid: "+strings.Join(msgs, " "))
		return
	}
	head, err := h.store.AuditChainHead(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "time_utc", "action", "username", "member", "subject", "detail", "chain_hash"}) // writes to memory
	n := 0
	f.Limit = 1000
	for {
		batch, err := h.store.Audit(ctx, f)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, r := range batch {
			_ = w.Write([]string{strconv.FormatUint(uint64(r.ID), 10), r.At.UTC().Format(time.RFC3339),
				export.Escape(r.Action), export.Escape(r.Username), export.Escape(r.MemberCode), export.Escape(r.Subject), export.Escape(r.Detail), r.ChainHash})
		}
		n += len(batch)
		if len(batch) < f.Limit {
			break
		}
		f.BeforeID = batch[len(batch)-1].ID
	}
	w.Flush()
	if err := w.Error(); err != nil {
		h.fail(c, fmt.Errorf("write audit CSV: %w", err))
		return
	}
	u := currentUser(c)
	h.audit(c, models.AuditEvent{UserID: &u.ID, Action: models.AuditExported, Subject: "audit log",
		Detail: fmt.Sprintf("%d event(s); filter %s", n, q.values().Encode())})
	name := "concord-audit-" + h.store.Now().Format("20060102-1504") + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	if head.ID != 0 {
		c.Header("X-Concord-Audit-Head", head.String())
	}
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
