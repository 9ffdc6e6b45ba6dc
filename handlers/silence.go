package handlers

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/adopted"
	"concord/models"
)

// The silence procedure's pages: the facilitators' and observers' live
// view of a procedure (who broke silence on which paragraph and why, who
// confirmed, who said nothing), with the facilitators' controls (extend,
// cancel, share objections, record an action on a member's behalf); the
// page where a member breaks or joins silence, withdraws an objection or
// adds a national footnote; and the adopted text (printable page, PDF,
// Markdown). The rules are the Store's and the access package's; pages
// showing a running procedure refresh themselves (static/refresh.js).

// refreshSeconds is how often a page showing a running procedure reloads.
const refreshSeconds = 15

// loadProcedure loads the consultation, draft and procedure :pid named in
// the URL (404 unless the procedure belongs to the draft and the account
// may see the draft).
func (h *Handler) loadProcedure(c *gin.Context) (*models.Consultation, *models.DraftSummary, *models.ProcedureView, bool) {
	cons, d, ok := h.loadDraft(c)
	if !ok {
		return nil, nil, nil, false
	}
	id, ok := h.idParam(c, "pid")
	if !ok {
		return nil, nil, nil, false
	}
	v, err := h.store.ProcedureState(c.Request.Context(), id)
	if err == nil && v.Draft.ID != d.ID {
		err = models.ErrNotFound
	}
	if err != nil {
		h.fail(c, err)
		return nil, nil, nil, false
	}
	return cons, d, v, true
}

func procedurePath(cons *models.Consultation, d *models.DraftSummary, id uint) string {
	return fmt.Sprintf("%s/procedures/%d", draftPath(cons, d.Number), id)
}

// actionRow is an action as the pages list it.
type actionRow struct {
	models.ActionRecord
	At zoned
}

func actionRows(acts []models.ActionRecord, cons *models.Consultation, keep func(models.ActionRecord) bool) []actionRow {
	out := []actionRow{}
	for _, a := range acts {
		if keep == nil || keep(a) {
			out = append(out, actionRow{ActionRecord: a, At: zonedTime(a.ProcedureAction.At, cons.Location())})
		}
	}
	return out
}

// actForm is an action form as posted, to show again with its messages.
type actForm struct {
	ID        string // which form: "record", or the action and paragraph ("broke-3")
	Member    string
	Action    string
	Paragraph int
	Text      string
	Amendment string
}

// procedurePageData is the procedure's page.
type procedurePageData struct {
	Consultation *models.Consultation
	Draft        *models.DraftSummary
	Href         string
	DraftHref    string
	V            *models.ProcedureView
	Deadline     zoned
	Closed       *zoned
	Running      bool
	Refresh      int
	CanDraft     bool
	Members      []memberRow
	Actions      []actionRow
	Paragraphs   []int
	Zone         string
	Form         actForm
	Extend       string
	Reason       string
}

// memberRow is one member's line of the live table.
type memberRow struct {
	models.MemberStand
	Href string
	Last *zoned
}

func (h *Handler) procedurePage(c *gin.Context) {
	cons, d, v, ok := h.loadProcedure(c)
	if !ok {
		return
	}
	u := currentUser(c)
	if access.IsDelegate(u) && u.Member != nil {
		// A delegate's view of a procedure is its member's page.
		c.Redirect(http.StatusSeeOther, procedurePath(cons, d, v.Procedure.ID)+"/members/"+u.Member.Code)
		return
	}
	if !access.CanSeeObjections(u, cons, &v.Procedure) {
		h.forbidden(c)
		return
	}
	h.renderProcedure(c, cons, d, v, http.StatusOK, actForm{}, "", "", nil)
}

