package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/consensus"
	"concord/models"
)

// positionValues are the raw values of one question's fields, kept as
// typed so that a rejected form re-renders exactly what the user entered.
type positionValues struct {
	Preferred, Min, Max, Importance, Option, Answer, Rationale string
	// Accept are the option numbers ticked under "Other options we could
	// accept" (choice questions).
	Accept []string
}

// Accepts reports whether option p is ticked as acceptable.
func (v positionValues) Accepts(p int) bool {
	return slices.Contains(v.Accept, strconv.Itoa(p))
}

// empty reports whether nothing was typed for the question.
func (v positionValues) empty() bool {
	return v.Preferred == "" && v.Min == "" && v.Max == "" && v.Importance == "" && v.Option == "" &&
		v.Answer == "" && v.Rationale == "" && len(v.Accept) == 0
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
// checks, by the access policy, that the user may act for that member (a
// delegate only for their own member, a facilitator for any) and see the
// consultation (a delegate never sees a draft: not found).
func (h *Handler) memberScope(c *gin.Context) (*models.Consultation, *models.Member, bool) {
	u := currentUser(c)
	ctx := c.Request.Context()
	m, err := h.store.MemberByCode(ctx, c.Param("member"))
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	if !access.CanActForMember(u, m.ID) {
		if access.CanReadAttributed(u) { // an observer
			h.errorPage(c, http.StatusForbidden, "Observers read the reports and exports; position forms are for the members' delegates and the facilitators.")
		} else {
			h.errorPage(c, http.StatusForbidden, "You can only see and edit the positions of your own member.")
		}
		return nil, nil, false
	}
	cons, err := h.store.ConsultationByKey(ctx, c.Param("key"))
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	if !access.CanSeeConsultation(u, cons) {
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
	h.renderPositions(c, http.StatusOK, cons, m, formState{})
}

// Why a posted form comes back instead of being saved. The page tells the
// browser's script what to do with the answers it keeps (see static/app.js).
const (
	outcomeInvalid   = "invalid"   // 422: some answers need attention
	outcomeExpired   = "expired"   // 403: the form token was not the session's
	outcomeClosed    = "closed"    // 409: the consultation stopped accepting positions
	outcomeWithdrawn = "withdrawn" // 200: one answer withdrawn, the rest kept as typed
)

// formState is what a posted form brings back to the page: the values as
// typed, the messages of a rejected save and why it came back.
type formState struct {
	typed   map[string]positionValues
	errs    map[string]map[string]string
	outcome string // one of the outcome constants; "" for a plain GET
	message string // the page's message above the form
	notice  string // a neutral message (withdrawal done)
}

// renderPositions shows the form; the state of a posted form, when given,
// replaces the stored values and carries its messages.
func (h *Handler) renderPositions(c *gin.Context, status int, cons *models.Consultation, m *models.Member, st formState) {
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
	if access.CanSeeSharedDistribution(currentUser(c), cons) {
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
			// A withdrawn answer is not a current position: the store
			// leaves it out, so the question shows as not answered.
			if cur, ok := current[q.ID]; ok {
				row.Current = &cur
				row.Values = valuesOf(&cur.Revision)
				answered++
			}
			if qr, ok := shared.Question(q.Key); ok {
				row.Shared = shareDistribution(qr, row.Current)
			}
			if v, ok := st.typed[q.Key]; ok {
				row.Values = v
			}
			if row.Errors = st.errs[q.Key]; row.Errors != nil {
				needAttention = append(needAttention, q)
			}
			sr.Rows = append(sr.Rows, row)
		}
		sections = append(sections, sr)
	}
	now := h.store.Now()
	var formErr map[string]string
	switch {
	case st.message != "":
		formErr = map[string]string{"": st.message}
	case len(st.errs) > 0:
		formErr = map[string]string{"": plural(len(st.errs), "question needs", "questions need") +
			" attention. Nothing was saved; your entries are kept below."}
	}
	// A refused save of a form that can no longer be saved shows what was
	// typed as plain text, ready to copy elsewhere.
	open := cons.AcceptsPositions(now)
	var unsaved string
	if st.typed != nil && !open {
		unsaved = unsavedText(qn.Questions, st.typed)
	}
	u := currentUser(c)
	h.pageErrors(c, status, "positions", m.Name+" — "+cons.Title, gin.H{
		"Consultation": cons, "Member": m, "Sections": sections, "Answered": answered, "Total": len(qn.Questions),
		"Open": open, "DeadlinePassed": cons.DeadlinePassed(now), "Importances": models.Importances,
		"NeedAttention": needAttention, "Outcome": st.outcome, "Notice": st.notice, "Unsaved": unsaved,
		"OnBehalf": access.OnBehalf(u, m.ID), "DraftKey": "concord.draft." + cons.Key + "." + m.Code,
	}, formErr)
}

// unsavedText writes the typed answers of a form that could not be saved
// as plain text, question by question, so that nothing typed is lost.
func unsavedText(questions []models.Question, typed map[string]positionValues) string {
	var b strings.Builder
	for _, q := range questions {
		v, ok := typed[q.Key]
		if !ok || v.empty() {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(q.Text + "\n")
		line := func(label, value string) {
			if value != "" {
				b.WriteString(label + ": " + value + "\n")
			}
		}
		point := func(s string, labels []string) string {
			if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(labels) {
				return s + " — " + labels[n-1]
			}
			return s
		}
		switch q.Kind {
		case models.KindScale:
			pts := q.Points()
			line("Preferred", point(v.Preferred, pts))
			line("Could accept from", point(v.Min, pts))
			line("Up to", point(v.Max, pts))
			line("Importance", v.Importance)
		case models.KindChoice:
			opts := q.Choices()
			line("Preferred", point(v.Option, opts))
			var also []string
			for _, a := range v.Accept {
				also = append(also, point(a, opts))
			}
			line("Could also accept", strings.Join(also, "; "))
		default:
			line("Answer", v.Answer)
		}
		line("Rationale", v.Rationale)
	}
	return b.String()
}

// valuesOf shows a stored position in the form. A range left at its
// default (the preferred point alone) shows as "the preferred point", so
// that moving the preferred point moves the range with it instead of
// leaving an old range behind that no longer contains it. For the same
// reason the chosen option is not ticked among the other acceptable ones.
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
	for _, o := range r.AcceptedOptions() {
		if o != r.Choice {
			v.Accept = append(v.Accept, strconv.Itoa(o))
		}
	}
	return v
}

// Messages of a posted form that comes back unsaved.
const (
	msgExpired = "Your form had expired; nothing was saved. Check your answers and save again."
	msgClosed  = "This consultation is not accepting positions: %s. Nothing was saved. " +
		"Your answers are shown below as you typed them, ready to copy."
)

func (h *Handler) savePositions(c *gin.Context) {
	cons, m, ok := h.memberScope(c)
	if !ok || !h.parseForm(c) {
		return
	}
	ctx := c.Request.Context()
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	typed := map[string]positionValues{}
	for _, q := range qn.Questions {
		typed[q.Key] = readValues(c, q.Key)
	}
	now := h.store.Now()
	// A form that cannot be saved comes back with everything typed: read
	// only once the consultation no longer accepts positions, editable
	// with a fresh token when only the token had expired. Neither writes.
	if !cons.AcceptsPositions(now) {
		h.renderClosed(c, cons, m, typed)
		return
	}
	if formTokenExpired(c) {
		h.renderPositions(c, http.StatusForbidden, cons, m, formState{typed: typed, outcome: outcomeExpired, message: msgExpired})
		return
	}
	if key := c.PostForm("withdraw"); key != "" {
		h.withdrawPosition(c, cons, m, qn, typed, key)
		return
	}
	current, err := h.store.MemberPositions(ctx, cons.ID, cons.Round, m.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	errs := map[string]map[string]string{}
	var inputs []models.PositionInput
	for _, q := range qn.Questions {
		v := typed[q.Key]
		in, bad := parseValues(q.Key, v)
		if len(bad) > 0 {
			errs[q.Key] = bad
			continue
		}
		if !in.Empty() {
			inputs = append(inputs, in)
			continue
		}
		// Emptying a saved text answer in the form does not remove it: it
		// would otherwise be dropped in silence and come back on the page.
		// Removing an answer is the explicit withdrawal. (A field not sent
		// at all leaves the answer alone.)
		_, saved := current[q.ID]
		if _, sent := c.GetPostForm("answer." + q.Key); saved && sent && q.Kind == models.KindText {
			errs[q.Key] = map[string]string{models.FieldAnswer: "A saved answer cannot be emptied: write the new answer, or withdraw it with the button below. Earlier answers stay in the revision history."}
		}
	}
	if len(errs) == 0 {
		var res models.SubmitResult
		res, err = h.store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID,
			UserID: currentUser(c).ID, Source: models.SourceForm, OnBehalf: access.OnBehalf(currentUser(c), m.ID), Inputs: inputs})
		var serr *models.SubmissionError
		switch {
		case errors.Is(err, models.ErrClosed): // closed between the check above and the write
			h.renderClosed(c, cons, m, typed)
			return
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
	h.renderPositions(c, http.StatusUnprocessableEntity, cons, m, formState{typed: typed, errs: errs, outcome: outcomeInvalid})
}

// renderClosed answers a save the consultation no longer accepts (409):
// the form, read only, with what was typed and a copy of it as text.
func (h *Handler) renderClosed(c *gin.Context, cons *models.Consultation, m *models.Member, typed map[string]positionValues) {
	why := "it is not open"
	switch {
	case cons.Status == models.StatusOpen && cons.DeadlinePassed(h.store.Now()):
		why = "its deadline has passed"
	case cons.Status == models.StatusClosed:
		why = "it has been closed"
	}
	h.renderPositions(c, http.StatusConflict, cons, m, formState{typed: typed, outcome: outcomeClosed,
		message: fmt.Sprintf(msgClosed, why)})
}

// withdrawPosition withdraws the member's answer to one question: a
// revision marked withdrawn is appended (the history keeps the answer) and
// the question counts as not answered. Only the withdrawal is saved; the
// other values of the form come back as typed, unsaved, with a message
// saying so, since the delegate may still be editing them.
func (h *Handler) withdrawPosition(c *gin.Context, cons *models.Consultation, m *models.Member,
	qn *models.Questionnaire, typed map[string]positionValues, key string) {
	var q *models.Question
	for i := range qn.Questions {
		if qn.Questions[i].Key == key {
			q = &qn.Questions[i]
		}
	}
	if q == nil {
		h.errorPage(c, http.StatusBadRequest, "The form asked to withdraw an answer to a question this consultation does not have. Nothing was saved.")
		return
	}
	u := currentUser(c)
	res, err := h.store.SubmitPositions(c.Request.Context(), models.Submission{ConsultationID: cons.ID, MemberID: m.ID,
		UserID: u.ID, Source: models.SourceForm, OnBehalf: access.OnBehalf(u, m.ID),
		Inputs: []models.PositionInput{{QuestionKey: key, Withdrawn: true}}})
	switch {
	case errors.Is(err, models.ErrClosed):
		h.renderClosed(c, cons, m, typed)
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	delete(typed, key) // the question now shows as not answered
	notice := "Withdrawn: the answer to “" + q.Text + "” no longer counts; the revision history keeps it."
	if res.Changed == 0 {
		notice = "“" + q.Text + "” had no answer to withdraw."
	}
	notice += " Other changes on this page are not saved yet: save positions to keep them."
	h.renderPositions(c, http.StatusOK, cons, m, formState{typed: typed, outcome: outcomeWithdrawn, notice: notice})
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
		Rationale: strings.TrimSpace(strings.ReplaceAll(f("rationale"), "\r\n", "\n")),
		Accept:    c.PostFormArray("accept." + key)}
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
	for _, a := range v.Accept {
		if n := num(strings.TrimSpace(a), models.FieldAcceptOpts, "Tick only the options offered."); n > 0 {
			in.AcceptOptions = append(in.AcceptOptions, n)
		}
	}
	// An importance alone is not an answer: a scale question answered
	// without one gets medium from the store, and an importance chosen
	// without a point is left for when the point is chosen.
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
	if r.Withdrawn {
		return "Withdrawn: no answer"
	}
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
		opts := q.Choices()
		label := func(o int) string {
			if o >= 1 && o <= len(opts) {
				return opts[o-1]
			}
			return strconv.Itoa(o)
		}
		s := label(r.Choice)
		var also []string
		for _, o := range r.AcceptedOptions() {
			if o != r.Choice {
				also = append(also, label(o))
			}
		}
		if len(also) > 0 {
			s += "; could also accept " + strings.Join(also, ", ")
		}
		return s
	}
	return r.Answer
}

func (h *Handler) dashboard(c *gin.Context) {
	u := currentUser(c)
	list, err := h.store.MemberProgress(c.Request.Context(), *u.MemberID, access.VisibleStatuses(u)...)
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
