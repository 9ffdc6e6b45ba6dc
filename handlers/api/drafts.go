package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/adopted"
	"concord/models"
)

// Drafts and the silence procedure (models/drafts.go, models/silence.go).
// Who sees what is the access policy's: facilitators and observers see
// every draft and version; delegates a draft, and a version, only once
// circulated (access.CanSeeDraft), and what members did in a procedure
// only for their own member unless the facilitators share the objections
// (access.CanSeeObjections, CanSeeActionsOf). A draft or version an
// account may not see is answered as not found.

// versionBody is a version of a draft in a list, without its text.
type versionBody struct {
	Version   int       `json:"version"`
	Hash      string    `json:"hash"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// procedureBody is a silence procedure in its effective state: a running
// procedure whose deadline has passed shows as adopted or broken at once.
type procedureBody struct {
	ID      uint   `json:"id"`
	Version int    `json:"version"`
	Hash    string `json:"hash"` // of the circulated version
	State   string `json:"state"`
	// Deadline is UTC; DeadlineLocal is the same instant in the
	// consultation's time zone, named by Timezone (an IANA name).
	Deadline      time.Time  `json:"deadline"`
	DeadlineLocal time.Time  `json:"deadline_local"`
	Timezone      string     `json:"timezone"`
	ClosedAt      *time.Time `json:"closed_at"`
	// AdoptedHash is the adopted version's hash; null unless adopted.
	AdoptedHash     *string   `json:"adopted_hash"`
	CancelReason    string    `json:"cancel_reason,omitempty"`
	ShareObjections bool      `json:"share_objections"`
	CreatedAt       time.Time `json:"created_at"`
}

// draftBody is a draft with the versions and procedures the account sees.
type draftBody struct {
	Number     int             `json:"number"`
	Title      string          `json:"title"`
	CreatedAt  time.Time       `json:"created_at"`
	Versions   []versionBody   `json:"versions"`
	Procedures []procedureBody `json:"procedures"`
}

// paragraphBody is a numbered paragraph of a version with the keys of the
// questions it settles.
type paragraphBody struct {
	Number    int      `json:"number"`
	Text      string   `json:"text"`
	Questions []string `json:"questions"`
}

// footnoteBody is a national footnote recorded in a procedure on a version.
type footnoteBody struct {
	Procedure  uint      `json:"procedure"`
	Member     string    `json:"member"`
	MemberName string    `json:"member_name"`
	Paragraph  int       `json:"paragraph"`
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
}

// versionDetail is one version with its text and the footnotes the
// account sees.
type versionDetail struct {
	Consultation string          `json:"consultation"`
	Draft        int             `json:"draft"`
	Title        string          `json:"title"`
	Version      int             `json:"version"`
	Hash         string          `json:"hash"`
	Note         string          `json:"note"`
	CreatedAt    time.Time       `json:"created_at"`
	Paragraphs   []paragraphBody `json:"paragraphs"`
	Footnotes    []footnoteBody  `json:"footnotes"`
}

// actionBody is one action of a member in a procedure. Paragraph is left
// out for a confirmation; By is the name of the account that recorded
// it, OnBehalf marks one a facilitator recorded for the member.
type actionBody struct {
	Action    string    `json:"action"`
	Paragraph int       `json:"paragraph,omitempty"`
	Text      string    `json:"text,omitempty"`
	Amendment string    `json:"amendment,omitempty"`
	By        string    `json:"by"`
	OnBehalf  bool      `json:"on_behalf"`
	At        time.Time `json:"at"`
}

// memberActions is where one member stands in a procedure and what it did,
// oldest first.
type memberActions struct {
	Member  string       `json:"member"`
	Name    string       `json:"name"`
	Stand   string       `json:"stand"`
	Actions []actionBody `json:"actions"`
}

// standCounts counts the members by stand.
type standCounts struct {
	Silent    int `json:"silent"`
	Confirmed int `json:"confirmed"`
	Broke     int `json:"broke"`
}

// procedureDetail is one procedure with the members whose actions the
// account sees: every member for facilitators and observers (and for
// delegates when the objections are shared, with the counts), else the
// delegate's own member only.
type procedureDetail struct {
	procedureBody
	Consultation string          `json:"consultation"`
	Draft        int             `json:"draft"`
	Counts       *standCounts    `json:"counts,omitempty"`
	Members      []memberActions `json:"members"`
}

// recordedAction is the answer to an action: the action with its
// procedure and member.
type recordedAction struct {
	Procedure  uint   `json:"procedure"`
	Member     string `json:"member"`
	MemberName string `json:"member_name"`
	actionBody
}

// actionInput is the body of POST …/procedures/:id/actions.
type actionInput struct {
	// Member is the code of the member acting: optional for a delegate
	// (their own member), required for a facilitator acting on a member's
	// behalf.
	Member    string `json:"member"`
	Action    string `json:"action"`
	Paragraph int    `json:"paragraph"`
	Text      string `json:"text"`
	Amendment string `json:"amendment"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func procedureOf(p *models.Procedure, loc *time.Location) procedureBody {
	out := procedureBody{ID: p.ID, Version: p.Version, Hash: p.Hash, State: p.State,
		Deadline: p.Deadline.UTC(), DeadlineLocal: p.Deadline.In(loc), Timezone: loc.String(),
		ClosedAt: utcPtr(p.ClosedAt), CancelReason: p.CancelReason, ShareObjections: p.ShareObjections,
		CreatedAt: p.CreatedAt.UTC()}
	if p.State == models.ProcedureAdopted && p.AdoptedHash != "" {
		h := p.AdoptedHash
		out.AdoptedHash = &h
	}
	return out
}

func actionOf(a *models.ActionRecord) actionBody {
	by := a.ByName
	if by == "" {
		by = a.ByUsername
	}
	return actionBody{Action: a.Action, Paragraph: a.Paragraph, Text: a.Text, Amendment: a.Amendment,
		By: by, OnBehalf: a.OnBehalf, At: a.At.UTC()}
}

// notFound answers 404 with a message naming what was asked for.
func notFound(c *gin.Context, msg string) {
	Error(c, http.StatusNotFound, "", msg, nil)
}

// positiveParam reads a path parameter that is a number from 1 on.
func positiveParam(c *gin.Context, name string) (int, bool) {
	n, err := strconv.Atoi(c.Param(name))
	return n, err == nil && n > 0
}

// draft loads the consultation and the draft of the URL (…/drafts/:n),
// answering 404 for a draft the account may not see (access.CanSeeDraft:
// for a delegate, one never circulated).
func (a *API) draft(c *gin.Context, u *models.User) (*models.Consultation, *models.DraftSummary, bool) {
	cons, ok := a.visible(c, u)
	if !ok {
		return nil, nil, false
	}
	n, ok := positiveParam(c, "n")
	if !ok {
		notFound(c, fmt.Sprintf("There is no draft %q in this consultation.", c.Param("n")))
		return nil, nil, false
	}
	d, err := a.store.DraftByNumber(c.Request.Context(), cons.ID, n)
	if err == nil && !access.CanSeeDraft(u, cons, d.Circulated()) {
		err = models.ErrNotFound
	}
	if errors.Is(err, models.ErrNotFound) {
		notFound(c, fmt.Sprintf("There is no draft %d in this consultation.", n))
		return nil, nil, false
	}
	if err != nil {
		a.fail(c, err)
		return nil, nil, false
	}
	return cons, d, true
}

// draftProcedure finds the procedure of the URL (…/procedures/:id) among the
// draft's; 404 if it is not one of them.
func draftProcedure(c *gin.Context, d *models.DraftSummary) (*models.Procedure, bool) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err == nil {
		for i := range d.Procedures {
			if uint64(d.Procedures[i].ID) == id {
				return &d.Procedures[i], true
			}
		}
	}
	notFound(c, fmt.Sprintf("Draft %d has no silence procedure %q.", d.Number, c.Param("id")))
	return nil, false
}