func (h *Handler) renderProcedure(c *gin.Context, cons *models.Consultation, d *models.DraftSummary, v *models.ProcedureView, status int,
	form actForm, extend, reason string, errs map[string]string) {
	loc := cons.Location()
	p := &v.Procedure
	data := &procedurePageData{Consultation: cons, Draft: d, Href: procedurePath(cons, d, p.ID), DraftHref: draftPath(cons, d.Number), V: v,
		Deadline: zonedTime(p.Deadline, loc), Running: p.Running(h.store.Now()), CanDraft: access.CanDraft(currentUser(c)),
		Actions: actionRows(v.Actions, cons, nil), Zone: loc.String(), Form: form, Extend: extend, Reason: reason}
	if p.ClosedAt != nil {
		z := zonedTime(*p.ClosedAt, loc)
		data.Closed = &z
	}
	if data.Running && status == http.StatusOK {
		// Not on a refused form shown again: a reload would post it anew.
		data.Refresh = refreshSeconds
	}
	if data.Extend == "" {
		data.Extend = data.Deadline.Input
	}
	for _, m := range v.Members {
		r := memberRow{MemberStand: m, Href: data.Href + "/members/" + m.Member.Code}
		if m.LastAt != nil {
			z := zonedTime(*m.LastAt, loc)
			r.Last = &z
		}
		data.Members = append(data.Members, r)
	}
	for _, para := range v.Version.Paragraphs {
		data.Paragraphs = append(data.Paragraphs, para.Number)
	}
	h.pageErrors(c, status, "procedure", fmt.Sprintf("Silence procedure on %s, version %d", d.Title, p.Version), data, errs)
}

// memberPara is one paragraph of the member's page: the member's own
// standing objection and footnote on it, and, where the objections are
// visible to the account, the other members' standing objections.
type memberPara struct {
	models.Paragraph
	Objection *models.ProcedureAction
	Footnote  *models.ProcedureAction
	Others    []otherObjection
}

type otherObjection struct {
	Member models.Member
	models.ProcedureAction
}

// memberPageData is the page where a member acts in a procedure.
type memberPageData struct {
	Consultation *models.Consultation
	Draft        *models.DraftSummary
	Href         string
	ProcHref     string
	DraftHref    string
	V            *models.ProcedureView
	Member       *models.Member
	Stand        *models.MemberStand
	Deadline     zoned
	Closed       *zoned
	Running      bool
	Refresh      int
	CanAct       bool
	OnBehalf     bool
	SeeOthers    bool
	Staff        bool
	Paragraphs   []memberPara
	Own          []actionRow
	Form         actForm
}

// procedureMember loads the member :member of a procedure's page, if the
// account may see its actions (403 otherwise).
func (h *Handler) procedureMember(c *gin.Context, cons *models.Consultation, v *models.ProcedureView) (*models.Member, bool) {
	m, err := h.store.MemberByCode(c.Request.Context(), strings.ToUpper(strings.TrimSpace(c.Param("member"))))
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	if !access.CanSeeActionsOf(currentUser(c), cons, &v.Procedure, m.ID) {
		h.errorPage(c, http.StatusForbidden, "Your account may not see this member's part in the silence procedure.")
		return nil, false
	}
	return m, true
}

func (h *Handler) memberProcedurePage(c *gin.Context) {
	cons, d, v, ok := h.loadProcedure(c)
	if !ok {
		return
	}
	m, ok := h.procedureMember(c, cons, v)
	if !ok {
		return
	}
	h.renderMemberProcedure(c, cons, d, v, m, http.StatusOK, actForm{}, nil)
}

