package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/consensus"
	"concord/models"
)

// positionValues are the raw values of one question's fields, kept as
// typed so that a rejected form re-renders exactly what the user entered.
type positionValues struct {
	Preferred, Min, Max, Importance, Option, Answer, Rationale string
}

// questionRow is one question of the position form.
type questionRow struct {
	Q       models.Question
	Points  []string
	Choices []string
	Values  positionValues
	Errors  map[string]string
	Current *models.RevisionRecord
	Shared  *sharedDistribution // nil unless the facilitators share it
}

type sectionRows struct {
	Title string
	Rows  []questionRow
}

// memberScope loads the consultation and member of a member-scoped URL and
// checks that the user may act for that member: a delegate only for their
// own member, a facilitator for any.
func (h *Handler) memberScope(c *gin.Context) (*models.Consultation, *models.Member, bool) {
	u := currentUser(c)
	ctx := c.Request.Context()
	m, err := h.store.MemberByCode(ctx, c.Param("member"))
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	switch {
	case u.Role == models.RoleFacilitator:
	case u.Role == models.RoleDelegate && u.MemberID != nil && *u.MemberID == m.ID:
	case u.Role == models.RoleObserver:
		h.errorPage(c, http.StatusForbidden, "Observers read the reports and exports; position forms are for the members' delegates and the facilitators.")
		return nil, nil, false
	default:
		h.errorPage(c, http.StatusForbidden, "You can only see and edit the positions of your own member.")
		return nil, nil, false
	}
	cons, err := h.store.ConsultationByKey(ctx, c.Param("key"))
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	if cons.Status == models.StatusDraft && u.Role != models.RoleFacilitator {
		h.errorPage(c, http.StatusNotFound, "We could not find what you asked for. It may have been removed, or the address may be mistyped.")
		return nil, nil, false
	}
	return cons, m, true
}

func (h *Handler) positionsForm(c *gin.Context) {
	cons, m, ok := h.memberScope(c)
	if !ok {
		return
	}
	h.renderPositions(c, http.StatusOK, cons, m, nil, nil)
}

// renderPositions shows the form; typed and errs, when given, replace the
// stored values and carry the messages of a rejected save.
func (h *Handler) renderPositions(c *gin.Context, status int, cons *models.Consultation, m *models.Member,
	typed map[string]positionValues, errs map[string]map[string]string) {
	ctx := c.Request.Context()
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	current, err := h.store.MemberPositions(ctx, cons.ID, cons.Round, m.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	// Once a consultation is closed, the facilitators may share the
	// anonymised distribution with the delegates.
	var shared *consensus.Report
	if cons.Status == models.StatusClosed && cons.ShareDistribution {
		a, err := h.store.LoadAnalysis(ctx, cons, cons.Round)
		if err != nil {
			h.fail(c, err)
			return
		}
		shared = consensus.Analyze(a.Input)
	}
	var sections []sectionRows
	var needAttention []models.Question // in questionnaire order, for the links at the top
	answered := 0
	for _, g := range qn.BySection(false) {
		sr := sectionRows{Title: g.Section.Title}
		for _, q := range g.Questions {
			row := questionRow{Q: q, Points: q.Points(), Choices: q.Choices()}
			if cur, ok := current[q.ID]; ok {
				row.Current = &cur
				row.Values = valuesOf(&cur.Revision)
				answered++
			}
			if qr, ok := shared.Question(q.Key); ok {
				row.Shared = shareDistribution(qr, row.Current)
			}
			if v, ok := typed[q.Key]; ok {
				row.Values = v
			}
			if row.Errors = errs[q.Key]; row.Errors != nil {
				needAttention = append(needAttention, q)
			}
			sr.Rows = append(sr.Rows, row)
		}
		sections = append(sections, sr)
	}
	now := h.store.Now()
	title := m.Name + " — " + cons.Title
	var formErr map[string]string
	if len(errs) > 0 {
		formErr = map[string]string{"": plural(len(errs), "question needs", "questions need") +
			" attention. Nothing was saved; your entries are kept below."}
	}
	h.pageErrors(c, status, "positions", title, gin.H{
		"Consultation": cons, "Member": m, "Sections": sections, "Answered": answered, "Total": len(qn.Questions),
		"Open": cons.AcceptsPositions(now), "DeadlinePassed": cons.DeadlinePassed(now), "Importances": models.Importances,
		"NeedAttention": needAttention,
	}, formErr)
}

// valuesOf shows a stored position in the form. A range left at its
// default (the preferred point alone) shows as "the preferred point", so
// that moving the preferred point moves the range with it instead of
// leaving an old range behind that no longer contains it.
func valuesOf(r *models.Revision) positionValues {
	itoa := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	v := positionValues{Preferred: itoa(r.Preferred), Min: itoa(r.AcceptMin), Max: itoa(r.AcceptMax),
		Importance: r.Importance, Option: itoa(r.Choice), Answer: r.Answer, Rationale: r.Rationale}
	if r.AcceptMin == r.Preferred && r.AcceptMax == r.Preferred {
		v.Min, v.Max = "", ""
	}
	return v
}

func (h *Handler) savePositions(c *gin.Context) {
	cons, m, ok := h.memberScope(c)
	if !ok || !h.parseForm(c) {
		return
	}
	ctx := c.Request.Context()
	if !cons.AcceptsPositions(h.store.Now()) {
		h.fail(c, models.ErrClosed)
		return
	}
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	current, err := h.store.MemberPositions(ctx, cons.ID, cons.Round, m.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	typed := map[string]positionValues{}
	errs := map[string]map[string]string{}
	var inputs []models.PositionInput
	for _, q := range qn.Questions {
		v := readValues(c, q.Key)
		typed[q.Key] = v
		in, bad := parseValues(q.Key, v)
		if len(bad) > 0 {
			errs[q.Key] = bad
			continue
		}
		if !in.Empty() {
			inputs = append(inputs, in)
			continue
		}
		// A position is revised, never withdrawn: a text answer emptied in
		// the form would otherwise be dropped in silence and come back on
		// the page. (A field not sent at all leaves the answer alone.)
		_, saved := current[q.ID]
		if _, sent := c.GetPostForm("answer." + q.Key); saved && sent && q.Kind == models.KindText {
			errs[q.Key] = map[string]string{models.FieldAnswer: "A saved answer cannot be removed, only replaced: write the new answer. Earlier answers stay in the revision history."}
		}
	}
	if len(errs) == 0 {
		var res models.SubmitResult
		res, err = h.store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID,
			UserID: currentUser(c).ID, Source: models.SourceForm, Inputs: inputs})
		var serr *models.SubmissionError
		switch {
		case errors.As(err, &serr):
			errs = serr.Questions
		case err != nil:
			h.fail(c, err)
			return
		default:
			h.redirect(c, c.Request.URL.Path, savedMessage(res))
			return
		}
	}
	h.renderPositions(c, http.StatusUnprocessableEntity, cons, m, typed, errs)
}