// listDrafts: GET /api/v1/consultations/:key/drafts. The drafts of the
// consultation by number, each with its versions (without their text) and
// its procedures. Delegates get only circulated drafts, and of them only
// the versions put to a silence procedure.
func (a *API) listDrafts(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	cons, ok := a.visible(c, u)
	if !ok {
		return
	}
	all, err := a.store.Drafts(c.Request.Context(), cons.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	loc := cons.Location()
	out := []draftBody{}
	for i := range all {
		d := &all[i]
		if !access.CanSeeDraft(u, cons, d.Circulated()) {
			continue
		}
		body := draftBody{Number: d.Number, Title: d.Title, CreatedAt: d.CreatedAt.UTC(),
			Versions: []versionBody{}, Procedures: make([]procedureBody, 0, len(d.Procedures))}
		for _, v := range d.Versions {
			if access.CanSeeDraft(u, cons, d.VersionCirculated(v.Version)) {
				body.Versions = append(body.Versions, versionBody{Version: v.Version, Hash: v.Hash, Note: v.Note, CreatedAt: v.CreatedAt.UTC()})
			}
		}
		for j := range d.Procedures {
			body.Procedures = append(body.Procedures, procedureOf(&d.Procedures[j], loc))
		}
		out = append(out, body)
	}
	c.JSON(http.StatusOK, gin.H{"consultation": cons.Key, "timezone": loc.String(), "drafts": out})
}

// getVersion: GET /api/v1/consultations/:key/drafts/:n/versions/:v. The
// version's paragraphs in order with the keys of the questions each
// settles, its hash, and the footnotes members recorded in the procedures
// on this version, oldest first: those the account may see of each member
// (access.CanSeeActionsOf), and — once a procedure adopted the version —
// the footnotes of its adopted text (each member's latest on each
// paragraph), which everyone who sees the draft reads in adopted.md.
func (a *API) getVersion(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	cons, d, ok := a.draft(c, u)
	if !ok {
		return
	}
	n, ok := positiveParam(c, "v")
	if ok && !access.CanSeeDraft(u, cons, d.VersionCirculated(n)) {
		ok = false
	}
	ctx := c.Request.Context()
	var v *models.DraftVersion
	var err error
	if ok {
		v, err = a.store.Version(ctx, d.ID, n)
	}
	if !ok || errors.Is(err, models.ErrNotFound) {
		notFound(c, fmt.Sprintf("Draft %d has no version %q.", d.Number, c.Param("v")))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	out := versionDetail{Consultation: cons.Key, Draft: d.Number, Title: d.Title, Version: v.Version, Hash: v.Hash,
		Note: v.Note, CreatedAt: v.CreatedAt.UTC(), Paragraphs: make([]paragraphBody, 0, len(v.Paragraphs)),
		Footnotes: []footnoteBody{}}
	for _, p := range v.Paragraphs {
		qs := p.QuestionKeys
		if qs == nil {
			qs = []string{}
		}
		out.Paragraphs = append(out.Paragraphs, paragraphBody{Number: p.Number, Text: p.Text, Questions: qs})
	}
	for i := range d.Procedures {
		p := &d.Procedures[i]
		if p.Version != v.Version {
			continue
		}
		view, err := a.store.ProcedureState(ctx, p.ID)
		if err != nil {
			a.fail(c, err)
			return
		}
		// The latest footnote of each member on each paragraph: the one an
		// adopted text shows.
		latest := map[[2]uint]int{}
		for j, act := range view.Actions {
			if act.Action == models.ActionFootnote {
				latest[[2]uint{act.MemberID, uint(act.Paragraph)}] = j
			}
		}
		for j := range view.Actions {
			act := &view.Actions[j]
			if act.Action != models.ActionFootnote {
				continue
			}
			inAdopted := view.Procedure.State == models.ProcedureAdopted && latest[[2]uint{act.MemberID, uint(act.Paragraph)}] == j
			if !inAdopted && !access.CanSeeActionsOf(u, cons, &view.Procedure, act.MemberID) {
				continue
			}
			out.Footnotes = append(out.Footnotes, footnoteBody{Procedure: p.ID, Member: act.MemberCode,
				MemberName: act.MemberName, Paragraph: act.Paragraph, Text: act.Text, At: act.At.UTC()})
		}
	}
	c.JSON(http.StatusOK, out)
}

// getProcedure: GET /api/v1/consultations/:key/drafts/:n/procedures/:id.
// The procedure in its effective state, and each member's stand and
// actions, oldest first — every member's for facilitators and observers,
// and for delegates when the facilitators share the objections (with the
// counts of stands); otherwise a delegate gets its own member's only.
func (a *API) getProcedure(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	cons, d, ok := a.draft(c, u)
	if !ok {
		return
	}
	p, ok := draftProcedure(c, d)
	if !ok {
		return
	}
	view, err := a.store.ProcedureState(c.Request.Context(), p.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	proc := &view.Procedure
	out := procedureDetail{procedureBody: procedureOf(proc, cons.Location()), Consultation: cons.Key, Draft: d.Number,
		Members: []memberActions{}}
	if access.CanSeeObjections(u, cons, proc) {
		out.Counts = &standCounts{Silent: view.Silent, Confirmed: view.Confirmed, Broke: view.Broke}
	}
	for _, ms := range view.Members {
		if !access.CanSeeActionsOf(u, cons, proc, ms.Member.ID) {
			continue
		}
		m := memberActions{Member: ms.Member.Code, Name: ms.Member.Name, Stand: ms.Stand, Actions: []actionBody{}}
		for i := range view.Actions {
			if view.Actions[i].MemberID == ms.Member.ID {
				m.Actions = append(m.Actions, actionOf(&view.Actions[i]))
			}
		}
		out.Members = append(out.Members, m)
	}
	c.JSON(http.StatusOK, out)
}

// adoptedMarkdown: GET /api/v1/consultations/:key/drafts/:n/adopted.md.
// The text most recently adopted for the draft, with its national
// footnotes, as Markdown (adopted.WriteMarkdown); 404 while nothing is
// adopted.
func (a *API) adoptedMarkdown(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	_, d, ok := a.draft(c, u)
	if !ok {
		return
	}
	text, err := a.store.LatestAdopted(c.Request.Context(), d.ID)
	if errors.Is(err, models.ErrNotFound) {
		notFound(c, fmt.Sprintf("No version of draft %d has been adopted yet.", d.Number))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := adopted.WriteMarkdown(&buf, adopted.FromModel(text)); err != nil {
		a.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "text/markdown; charset=utf-8", buf.Bytes())
}

// actionFields maps the fields of the Store's messages about an action to
// the JSON paths of the body.
var actionFields = map[string]string{
	"action":    "action",
	"paragraph": "paragraph",
	"text":      "text",
	"amendment": "amendment",
	"member":    "member",
}

// postAction: POST /api/v1/consultations/:key/drafts/:n/procedures/:id/actions.
// A member breaks silence on a paragraph (with an objection and an
// optional amendment), withdraws an objection, confirms ("no objection")
// or attaches a footnote, through the token of its head of delegation (or
// of any of its delegates where national approval is not required), or a
// facilitator's on its behalf (models.Store.Act, audited). 201 with the
// recorded action; 403 for an account that may not act for the member;
// 409 once the procedure has ended or its deadline passed, or for an
// action the member's standing objections rule out; 422 for invalid input.
func (a *API) postAction(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	if !access.CanActForAnyMember(u) && !access.IsDelegate(u) {
		Error(c, http.StatusForbidden, "", "Only a member's delegates, or a facilitator on its behalf, act in a silence procedure.", nil)
		return
	}
	cons, d, ok := a.draft(c, u)
	if !ok {
		return
	}
	p, ok := draftProcedure(c, d)
	if !ok {
		return
	}
	var in actionInput
	if !decode(c, &in) {
		return
	}
	m, ok := a.actingMember(c, u, in.Member)
	if !ok {
		return
	}
	if !access.CanActInProcedure(u, m.ID, cons) {
		Error(c, http.StatusForbidden, "", fmt.Sprintf("Only the head of delegation of %s, or a facilitator on its behalf, may act for it in this silence procedure: the consultation requires national approval.", m.Name), nil)
		return
	}
	action := strings.TrimSpace(in.Action)
	fields := map[string]string{}
	if in.Amendment != "" && action != models.ActionBroke {
		fields["amendment"] = "Only an objection (\"broke\") carries an amendment."
	}
	if in.Paragraph != 0 && action == models.ActionConfirmed {
		fields["paragraph"] = "A confirmation concerns the whole text: leave paragraph out."
	}
	if len(fields) > 0 {
		validation(c, fields)
		return
	}
	act, err := a.store.Act(c.Request.Context(), p.ID, models.ActionInput{MemberID: m.ID, Action: action,
		Paragraph: in.Paragraph, Text: in.Text, Amendment: in.Amendment}, u.ID)
	var verr *models.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &verr):
		out := make(map[string]string, len(verr.Fields))
		for f, msg := range verr.Fields {
			path, ok := actionFields[f]
			if !ok {
				path = f
			}
			out[path] = msg
		}
		validation(c, out)
		return
	case errors.Is(err, models.ErrCannotAct):
		Error(c, http.StatusForbidden, "", fmt.Sprintf("Your account may not act for %s in this silence procedure.", m.Name), nil)
		return
	case errors.Is(err, models.ErrProcedureNotRunning):
		Error(c, http.StatusConflict, "procedure_not_running",
			"This silence procedure is no longer running: it has ended or its deadline has passed. Nothing was recorded.", nil)
		return
	default:
		a.fail(c, err)
		return
	}
	by := u.Name
	if by == "" {
		by = u.Username
	}
	c.JSON(http.StatusCreated, recordedAction{Procedure: p.ID, Member: m.Code, MemberName: m.Name,
		actionBody: actionBody{Action: act.Action, Paragraph: act.Paragraph, Text: act.Text, Amendment: act.Amendment,
			By: by, OnBehalf: act.OnBehalf, At: act.At.UTC()}})
}

// actingMember resolves the member an action is for: the member a
// facilitator names (required), or a delegate's own member (naming it is
// optional; naming another is refused).
func (a *API) actingMember(c *gin.Context, u *models.User, code string) (*models.Member, bool) {
	code = strings.TrimSpace(code)
	switch {
	case access.CanActForAnyMember(u):
		if code == "" {
			validation(c, map[string]string{"member": "Give the code of the member you act for, such as HUN."})
			return nil, false
		}
		m, err := a.store.MemberByCode(c.Request.Context(), code)
		if errors.Is(err, models.ErrNotFound) {
			validation(c, map[string]string{"member": fmt.Sprintf("There is no member with the code %q.", code)})
			return nil, false
		}
		if err != nil {
			a.fail(c, err)
			return nil, false
		}
		return m, true
	case u.Member == nil:
		Error(c, http.StatusForbidden, "", "Your account is not attached to a member.", nil)
		return nil, false
	case code != "" && !strings.EqualFold(code, u.Member.Code):
		Error(c, http.StatusForbidden, "", fmt.Sprintf("You can only act for your own member (%s).", u.Member.Code), nil)
		return nil, false
	}
	return u.Member, true
}