func (h *Handler) renderMemberProcedure(c *gin.Context, cons *models.Consultation, d *models.DraftSummary, v *models.ProcedureView, m *models.Member,
	status int, form actForm, errs map[string]string) {
	u := currentUser(c)
	loc := cons.Location()
	p := &v.Procedure
	data := &memberPageData{Consultation: cons, Draft: d, ProcHref: procedurePath(cons, d, p.ID), DraftHref: draftPath(cons, d.Number), V: v, Member: m,
		Stand: v.Stand(m.ID), Deadline: zonedTime(p.Deadline, loc), Running: p.Running(h.store.Now()),
		SeeOthers: access.CanSeeObjections(u, cons, p), Staff: access.CanReadAttributed(u), Form: form}
	data.Href = data.ProcHref + "/members/" + m.Code
	data.CanAct = data.Running && access.CanActInProcedure(u, m.ID, cons)
	data.OnBehalf = access.CanActForAnyMember(u)
	if p.ClosedAt != nil {
		z := zonedTime(*p.ClosedAt, loc)
		data.Closed = &z
	}
	if data.Running && status == http.StatusOK {
		// Not on a refused form shown again: a reload would post it anew.
		data.Refresh = refreshSeconds
	}
	if data.Stand == nil {
		data.Stand = &models.MemberStand{Member: *m, Stand: models.StandSilent}
	}
	for _, para := range v.Version.Paragraphs {
		mp := memberPara{Paragraph: para}
		for i := range data.Stand.Objections {
			if data.Stand.Objections[i].Paragraph == para.Number {
				mp.Objection = &data.Stand.Objections[i]
			}
		}
		for i := range data.Stand.Footnotes {
			if data.Stand.Footnotes[i].Paragraph == para.Number {
				mp.Footnote = &data.Stand.Footnotes[i]
			}
		}
		if data.SeeOthers {
			for _, other := range v.Members {
				if other.Member.ID == m.ID {
					continue
				}
				for _, o := range other.Objections {
					if o.Paragraph == para.Number {
						mp.Others = append(mp.Others, otherObjection{Member: other.Member, ProcedureAction: o})
					}
				}
			}
		}
		data.Paragraphs = append(data.Paragraphs, mp)
	}
	data.Own = actionRows(v.Actions, cons, func(a models.ActionRecord) bool { return a.MemberID == m.ID })
	h.pageErrors(c, status, "procedure_member", fmt.Sprintf("%s in the silence procedure on %s", m.Name, d.Title), data, errs)
}

// readAction reads an action form.
func readAction(c *gin.Context) actForm {
	n, _ := strconv.Atoi(strings.TrimSpace(c.PostForm("paragraph")))
	f := actForm{Member: strings.ToUpper(strings.TrimSpace(c.PostForm("member"))), Action: strings.TrimSpace(c.PostForm("action")),
		Paragraph: n, Text: c.PostForm("text"), Amendment: c.PostForm("amendment")}
	f.ID = f.Action + "-" + strconv.Itoa(f.Paragraph)
	if f.Action == models.ActionConfirmed {
		f.ID = models.ActionConfirmed
	}
	return f
}

// actionDone is the flash after an action.
func actionDone(f actForm, m *models.Member, onBehalf bool) string {
	who := "Your"
	if onBehalf {
		who = m.Name + "'s"
	}
	switch f.Action {
	case models.ActionBroke:
		return fmt.Sprintf("Silence broken: %s objection to paragraph %d is recorded.", who, f.Paragraph)
	case models.ActionWithdrew:
		return fmt.Sprintf("%s objection to paragraph %d is withdrawn.", who, f.Paragraph)
	case models.ActionFootnote:
		return fmt.Sprintf("%s national footnote on paragraph %d is recorded.", who, f.Paragraph)
	}
	return fmt.Sprintf("%s answer is recorded: no objection.", who)
}

// act records an action of the member :member (a delegate for its own
// member, or a facilitator on the member's behalf).
func (h *Handler) act(c *gin.Context) {
	cons, d, v, ok := h.loadProcedure(c)
	if !ok {
		return
	}
	m, ok := h.procedureMember(c, cons, v)
	if !ok || !h.parseForm(c) {
		return
	}
	form := readAction(c)
	form.Member = m.Code
	h.recordAction(c, cons, d, v, m, form, func(status int, f actForm, errs map[string]string) {
		h.renderMemberProcedure(c, cons, d, v, m, status, f, errs)
	}, procedurePath(cons, d, v.Procedure.ID)+"/members/"+m.Code)
}

