package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/charts"
	"concord/models"
	"concord/textdiff"
)

// Drafts: the pages where facilitators write a text as numbered
// paragraphs beside where the members stand on the questions each settles,
// save it as versions, compare any two versions and circulate one under a
// silence procedure (silence.go). Facilitators and observers see every
// draft and version; delegates see a draft, and each version, only once it
// has been circulated (access.CanSeeDraft): anything else is answered as
// not found, so that an address leaks nothing.

// zoned is a time as the procedure pages show it: in the consultation's
// time zone with the zone's name, and in UTC.
type zoned struct {
	Local string // "Mon 15 Dec 2026, 17:00 CET (Europe/Brussels)"; empty when the zone is UTC
	UTC   string // "15 Dec 2026, 16:00 UTC"
	Input string // the value of a datetime-local field, in the zone
}

// zonedTime formats t in loc and in UTC.
func zonedTime(t time.Time, loc *time.Location) zoned {
	z := zoned{UTC: t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC"), Input: t.In(loc).Format(models.DeadlineLayout)}
	if loc.String() != "UTC" {
		z.Local = t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST") + " (" + loc.String() + ")"
	}
	return z
}

// parseDeadline reads a datetime-local value typed in the consultation's
// zone; the message is for the field when it cannot be read.
func parseDeadline(s string, loc *time.Location) (time.Time, string) {
	s = strings.TrimSpace(s)
	example := time.Date(2026, 12, 15, 17, 0, 0, 0, loc).Format(models.DeadlineLayout)
	if s == "" {
		return time.Time{}, fmt.Sprintf("Give the deadline's date and time, such as %s (%s).", example, loc.String())
	}
	t, err := time.ParseInLocation(models.DeadlineLayout, s, loc)
	if err != nil {
		// Browsers may send seconds.
		t, err = time.ParseInLocation("2006-01-02T15:04:05", s, loc)
	}
	if err != nil {
		return time.Time{}, fmt.Sprintf("Give a date and time such as %s (%s).", example, loc.String())
	}
	return t, ""
}

// draftConsultation loads the consultation named in the URL if the
// account may see it; otherwise it answers 404, as for one that does not
// exist.
func (h *Handler) draftConsultation(c *gin.Context) (*models.Consultation, bool) {
	cons, err := h.store.ConsultationByKey(c.Request.Context(), c.Param("key"))
	if err == nil && !access.CanSeeConsultation(currentUser(c), cons) {
		err = models.ErrNotFound
	}
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return cons, true
}

// loadDraft loads the consultation and draft number :n named in the URL,
// if the account may see the draft (404 otherwise).
func (h *Handler) loadDraft(c *gin.Context) (*models.Consultation, *models.DraftSummary, bool) {
	cons, ok := h.draftConsultation(c)
	if !ok {
		return nil, nil, false
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		h.errorPage(c, http.StatusNotFound, "There is no draft at this address.")
		return nil, nil, false
	}
	d, err := h.store.DraftByNumber(c.Request.Context(), cons.ID, n)
	if err == nil && !access.CanSeeDraft(currentUser(c), cons, d.Circulated()) {
		err = models.ErrNotFound
	}
	if err != nil {
		h.fail(c, err)
		return nil, nil, false
	}
	return cons, d, true
}

// draftPath is the address of a draft's page.
func draftPath(cons *models.Consultation, n int) string {
	return fmt.Sprintf("/consultations/%s/drafts/%d", cons.Key, n)
}

// visibleVersions lists the versions of the draft the account may read.
func visibleVersions(u *models.User, cons *models.Consultation, d *models.DraftSummary) []models.DraftVersion {
	out := []models.DraftVersion{}
	for _, v := range d.Versions {
		if access.CanSeeDraft(u, cons, d.VersionCirculated(v.Version)) {
			out = append(out, v)
		}
	}
	return out
}

// procRow is a procedure as a list shows it.
type procRow struct {
	models.Procedure
	Deadline zoned
	Closed   *zoned
	Href     string
}

func procRows(cons *models.Consultation, d *models.DraftSummary) []procRow {
	loc := cons.Location()
	out := make([]procRow, 0, len(d.Procedures))
	for i := len(d.Procedures) - 1; i >= 0; i-- { // newest first
		p := d.Procedures[i]
		r := procRow{Procedure: p, Deadline: zonedTime(p.Deadline, loc), Href: fmt.Sprintf("%s/procedures/%d", draftPath(cons, d.Number), p.ID)}
		if p.ClosedAt != nil {
			z := zonedTime(*p.ClosedAt, loc)
			r.Closed = &z
		}
		out = append(out, r)
	}
	return out
}

// draftEntry is a draft as the list of a consultation's drafts shows it.
type draftEntry struct {
	models.DraftSummary
	Href       string
	Latest     int // latest visible version; 0 for none
	Versions   int // visible versions
	Procedures []procRow
}

func (h *Handler) draftsPage(c *gin.Context) {
	cons, ok := h.draftConsultation(c)
	if !ok {
		return
	}
	h.renderDrafts(c, cons, http.StatusOK, "", nil)
}

// renderDrafts renders the list of a consultation's drafts, with the "new
// draft" form holding title and its messages in errs.
func (h *Handler) renderDrafts(c *gin.Context, cons *models.Consultation, status int, title string, errs map[string]string) {
	u := currentUser(c)
	list, err := h.store.Drafts(c.Request.Context(), cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	entries := []draftEntry{}
	for i := range list {
		d := &list[i]
		if !access.CanSeeDraft(u, cons, d.Circulated()) {
			continue
		}
		vs := visibleVersions(u, cons, d)
		e := draftEntry{DraftSummary: *d, Href: draftPath(cons, d.Number), Versions: len(vs), Procedures: procRows(cons, d)}
		if len(vs) > 0 {
			e.Latest = vs[len(vs)-1].Version
		}
		entries = append(entries, e)
	}
	h.pageErrors(c, status, "drafts", "Drafts · "+cons.Title, gin.H{
		"Consultation": cons, "Drafts": entries, "CanDraft": access.CanDraft(u), "Title": title,
		"IsDelegate": access.IsDelegate(u), "Member": u.Member,
	}, errs)
}

func (h *Handler) createDraft(c *gin.Context) {
	cons, ok := h.draftConsultation(c)
	if !ok || !h.parseForm(c) {
		return
	}
	title := c.PostForm("title")
	d, err := h.store.CreateDraft(c.Request.Context(), cons.ID, title, currentUser(c).ID)
	if fields := formErrors(err); fields != nil {
		h.renderDrafts(c, cons, http.StatusUnprocessableEntity, title, fields)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.redirect(c, draftPath(cons, d.Number), fmt.Sprintf("Draft %d created. Write its paragraphs and save the first version.", d.Number))
}

// paraRow is one paragraph of the drafting form (or of a read-only
// version): its slot in the form (1, 2, …; the last slot of the form is
// the empty "new paragraph"), its place ("order", which renumbers), its
// text, its links and whether it is marked for removal, with the analysis
// of each linked question beside it.
type paraRow struct {
	Slot      int
	Order     string
	Text      string
	New       bool
	Remove    bool
	Questions []questionCheck
	Linked    []linkedQuestion
}

// questionCheck is one question a paragraph may link to.
type questionCheck struct {
	Key, Label string
	Checked    bool
}

// linkedQuestion is where the members stand on a question a paragraph
// settles: the report's question view (common ground, best point,
// holdouts, conditions), nil when the round has no analysis of it.
type linkedQuestion struct {
	Key, Label string
	View       *charts.QuestionView
}

// draftPageData is what the drafting page shows.
type draftPageData struct {
	Consultation *models.Consultation
	Draft        *models.DraftSummary
	Href         string
	Versions     []models.DraftVersion
	Latest       *models.DraftVersion
	Procedures   []procRow
	Running      *procRow
	Adopted      bool
	CanDraft     bool
	CanAnalyse   bool
	Rows         []paraRow
	Note         string
	Questions    int
	Compare      compareChoice
}

// compareChoice is the compare form: the versions to choose from and the
// pair chosen.
type compareChoice struct {
	Versions []int
	From, To int
}

func (h *Handler) draftPage(c *gin.Context) {
	cons, d, ok := h.loadDraft(c)
	if !ok {
		return
	}
	h.renderDraft(c, cons, d, http.StatusOK, nil, "", nil)
}

// renderDraft renders the drafting page. rows, when not nil, are the
// form as posted (a refused save); otherwise the latest version fills it.
func (h *Handler) renderDraft(c *gin.Context, cons *models.Consultation, d *models.DraftSummary, status int, rows []paraRow, note string, errs map[string]string) {
	ctx := c.Request.Context()
	u := currentUser(c)
	data := &draftPageData{Consultation: cons, Draft: d, Href: draftPath(cons, d.Number), Versions: visibleVersions(u, cons, d),
		Procedures: procRows(cons, d), CanDraft: access.CanDraft(u), CanAnalyse: access.CanReadAttributed(u), Note: note}
	for i := range data.Procedures {
		switch data.Procedures[i].State {
		case models.ProcedureRunning:
			data.Running = &data.Procedures[i]
		case models.ProcedureAdopted:
			data.Adopted = true
		}
	}
	for _, v := range data.Versions {
		data.Compare.Versions = append(data.Compare.Versions, v.Version)
	}
	if n := len(data.Compare.Versions); n > 0 {
		data.Compare.To = data.Compare.Versions[n-1]
		data.Compare.From = data.Compare.Versions[max(0, n-2)]
	}
	if len(data.Versions) > 0 {
		latest, err := h.store.Version(ctx, d.ID, data.Versions[len(data.Versions)-1].Version)
		if err != nil {
			h.fail(c, err)
			return
		}
		data.Latest = latest
	}
	var qs []models.Question
	if data.CanAnalyse {
		qn, err := h.store.Questionnaire(ctx, cons.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		qs = qn.Questions
		data.Questions = len(qs)
	}
	if rows == nil {
		if data.Latest != nil {
			for i, p := range data.Latest.Paragraphs {
				rows = append(rows, paraRow{Slot: i + 1, Order: strconv.Itoa(p.Number), Text: p.Text, Questions: questionChecks(qs, p.QuestionKeys)})
			}
		}
		if data.CanDraft {
			n := len(rows) + 1
			rows = append(rows, paraRow{Slot: n, Order: strconv.Itoa(n), New: true, Questions: questionChecks(qs, nil)})
		}
	}
	if data.CanAnalyse {
		if err := h.linkAnalysis(c, cons, qs, rows); err != nil {
			h.fail(c, err)
			return
		}
	}
	data.Rows = rows
	h.pageErrors(c, status, "draft", d.Title, data, errs)
}

// questionChecks lists the consultation's questions with the linked ones
// checked.
func questionChecks(qs []models.Question, linked []string) []questionCheck {
	out := make([]questionCheck, len(qs))
	for i, q := range qs {
		out[i] = questionCheck{Key: q.Key, Label: questionLabel(q), Checked: slices.Contains(linked, q.Key)}
	}
	return out
}

func questionLabel(q models.Question) string {
	return fmt.Sprintf("Q%d %s", q.Number, q.Text)
}

// linkAnalysis fills each row's linked questions with where the members
// stand on them in the consultation's current round (the report's cached
// analysis).
func (h *Handler) linkAnalysis(c *gin.Context, cons *models.Consultation, qs []models.Question, rows []paraRow) error {
	var a *analysed
	byKey := map[string]models.Question{}
	for _, q := range qs {
		byKey[q.Key] = q
	}
	views := map[string]*charts.QuestionView{}
	for i := range rows {
		for _, qc := range rows[i].Questions {
			if !qc.Checked {
				continue
			}
			if a == nil {
				var err error
				if a, err = h.reports.analyse(c.Request.Context(), h.store, cons, cons.Round); err != nil {
					return fmt.Errorf("load analysis of consultation %s: %w", cons.Key, err)
				}
			}
			v, seen := views[qc.Key]
			if !seen {
				v, _ = charts.NewQuestionView(a.rep, qc.Key, a.questionPositions(qc.Key), byKey[qc.Key].StatusQuo)
				views[qc.Key] = v
			}
			rows[i].Linked = append(rows[i].Linked, linkedQuestion{Key: qc.Key, Label: qc.Label, View: v})
		}
	}
	return nil
}

// readParagraphRows reads the drafting form: "count" slots, each with
// p.N.text, p.N.order, p.N.questions and p.N.remove. It returns the rows
// as typed (for a re-rendered form) and the paragraphs to save, in the
// order their numbers give (ties keep the form's order), without those
// marked for removal and without an empty new slot; slots[i] is the form
// slot of paragraph i+1.
func readParagraphRows(c *gin.Context, qs []models.Question) (rows []paraRow, in []models.ParagraphInput, slots []int, errs map[string]string) {
	count, _ := strconv.Atoi(c.PostForm("count"))
	count = min(max(count, 0), models.MaxParagraphs+1)
	errs = map[string]string{}
	type keep struct {
		order float64
		slot  int
		in    models.ParagraphInput
	}
	var kept []keep
	for n := 1; n <= count; n++ {
		p := fmt.Sprintf("p.%d.", n)
		row := paraRow{Slot: n, Order: strings.TrimSpace(c.PostForm(p + "order")), Text: c.PostForm(p + "text"),
			New: c.PostForm(p+"new") == "1", Remove: c.PostForm(p+"remove") == "on"}
		linked := c.PostFormArray(p + "questions")
		row.Questions = questionChecks(qs, linked)
		rows = append(rows, row)
		if row.Remove || (row.New && strings.TrimSpace(row.Text) == "") {
			continue
		}
		order, err := strconv.ParseFloat(row.Order, 64)
		if err != nil {
			errs[p+"order"] = fmt.Sprintf("Give paragraph %d's place as a number, such as %d.", n, n)
			continue
		}
		kept = append(kept, keep{order: order, slot: n, in: models.ParagraphInput{Text: row.Text, Questions: linked}})
	}
	slices.SortStableFunc(kept, func(a, b keep) int {
		switch {
		case a.order < b.order:
			return -1
		case a.order > b.order:
			return 1
		}
		return 0
	})
	for _, k := range kept {
		in = append(in, k.in)
		slots = append(slots, k.slot)
	}
	return rows, in, slots, errs
}

func (h *Handler) saveDraft(c *gin.Context) {
	cons, d, ok := h.loadDraft(c)
	if !ok || !h.parseForm(c) {
		return
	}
	ctx := c.Request.Context()
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	rows, in, slots, errs := readParagraphRows(c, qn.Questions)
	note := c.PostForm("note")
	if len(errs) == 0 {
		v, created, err := h.store.SaveDraftVersion(ctx, d.ID, in, note, currentUser(c).ID)
		if fields := formErrors(err); fields != nil {
			errs = slotErrors(fields, slots)
		} else if err != nil {
			h.fail(c, err)
			return
		} else {
			msg := fmt.Sprintf("Saved as version %d.", v.Version)
			if !created {
				msg = fmt.Sprintf("No change: still version %d.", v.Version)
			}
			h.redirect(c, draftPath(cons, d.Number), msg)
			return
		}
	}
	if _, whole := errs[""]; !whole {
		errs[""] = "Nothing was saved: please check the paragraphs marked below."
	}
	h.renderDraft(c, cons, d, http.StatusUnprocessableEntity, rows, note, errs)
}

// slotErrors turns the Store's messages on paragraphs ("paragraph.N",
// "paragraph.N.questions", "paragraphs", "note") into the form's fields:
// paragraph N is form slot slots[N-1].
func slotErrors(fields map[string]string, slots []int) map[string]string {
	out := map[string]string{}
	for k, msg := range fields {
		switch {
		case k == "paragraphs":
			out[""] = msg
		case strings.HasPrefix(k, "paragraph."):
			rest := strings.TrimPrefix(k, "paragraph.")
			num, suffix, _ := strings.Cut(rest, ".")
			n, err := strconv.Atoi(num)
			if err != nil || n < 1 || n > len(slots) {
				out[""] = msg
				continue
			}
			field := "text"
			if suffix == "questions" {
				field = "questions"
			}
			out[fmt.Sprintf("p.%d.%s", slots[n-1], field)] = msg
		default:
			out[k] = msg
		}
	}
	return out
}

// loadVersion reads the version number raw of a draft the account may
// see, answering 404 otherwise.
func (h *Handler) loadVersion(c *gin.Context, cons *models.Consultation, d *models.DraftSummary, raw string) (*models.DraftVersion, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 1 || !access.CanSeeDraft(currentUser(c), cons, d.VersionCirculated(n)) {
		h.errorPage(c, http.StatusNotFound, "This draft has no version at this address that your account can read.")
		return nil, false
	}
	v, err := h.store.Version(c.Request.Context(), d.ID, n)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return v, true
}

// versionPageData is a version's read-only page, with the circulation
// form for facilitators.
type versionPageData struct {
	Consultation *models.Consultation
	Draft        *models.DraftSummary
	Href         string
	Version      *models.DraftVersion
	Latest       bool
	CanDraft     bool
	Procedures   []procRow // of this version
	Running      *procRow  // a procedure of the draft, on any version
	Deadline     string    // the form's value
	Confirm      bool
	Zone         string
	Roster       int
	Missing      []models.Member // members nobody can act for (a refused circulation)
}

func (h *Handler) versionPage(c *gin.Context) {
	cons, d, ok := h.loadDraft(c)
	if !ok {
		return
	}
	v, ok := h.loadVersion(c, cons, d, c.Param("v"))
	if !ok {
		return
	}
	deadline := zonedTime(h.store.Now().Add(7*24*time.Hour).Truncate(time.Hour), cons.Location()).Input
	h.renderVersion(c, cons, d, v, http.StatusOK, deadline, false, nil, nil)
}

func (h *Handler) renderVersion(c *gin.Context, cons *models.Consultation, d *models.DraftSummary, v *models.DraftVersion, status int,
	deadline string, confirm bool, missing []models.Member, errs map[string]string) {
	members, err := h.store.Members(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	data := &versionPageData{Consultation: cons, Draft: d, Href: draftPath(cons, d.Number), Version: v,
		Latest: len(d.Versions) > 0 && d.Versions[len(d.Versions)-1].Version == v.Version, CanDraft: access.CanDraft(currentUser(c)),
		Deadline: deadline, Confirm: confirm, Zone: cons.Location().String(), Roster: len(members), Missing: missing}
	for _, p := range procRows(cons, d) {
		if p.Version == v.Version {
			data.Procedures = append(data.Procedures, p)
		}
		if p.State == models.ProcedureRunning {
			data.Running = &p
		}
	}
	h.pageErrors(c, status, "draft_version", fmt.Sprintf("%s · version %d", d.Title, v.Version), data, errs)
}

func (h *Handler) circulate(c *gin.Context) {
	cons, d, ok := h.loadDraft(c)
	if !ok {
		return
	}
	v, ok := h.loadVersion(c, cons, d, c.Param("v"))
	if !ok || !h.parseForm(c) {
		return
	}
	raw := c.PostForm("deadline")
	confirm := c.PostForm("confirm") == "on"
	errs := map[string]string{}
	deadline, msg := parseDeadline(raw, cons.Location())
	if msg != "" {
		errs["deadline"] = msg
	}
	if !confirm {
		errs["confirm"] = "Confirm that this version is the text to circulate to every member."
	}
	if len(errs) > 0 {
		h.renderVersion(c, cons, d, v, http.StatusUnprocessableEntity, raw, confirm, nil, errs)
		return
	}
	p, err := h.store.Circulate(c.Request.Context(), v.ID, deadline, currentUser(c).ID)
	var cerr *models.CirculationError
	var verr *models.ValidationError
	var conflict *models.ConflictError
	switch {
	case errors.As(err, &cerr):
		h.renderVersion(c, cons, d, v, http.StatusConflict, raw, confirm, cerr.Members,
			map[string]string{"": "Not circulated: " + cerr.Error()})
		return
	case errors.As(err, &verr):
		h.renderVersion(c, cons, d, v, http.StatusUnprocessableEntity, raw, confirm, nil, verr.Fields)
		return
	case errors.As(err, &conflict):
		h.renderVersion(c, cons, d, v, http.StatusConflict, raw, confirm, nil, map[string]string{"": "Not circulated: " + conflict.Message})
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	z := zonedTime(p.Deadline, cons.Location())
	when := z.UTC
	if z.Local != "" {
		when = z.Local + ", " + z.UTC
	}
	h.redirect(c, fmt.Sprintf("%s/procedures/%d", draftPath(cons, d.Number), p.ID),
		fmt.Sprintf("Version %d circulated to every member under a silence procedure until %s.", v.Version, when))
}

// compareRow is one paragraph of a comparison, as the page shows it.
type compareRow struct {
	textdiff.ParagraphDiff
	Label string // "¶ 3", "¶ 2 → 3", "¶ 4 (removed)"
}

func (h *Handler) compareVersions(c *gin.Context) {
	cons, d, ok := h.loadDraft(c)
	if !ok {
		return
	}
	u := currentUser(c)
	vs := visibleVersions(u, cons, d)
	if len(vs) == 0 {
		h.errorPage(c, http.StatusNotFound, "This draft has no version to compare yet.")
		return
	}
	to := strconv.Itoa(vs[len(vs)-1].Version)
	from := strconv.Itoa(vs[max(0, len(vs)-2)].Version)
	if q, ok := c.GetQuery("to"); ok {
		to = q
	}
	if q, ok := c.GetQuery("from"); ok {
		from = q
	}
	old, ok := h.loadVersion(c, cons, d, from)
	if !ok {
		return
	}
	cur, ok := h.loadVersion(c, cons, d, to)
	if !ok {
		return
	}
	texts := func(v *models.DraftVersion) []string {
		out := make([]string, len(v.Paragraphs))
		for i, p := range v.Paragraphs {
			out[i] = p.Text
		}
		return out
	}
	diffs := textdiff.Compare(texts(old), texts(cur))
	rows := make([]compareRow, len(diffs))
	counts := map[textdiff.Status]int{}
	for i, df := range diffs {
		counts[df.Status]++
		label := ""
		switch {
		case df.Status == textdiff.Added:
			label = fmt.Sprintf("¶ %d (added)", df.New)
		case df.Status == textdiff.Removed:
			label = fmt.Sprintf("¶ %d (removed)", df.Old)
		case df.Old != df.New:
			label = fmt.Sprintf("¶ %d, was ¶ %d", df.New, df.Old)
		default:
			label = fmt.Sprintf("¶ %d", df.New)
		}
		rows[i] = compareRow{ParagraphDiff: df, Label: label}
	}
	choice := compareChoice{From: old.Version, To: cur.Version}
	for _, v := range vs {
		choice.Versions = append(choice.Versions, v.Version)
	}
	h.page(c, http.StatusOK, "draft_compare", fmt.Sprintf("%s · version %d and %d compared", d.Title, old.Version, cur.Version), gin.H{
		"Consultation": cons, "Draft": d, "Href": draftPath(cons, d.Number), "Old": old, "New": cur, "Rows": rows,
		"Compare": choice, "Changed": counts[textdiff.Changed], "Added": counts[textdiff.Added],
		"Removed": counts[textdiff.Removed], "Unchanged": counts[textdiff.Unchanged],
	})
}