func savedMessage(res models.SubmitResult) string {
	switch {
	case res.Changed == 0:
		return "Nothing changed: your positions were already saved as shown."
	case res.Changed == 1:
		return "Saved: 1 position revised."
	default:
		return fmt.Sprintf("Saved: %d positions revised.", res.Changed)
	}
}

func readValues(c *gin.Context, key string) positionValues {
	f := func(name string) string { return c.PostForm(name + "." + key) }
	return positionValues{Preferred: strings.TrimSpace(f("preferred")), Min: strings.TrimSpace(f("min")),
		Max: strings.TrimSpace(f("max")), Importance: strings.TrimSpace(f("importance")),
		Option: strings.TrimSpace(f("option")), Answer: strings.TrimSpace(f("answer")),
		Rationale: strings.TrimSpace(strings.ReplaceAll(f("rationale"), "\r\n", "\n"))}
}

// parseValues converts typed values to an input. An empty field means "not
// answered"; anything else must be a point or option number from 1, or it
// is reported beside its field (the Store checks everything else). A typed
// 0 is refused here, since the input would read it as "not given".
func parseValues(key string, v positionValues) (models.PositionInput, map[string]string) {
	bad := map[string]string{}
	num := func(s, field, msg string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			bad[field] = msg
			return 0
		}
		return n
	}
	const point, option = "Choose one of the points offered.", "Choose one of the options."
	in := models.PositionInput{QuestionKey: key,
		Preferred: num(v.Preferred, models.FieldPreferred, point), AcceptMin: num(v.Min, models.FieldAcceptMin, point),
		AcceptMax: num(v.Max, models.FieldAcceptMax, point), Option: num(v.Option, models.FieldOption, option),
		Importance: v.Importance, Answer: v.Answer, Rationale: v.Rationale}
	// An importance alone, as the form preselects it, is not an answer.
	if in.Preferred == 0 && in.AcceptMin == 0 && in.AcceptMax == 0 && in.Rationale == "" {
		in.Importance = ""
	}
	return in, bad
}

func (h *Handler) positionHistory(c *gin.Context) {
	cons, m, ok := h.memberScope(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	revs, err := h.store.History(ctx, cons.ID, m.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	questions := map[uint]models.Question{}
	for _, q := range qn.Questions {
		questions[q.ID] = q
	}
	type entry struct {
		Rev    models.RevisionRecord
		Q      models.Question
		Answer string
	}
	var list []entry
	for i := len(revs) - 1; i >= 0; i-- { // newest first
		q := questions[revs[i].QuestionID]
		list = append(list, entry{Rev: revs[i], Q: q, Answer: describe(&revs[i].Revision, &q)})
	}
	h.page(c, http.StatusOK, "history", "Revision history — "+m.Name, gin.H{"Consultation": cons, "Member": m, "Entries": list})
}

// describe renders a revision's answer for reading.
func describe(r *models.Revision, q *models.Question) string {
	switch q.Kind {
	case models.KindScale:
		pts := q.Points()
		label := func(p int) string {
			if p >= 1 && p <= len(pts) {
				return fmt.Sprintf("%d “%s”", p, pts[p-1])
			}
			return strconv.Itoa(p)
		}
		s := "Preferred " + label(r.Preferred)
		if r.AcceptMin != r.AcceptMax {
			s += fmt.Sprintf("; could accept %d to %d", r.AcceptMin, r.AcceptMax)
		}
		return s + "; importance " + r.Importance
	case models.KindChoice:
		if opts := q.Choices(); r.Choice >= 1 && r.Choice <= len(opts) {
			return opts[r.Choice-1]
		}
	}
	return r.Answer
}

func (h *Handler) dashboard(c *gin.Context) {
	u := currentUser(c)
	list, err := h.store.MemberProgress(c.Request.Context(), *u.MemberID, models.StatusOpen, models.StatusClosed)
	if err != nil {
		h.fail(c, err)
		return
	}
	type item struct {
		C        models.Consultation
		Answered int
		Total    int
		Open     bool
	}
	now := h.store.Now()
	items := make([]item, 0, len(list))
	for _, p := range list {
		items = append(items, item{C: p.Consultation, Answered: p.Answered, Total: p.Total, Open: p.AcceptsPositions(now)})
	}
	h.page(c, http.StatusOK, "dashboard", "Your consultations", gin.H{"Items": items, "Member": u.Member})
}