// recordOnBehalf records an action a facilitator received from a member
// (by telegram, letter, …), from the procedure's page.
func (h *Handler) recordOnBehalf(c *gin.Context) {
	cons, d, v, ok := h.loadProcedure(c)
	if !ok || !h.parseForm(c) {
		return
	}
	form := readAction(c)
	form.ID = "record"
	rerender := func(status int, f actForm, errs map[string]string) {
		h.renderProcedure(c, cons, d, v, status, f, "", "", errs)
	}
	m, err := h.store.MemberByCode(c.Request.Context(), form.Member)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			rerender(http.StatusUnprocessableEntity, form, map[string]string{"": "Nothing was recorded.", "record.member": "Choose the member the action comes from."})
			return
		}
		h.fail(c, err)
		return
	}
	h.recordAction(c, cons, d, v, m, form, rerender, procedurePath(cons, d, v.Procedure.ID))
}

func (h *Handler) recordAction(c *gin.Context, cons *models.Consultation, d *models.DraftSummary, v *models.ProcedureView, m *models.Member,
	form actForm, rerender func(int, actForm, map[string]string), next string) {
	u := currentUser(c)
	if !access.CanActInProcedure(u, m.ID, cons) {
		h.errorPage(c, http.StatusForbidden, "Your account may not act for "+m.Name+" in this silence procedure: its head of delegation does"+
			map[bool]string{true: ".", false: ", or any of its delegates."}[cons.RequireApproval]+" Nothing was recorded.")
		return
	}
	_, err := h.store.Act(c.Request.Context(), v.Procedure.ID, models.ActionInput{MemberID: m.ID, Action: form.Action,
		Paragraph: form.Paragraph, Text: form.Text, Amendment: form.Amendment}, u.ID)
	var verr *models.ValidationError
	var conflict *models.ConflictError
	switch {
	case err == nil:
		h.redirect(c, next, actionDone(form, m, access.OnBehalf(u, m.ID)))
	case errors.Is(err, models.ErrCannotAct):
		h.errorPage(c, http.StatusForbidden, "Your account may not act for "+m.Name+" in this silence procedure. Nothing was recorded.")
	case errors.Is(err, models.ErrProcedureNotRunning):
		h.errorPage(c, http.StatusConflict, "The silence procedure is no longer running: its deadline has passed, or it has ended. Nothing was recorded.")
	case errors.As(err, &verr):
		errs := map[string]string{"": "Nothing was recorded: please check the form."}
		for k, msg := range verr.Fields {
			if k == "action" || k == "paragraph" {
				k = "form"
				errs[""] = "Nothing was recorded: " + msg
			}
			errs[form.ID+"."+k] = msg
		}
		rerender(http.StatusUnprocessableEntity, form, errs)
	case errors.As(err, &conflict):
		rerender(http.StatusConflict, form, map[string]string{"": "Nothing was recorded: " + conflict.Message, form.ID + ".form": conflict.Message})
	default:
		h.fail(c, err)
	}
}

func (h *Handler) extendProcedure(c *gin.Context) {
	cons, d, v, ok := h.loadProcedure(c)
	if !ok || !h.parseForm(c) {
		return
	}
	raw := c.PostForm("deadline")
	deadline, msg := parseDeadline(raw, cons.Location())
	err := error(&models.ValidationError{Fields: map[string]string{"deadline": msg}})
	if msg == "" {
		err = h.store.Extend(c.Request.Context(), v.Procedure.ID, deadline, currentUser(c).ID)
	}
	var verr *models.ValidationError
	switch {
	case err == nil:
		z := zonedTime(deadline, cons.Location())
		h.redirect(c, procedurePath(cons, d, v.Procedure.ID), "Deadline extended to "+strings.TrimPrefix(z.Local+", ", ", ")+z.UTC+".")
	case errors.Is(err, models.ErrProcedureNotRunning):
		h.errorPage(c, http.StatusConflict, "The silence procedure is no longer running: its deadline has passed, or it has ended. The deadline was not changed.")
	case errors.As(err, &verr):
		errs := map[string]string{"": "The deadline was not changed."}
		for k, m := range verr.Fields {
			errs["extend."+k] = m
		}
		h.renderProcedure(c, cons, d, v, http.StatusUnprocessableEntity, actForm{}, raw, "", errs)
	default:
		h.fail(c, err)
	}
}

