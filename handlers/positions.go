package handlers

import (
	"context"
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
	Preferred, Min, Max, Importance, Option, Answer, Rationale, Conditions string
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
		v.Answer == "" && v.Rationale == "" && v.Conditions == "" && len(v.Accept) == 0
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
	// Feedback is the anonymised result of the previous round (round 2
	// on); nil in round 1 and for text questions.
	Feedback *roundFeedback
	// Carried is the member's answer of the previous round, shown as the
	// starting value of a question not yet answered in this round (no
	// position, no draft). It is saved only when edited or kept.
	Carried *models.RevisionRecord
	// Pending is the member's draft awaiting approval or returned draft
	// (national approval), shown instead of its position; PendingText and
	// CurrentText describe the draft and the approved position for
	// comparison, ReturnedBy names who returned it.
	Pending                  *models.RevisionRecord
	PendingText, CurrentText string
	ReturnedBy               string
	ApprovedBy               string // who approved the current position, if anyone
	// Review offers the viewer the approve and return actions of the
	// pending draft: it awaits approval and the viewer may approve.
	Review bool
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
	var m *models.Member
	if own := u.Member; own != nil && own.Code == strings.ToUpper(c.Param("member")) {
		// A delegate's own member came with the session: no second read.
		mine := *own
		m = &mine
	} else {
		var err error
		if m, err = h.store.MemberByCode(ctx, c.Param("member")); err != nil {
			h.fail(c, err)
			return nil, nil, false
		}
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
	outcomeReviewed  = "reviewed"  // 200: drafts approved or returned, the rest kept as typed
)

// formState is what a posted form brings back to the page: the values as
// typed, the messages of a rejected save and why it came back.
type formState struct {
	typed   map[string]positionValues
	errs    map[string]map[string]string
	outcome string // one of the outcome constants; "" for a plain GET
	message string // the page's message above the form
	notice  string // a neutral message (withdrawal done)
	// commentErr is the message beside the comment for returning every
	// draft (national approval); a question's own comment has its
	// message in errs under "comment".
	commentErr string
}

// roundAnswers are what the form of a member starts from: its current
// positions in the consultation's current round, its pending drafts
// (national approval: a draft awaiting approval or a returned draft) and
// its positions of the previous round (none in round 1), each keyed by
// question ID.
type roundAnswers struct {
	current, pending, previous map[uint]models.RevisionRecord
}

func (h *Handler) loadAnswers(ctx context.Context, cons *models.Consultation, m *models.Member) (*roundAnswers, error) {
	var a roundAnswers
	var err error
	if a.current, err = h.store.MemberPositions(ctx, cons.ID, cons.Round, m.ID); err != nil {
		return nil, err
	}
	if a.pending, err = h.store.PendingPositions(ctx, cons.ID, cons.Round, m.ID); err != nil {
		return nil, err
	}
	if cons.Round > 1 {
		if a.previous, err = h.store.MemberPositions(ctx, cons.ID, cons.Round-1, m.ID); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// carried returns the previous round's answer the form offers as the
// starting value of a question: only while the question has neither a
// position nor a draft in the current round. Nil otherwise.
func (a *roundAnswers) carried(questionID uint) *models.RevisionRecord {
	if _, ok := a.current[questionID]; ok {
		return nil
	}
	if _, ok := a.pending[questionID]; ok {
		return nil
	}
	if prev, ok := a.previous[questionID]; ok {
		return &prev
	}
	return nil
}

// renderPositions shows the form; the state of a posted form, when given,
// replaces the stored values and carries its messages.
func (h *Handler) renderPositions(c *gin.Context, status int, cons *models.Consultation, m *models.Member, st formState) {
	ctx := c.Request.Context()
	u := currentUser(c)
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	ans, err := h.loadAnswers(ctx, cons, m)
	if err != nil {
		h.fail(c, err)
		return
	}
	// Once a consultation is closed, the facilitators may share the
	// anonymised distribution with the delegates.
	var shared *consensus.Report
	if access.CanSeeSharedDistribution(u, cons) {
		a, err := h.store.LoadAnalysis(ctx, cons, cons.Round)
		if err != nil {
			h.fail(c, err)
			return
		}
		shared = consensus.Analyze(a.Input)
	}
	// From round 2 on, the anonymised result of the previous round.
	feedback, err := h.store.PreviousRoundFeedback(ctx, cons, m.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	canApprove := access.CanApprove(u, m.ID)
	now := h.store.Now()
	open := cons.AcceptsPositions(now)
	reviewers := map[uint]string{} // names of the accounts that returned drafts
	var sections []sectionRows
	var needAttention []models.Question // in questionnaire order, for the links at the top
	answered, carried, awaiting, returned := 0, 0, 0, 0
	for _, g := range qn.BySection(false) {
		sr := sectionRows{Title: g.Section.Title}
		for _, q := range g.Questions {
			row := questionRow{Q: q, Points: q.Points(), Choices: q.Choices()}
			// A withdrawn answer is not a current position: the store
			// leaves it out, so the question shows as not answered.
			if cur, ok := ans.current[q.ID]; ok {
				row.Current = &cur
				row.Values = valuesOf(&cur.Revision)
				row.CurrentText = describe(&cur.Revision, &q)
				answered++
				if cur.ReviewedBy != nil {
					if row.ApprovedBy, err = h.reviewerName(ctx, reviewers, cur.ReviewedBy); err != nil {
						h.fail(c, err)
						return
					}
				}
			}
			if p, ok := ans.pending[q.ID]; ok {
				row.Pending = &p
				row.Values = valuesOf(&p.Revision)
				row.PendingText = describe(&p.Revision, &q)
				switch p.State {
				case models.StateDraft:
					awaiting++
					row.Review = canApprove && open
				case models.StateReturned:
					returned++
					if row.ReturnedBy, err = h.reviewerName(ctx, reviewers, p.ReviewedBy); err != nil {
						h.fail(c, err)
						return
					}
				}
			}
			if prev := ans.carried(q.ID); prev != nil {
				row.Carried = prev
				row.Values = valuesOf(&prev.Revision)
				carried++
			}
			if qr, ok := shared.Question(q.Key); ok {
				row.Shared = shareDistribution(qr, row.Current)
			}
			if feedback != nil {
				row.Feedback = previousRoundFeedback(feedback.Question(q.ID), &q, feedback.Round, feedback.Rationales)
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
	var unsaved string
	if st.typed != nil && !open {
		unsaved = unsavedText(qn.Questions, st.typed)
	}
	h.pageErrors(c, status, "positions", m.Name+" — "+cons.Title, gin.H{
		"Consultation": cons, "Member": m, "Sections": sections, "Answered": answered, "Total": len(qn.Questions),
		"Open": open, "DeadlinePassed": cons.DeadlinePassed(now), "Importances": models.Importances,
		"NeedAttention": needAttention, "Outcome": st.outcome, "Notice": st.notice, "Unsaved": unsaved,
		"OnBehalf": access.OnBehalf(u, m.ID), "DraftKey": "concord.draft." + cons.Key + "." + m.Code,
		"PrevRound": cons.Round - 1, "Carried": carried,
		"Approval": cons.RequireApproval, "CanApprove": canApprove, "Awaiting": awaiting, "Returned": returned,
		"CommentError": st.commentErr,
	}, formErr)
}

// reviewerName returns the name of the account that reviewed a draft,
// remembered in names; "a reviewer" when the revision names none.
func (h *Handler) reviewerName(ctx context.Context, names map[uint]string, id *uint) (string, error) {
	if id == nil {
		return "a reviewer", nil
	}
	if n, ok := names[*id]; ok {
		return n, nil
	}
	u, err := h.store.UserByID(ctx, *id)
	if errors.Is(err, models.ErrNotFound) {
		return "a reviewer", nil
	}
	if err != nil {
		return "", fmt.Errorf("load reviewer %d: %w", *id, err)
	}
	names[*id] = u.Name
	return u.Name, nil
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
		line("Conditions", v.Conditions)
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
		Importance: r.Importance, Option: itoa(r.Choice), Answer: r.Answer, Rationale: r.Rationale,
		Conditions: r.Conditions}
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
	// Approving or returning drafts is the head of delegation's (or a
	// facilitator's): anyone else is refused before anything is read or
	// written.
	review := reviewAction(c)
	if review != "" && !access.CanApprove(currentUser(c), m.ID) {
		h.errorPage(c, http.StatusForbidden, msgNotApprover)
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
	if review != "" {
		h.reviewDrafts(c, cons, m, qn, typed, review)
		return
	}
	if key := c.PostForm("withdraw"); key != "" {
		h.withdrawPosition(c, cons, m, qn, typed, key)
		return
	}
	// The member's stored answers matter only where a posted answer is
	// compared with them (a previous round's answer, a pending draft, an
	// emptied text answer): read once, when first needed, so that the
	// usual save of a first round reads none of them.
	var ans *roundAnswers
	answers := func() *roundAnswers {
		if ans == nil {
			if ans, err = h.loadAnswers(ctx, cons, m); err != nil {
				h.fail(c, err)
			}
		}
		return ans
	}
	keep, keepAll := c.PostForm("keep"), c.PostForm("keep-all") != ""
	if keep != "" && questionByKey(qn, keep) == nil {
		h.errorPage(c, http.StatusBadRequest, "The form asked to keep an answer to a question this consultation does not have. Nothing was saved.")
		return
	}
	errs := map[string]map[string]string{}
	var inputs []models.PositionInput
	unconfirmed := 0 // carried answers posted untouched, not saved
	unreviewed := 0  // drafts posted untouched by an approver, left pending
	approver := access.CanApprove(currentUser(c), m.ID)
	for _, q := range qn.Questions {
		if q.Key == keep { // the question's "keep my previous answer"
			inputs = append(inputs, models.PositionInput{QuestionKey: q.Key, Keep: true})
			continue
		}
		v := typed[q.Key]
		in, bad := parseValues(q.Key, v)
		if len(bad) > 0 {
			errs[q.Key] = bad
			continue
		}
		// A previous round's answer offered as the starting value and
		// posted untouched is not an answer of this round: it is saved
		// only when kept (or edited), so that a form posting every field
		// does not make answers look stable. (Only from round 2 on.)
		if cons.Round > 1 && !in.Empty() {
			if answers() == nil {
				return
			}
			if prev := ans.carried(q.ID); prev != nil && sameAnswer(in, &q, &prev.Revision) {
				if keepAll {
					inputs = append(inputs, models.PositionInput{QuestionKey: q.Key, Keep: true})
				} else {
					unconfirmed++
				}
				continue
			}
		}
		// A draft awaiting approval (or returned) posted untouched by
		// someone who may approve it is left as it is: approving is the
		// explicit "Approve" action, never a side effect of saving the
		// rest of the form.
		if approver && !in.Empty() {
			if answers() == nil {
				return
			}
			if p, ok := ans.pending[q.ID]; ok && sameAnswer(in, &q, &p.Revision) {
				if p.State == models.StateDraft {
					unreviewed++
				}
				continue
			}
		}
		if !in.Empty() {
			inputs = append(inputs, in)
			continue
		}
		// Emptying a saved text answer in the form does not remove it: it
		// would otherwise be dropped in silence and come back on the page.
		// Removing an answer is the explicit withdrawal. (A field not sent
		// at all leaves the answer alone.)
		if _, sent := c.GetPostForm("answer." + q.Key); sent && q.Kind == models.KindText {
			if answers() == nil {
				return
			}
			if _, saved := ans.current[q.ID]; saved {
				errs[q.Key] = map[string]string{models.FieldAnswer: "A saved answer cannot be emptied: write the new answer, or withdraw it with the button below. Earlier answers stay in the revision history."}
			}
		}
	}
	if len(errs) == 0 {
		var res models.SubmitResult
		u := currentUser(c)
		res, err = h.store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m.ID,
			UserID: u.ID, Source: models.SourceForm, OnBehalf: access.OnBehalf(u, m.ID), Inputs: inputs})
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
			msg := savedMessage(res, cons.RequireApproval && !approver, unconfirmed, cons.Round-1)
			if unreviewed > 0 {
				msg += " " + plural(unreviewed, "draft was", "drafts were") + " left as drafted: approve or return them with their own buttons."
			}
			h.redirect(c, c.Request.URL.Path, msg)
			return
		}
	}
	h.renderPositions(c, http.StatusUnprocessableEntity, cons, m, formState{typed: typed, errs: errs, outcome: outcomeInvalid})
}

// questionByKey returns the question with the key, or nil.
func questionByKey(qn *models.Questionnaire, key string) *models.Question {
	for i := range qn.Questions {
		if qn.Questions[i].Key == key {
			return &qn.Questions[i]
		}
	}
	return nil
}

// sameAnswer reports whether the answer posted for q is the stored
// revision's answer (what the form showed, left as it was).
func sameAnswer(in models.PositionInput, q *models.Question, r *models.Revision) bool {
	in = in.Normalize(q)
	posted := models.Revision{Preferred: in.Preferred, AcceptMin: in.AcceptMin, AcceptMax: in.AcceptMax,
		Importance: in.Importance, Choice: in.Option, AcceptOptions: models.FormatOptionList(in.AcceptOptions),
		Answer: in.Answer, Rationale: in.Rationale, Conditions: in.Conditions}
	stored := *r
	switch q.Kind { // the values a question of its kind does not take are not compared
	case models.KindScale:
		stored.Choice, stored.AcceptOptions, stored.Answer = 0, "", ""
	case models.KindChoice:
		stored.Preferred, stored.AcceptMin, stored.AcceptMax, stored.Importance, stored.Answer = 0, 0, 0, "", ""
		posted.Preferred, posted.AcceptMin, posted.AcceptMax, posted.Importance = 0, 0, 0, ""
	case models.KindText:
		stored.Rationale, stored.Conditions = "", ""
		posted.Rationale, posted.Conditions = "", ""
	}
	return posted.SameAnswer(&stored)
}

// Messages of national approval.
const (
	msgNotApprover  = "Only your member's head of delegation can approve or return drafts. Nothing was changed."
	msgReviewedRest = " Other changes on this page are not saved yet: save positions to keep them."
)

// reviewAction names the approval action a posted form asks for: the
// button pressed ("approve" or "return", one question; "approve-all" or
// "return-all", every draft), or "" for none.
func reviewAction(c *gin.Context) string {
	for _, a := range []string{"approve", "return", "approve-all", "return-all"} {
		if _, ok := c.GetPostForm(a); ok {
			return a
		}
	}
	return ""
}

// reviewDrafts approves or returns with a comment the member's drafts of
// one question (the button's value) or of every question. Only the review
// is saved: the values of the form come back as typed, unsaved, as after a
// withdrawal. The caller has checked that the account may approve.
func (h *Handler) reviewDrafts(c *gin.Context, cons *models.Consultation, m *models.Member,
	qn *models.Questionnaire, typed map[string]positionValues, action string) {
	ctx := c.Request.Context()
	u := currentUser(c)
	var keys []string
	key, all := c.PostForm(action), strings.HasSuffix(action, "-all")
	if !all {
		if questionByKey(qn, key) == nil {
			h.errorPage(c, http.StatusBadRequest, "The form named a question this consultation does not have. Nothing was changed.")
			return
		}
		keys = []string{key}
	}
	var n int
	var err error
	comment := c.PostForm("comment")
	if !all {
		comment = c.PostForm("comment." + key)
	}
	if strings.HasPrefix(action, "approve") {
		n, err = h.store.Approve(ctx, cons.ID, m.ID, keys, u.ID)
	} else {
		n, err = h.store.Return(ctx, cons.ID, m.ID, keys, comment, u.ID)
	}
	var verr *models.ValidationError
	var conflict *models.ConflictError
	switch {
	case errors.Is(err, models.ErrNotApprover):
		h.errorPage(c, http.StatusForbidden, msgNotApprover)
		return
	case errors.Is(err, models.ErrClosed):
		h.renderClosed(c, cons, m, typed)
		return
	case errors.As(err, &verr):
		st := formState{typed: typed, outcome: outcomeInvalid, message: "The draft was not returned: add a comment for the drafter."}
		if all {
			st.commentErr = verr.Fields["comment"]
		} else {
			st.errs = map[string]map[string]string{key: {"comment": verr.Fields["comment"]}}
		}
		h.renderPositions(c, http.StatusUnprocessableEntity, cons, m, st)
		return
	case errors.As(err, &conflict):
		h.renderPositions(c, http.StatusConflict, cons, m, formState{typed: typed, outcome: outcomeInvalid,
			message: conflict.Message + " Nothing was changed."})
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	var notice string
	if strings.HasPrefix(action, "approve") {
		notice = "Approved: " + plural(n, "draft is", "drafts are") + " now the position of " + m.Name + "."
	} else {
		notice = "Returned " + plural(n, "draft", "drafts") + " to the drafter with your comment."
	}
	h.renderPositions(c, http.StatusOK, cons, m, formState{typed: typed, outcome: outcomeReviewed, notice: notice + msgReviewedRest})
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

// savedMessage is the flash of a save: what changed, whether it awaits
// approval (draft), and how many carried answers of the previous round
// were left unconfirmed (not saved).
func savedMessage(res models.SubmitResult, draft bool, unconfirmed, prevRound int) string {
	var msg string
	switch {
	case res.Changed == 0 && unconfirmed > 0:
		msg = "Nothing saved."
	case res.Changed == 0:
		msg = "Nothing changed: your positions were already saved as shown."
	case draft:
		msg = "Saved as a draft for approval by your head of delegation: " + plural(res.Changed, "position", "positions") + " revised."
	default:
		msg = "Saved: " + plural(res.Changed, "position", "positions") + " revised."
	}
	if unconfirmed > 0 {
		msg += fmt.Sprintf(" %s left unconfirmed: use “Keep my round %d answer” to confirm, or change them.",
			plural(unconfirmed, "carried answer was", "carried answers were"), prevRound)
	}
	return msg
}

func readValues(c *gin.Context, key string) positionValues {
	f := func(name string) string { return c.PostForm(name + "." + key) }
	return positionValues{Preferred: strings.TrimSpace(f("preferred")), Min: strings.TrimSpace(f("min")),
		Max: strings.TrimSpace(f("max")), Importance: strings.TrimSpace(f("importance")),
		Option: strings.TrimSpace(f("option")), Answer: strings.TrimSpace(f("answer")),
		Rationale:  strings.TrimSpace(strings.ReplaceAll(f("rationale"), "\r\n", "\n")),
		Conditions: strings.TrimSpace(strings.ReplaceAll(f("conditions"), "\r\n", "\n")),
		Accept:     c.PostFormArray("accept." + key)}
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
		Importance: v.Importance, Answer: v.Answer, Rationale: v.Rationale, Conditions: v.Conditions}
	for _, a := range v.Accept {
		if n := num(strings.TrimSpace(a), models.FieldAcceptOpts, "Tick only the options offered."); n > 0 {
			in.AcceptOptions = append(in.AcceptOptions, n)
		}
	}
	// An importance alone is not an answer: a scale question answered
	// without one gets medium from the store, and an importance chosen
	// without a point is left for when the point is chosen.
	if in.Preferred == 0 && in.AcceptMin == 0 && in.AcceptMax == 0 && in.Rationale == "" && in.Conditions == "" {
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
	// The position each round ended with, per question: a revision of a
	// later round with the same answer kept it.
	final := map[int]map[uint]*models.Revision{}
	for i := range revs {
		r := &revs[i].Revision
		if r.State != "" && r.State != models.StateApproved {
			continue
		}
		if final[r.Round] == nil {
			final[r.Round] = map[uint]*models.Revision{}
		}
		final[r.Round][r.QuestionID] = r
	}
	type entry struct {
		Rev    models.RevisionRecord
		Q      models.Question
		Answer string
		// KeptFrom is the previous round when the revision repeats the
		// member's position of that round (kept from it); 0 otherwise.
		KeptFrom int
		Reviewer string // who approved or returned the draft
	}
	reviewers := map[uint]string{}
	var list []entry
	for i := len(revs) - 1; i >= 0; i-- { // newest first
		r := revs[i]
		q := questions[r.QuestionID]
		e := entry{Rev: r, Q: q, Answer: describe(&r.Revision, &q)}
		if prev := final[r.Round-1][r.QuestionID]; prev != nil && !prev.Withdrawn && !r.Withdrawn && prev.SameAnswer(&r.Revision) {
			e.KeptFrom = r.Round - 1
		}
		if r.ReviewedBy != nil {
			if e.Reviewer, err = h.reviewerName(ctx, reviewers, r.ReviewedBy); err != nil {
				h.fail(c, err)
				return
			}
		}
		list = append(list, e)
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
	// A head of delegation sees first what awaits their approval.
	awaiting, err := h.store.AwaitingApproval(c.Request.Context(), u.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	// Running silence procedures await the member's answer (silence.go).
	cs := make([]models.Consultation, len(list))
	for i := range list {
		cs[i] = list[i].Consultation
	}
	silence, err := h.runningProcedures(c.Request.Context(), u, cs)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.page(c, http.StatusOK, "dashboard", "Your consultations", gin.H{"Items": items, "Member": u.Member, "Awaiting": awaiting, "Now": now, "Silence": silence})
}