func (h *Handler) cancelProcedure(c *gin.Context) {
	cons, d, v, ok := h.loadProcedure(c)
	if !ok || !h.parseForm(c) {
		return
	}
	reason := c.PostForm("reason")
	err := h.store.Cancel(c.Request.Context(), v.Procedure.ID, reason, currentUser(c).ID)
	var verr *models.ValidationError
	switch {
	case err == nil:
		h.redirect(c, procedurePath(cons, d, v.Procedure.ID), "The silence procedure is cancelled; the version was not adopted.")
	case errors.Is(err, models.ErrProcedureNotRunning):
		h.errorPage(c, http.StatusConflict, "The silence procedure is no longer running: its deadline has passed, or it has ended. Nothing was cancelled.")
	case errors.As(err, &verr):
		errs := map[string]string{"": "The procedure was not cancelled."}
		for k, m := range verr.Fields {
			errs["cancel."+k] = m
		}
		h.renderProcedure(c, cons, d, v, http.StatusUnprocessableEntity, actForm{}, "", reason, errs)
	default:
		h.fail(c, err)
	}
}

func (h *Handler) shareObjections(c *gin.Context) {
	cons, d, v, ok := h.loadProcedure(c)
	if !ok || !h.parseForm(c) {
		return
	}
	share := c.PostForm("share") == "on"
	if err := h.store.SetShareObjections(c.Request.Context(), v.Procedure.ID, share, currentUser(c).ID); err != nil {
		h.fail(c, err)
		return
	}
	msg := "Delegates see only their own member's objections."
	if share {
		msg = "Delegates of every member now see the objections of this procedure."
	}
	h.redirect(c, procedurePath(cons, d, v.Procedure.ID), msg)
}

// loadAdopted loads the text the draft :n adopted last (404 if none).
func (h *Handler) loadAdopted(c *gin.Context) (*models.Consultation, *models.DraftSummary, *models.AdoptedText, bool) {
	cons, d, ok := h.loadDraft(c)
	if !ok {
		return nil, nil, nil, false
	}
	a, err := h.store.LatestAdopted(c.Request.Context(), d.ID)
	if errors.Is(err, models.ErrNotFound) {
		h.errorPage(c, http.StatusNotFound, "No version of this draft has been adopted yet: a version is adopted when the deadline of its silence procedure passes with silence unbroken.")
		return nil, nil, nil, false
	}
	if err != nil {
		h.fail(c, err)
		return nil, nil, nil, false
	}
	return cons, d, a, true
}

// adoptedNote is a footnote as the adopted page shows it.
type adoptedNote struct {
	Marker    string
	Paragraph int
	models.Footnote
}

type adoptedPara struct {
	Number  int
	Text    string
	Markers []string
}

func (h *Handler) adoptedPage(c *gin.Context) {
	cons, d, a, ok := h.loadAdopted(c)
	if !ok {
		return
	}
	t := adopted.FromModel(a)
	var paras []adoptedPara
	var notes []adoptedNote
	n := 0
	for _, p := range t.Paragraphs {
		ap := adoptedPara{Number: p.Number, Text: p.Text}
		for _, f := range adoptedFootnotes(p) {
			n++
			ap.Markers = append(ap.Markers, strconv.Itoa(n))
			notes = append(notes, adoptedNote{Marker: strconv.Itoa(n), Paragraph: p.Number,
				Footnote: models.Footnote{MemberCode: f.MemberCode, MemberName: f.MemberName, Text: f.Text, At: f.At}})
		}
		paras = append(paras, ap)
	}
	h.page(c, http.StatusOK, "adopted", d.Title, gin.H{
		"Consultation": cons, "Draft": d, "Href": draftPath(cons, d.Number), "Text": t, "Adoption": adopted.AdoptionLine(t),
		"Paragraphs": paras, "Notes": notes, "AdoptedAt": zonedTime(a.AdoptedAt(), cons.Location()),
		"ProcHref": procedurePath(cons, d, a.Procedure.ID),
	})
}

// adoptedFootnotes orders a paragraph's footnotes as the PDF and the
// Markdown number them (adopted package: by time, then member code).
func adoptedFootnotes(p adopted.Paragraph) []adopted.Footnote {
	fns := slices.Clone(p.Footnotes)
	slices.SortStableFunc(fns, func(a, b adopted.Footnote) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.MemberCode, b.MemberCode))
	})
	return fns
}

// adoptedFile answers the adopted text as a download.
func (h *Handler) adoptedFile(c *gin.Context, ext, contentType string, write func(*bytes.Buffer, adopted.Text) error) {
	cons, d, a, ok := h.loadAdopted(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := write(&buf, adopted.FromModel(a)); err != nil {
		h.fail(c, fmt.Errorf("write adopted text of draft %d as %s: %w", d.Number, ext, err))
		return
	}
	name := fmt.Sprintf("%s-draft%d-v%d-adopted.%s", cons.Key, d.Number, a.Version.Version, ext)
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Data(http.StatusOK, contentType, buf.Bytes())
}

func (h *Handler) adoptedPDF(c *gin.Context) {
	h.adoptedFile(c, "pdf", "application/pdf", func(b *bytes.Buffer, t adopted.Text) error { return adopted.WritePDF(b, t) })
}

func (h *Handler) adoptedMarkdown(c *gin.Context) {
	h.adoptedFile(c, "md", "text/markdown; charset=utf-8", func(b *bytes.Buffer, t adopted.Text) error { return adopted.WriteMarkdown(b, t) })
}

// draftPrintCSS is the print stylesheet of a draft's pages: the
// consultation's title and marking and page numbers in the margins of
// every printed page, as the report's (printStyles).
func (h *Handler) draftPrintCSS(c *gin.Context) {
	cons, _, ok := h.loadDraft(c)
	if !ok {
		return
	}
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(printStyles(cons.Title, cons.Marking)))
}

// silenceItem is a running procedure on a delegate's dashboard.
type silenceItem struct {
	Consultation models.Consultation
	Draft        models.Draft
	Procedure    models.Procedure
	Stand        string
	Deadline     zoned
	Href         string
	CanAct       bool
}

// runningProcedures lists the running procedures of the consultations a
// delegate sees, with its member's stand in each.
func (h *Handler) runningProcedures(ctx context.Context, u *models.User, cs []models.Consultation) ([]silenceItem, error) {
	out := []silenceItem{}
	if !access.IsDelegate(u) || u.Member == nil {
		return out, nil
	}
	now := h.store.Now()
	for i := range cs {
		cons := &cs[i]
		if !access.CanSeeConsultation(u, cons) {
			continue
		}
		drafts, err := h.store.Drafts(ctx, cons.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range drafts {
			for _, p := range d.Procedures {
				if !p.Running(now) {
					continue
				}
				v, err := h.store.ProcedureState(ctx, p.ID)
				if err != nil {
					return nil, err
				}
				item := silenceItem{Consultation: *cons, Draft: d.Draft, Procedure: p, Stand: models.StandSilent,
					Deadline: zonedTime(p.Deadline, cons.Location()), CanAct: access.CanActInProcedure(u, u.Member.ID, cons),
					Href: fmt.Sprintf("/consultations/%s/drafts/%d/procedures/%d/members/%s", cons.Key, d.Number, p.ID, u.Member.Code)}
				if s := v.Stand(u.Member.ID); s != nil {
					item.Stand = s.Stand
				}
				out = append(out, item)
			}
		}
	}
	return out, nil
}
