package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/models"
)

// positionBody is a member's current position on a question, or one of
// its pending drafts. Fields that do not apply to the question's kind are
// left out. A withdrawn answer is not a current position: the question is
// simply absent (a pending draft may withdraw it: Withdrawn).
type positionBody struct {
	Member      string `json:"member"`
	QuestionKey string `json:"question_key"`
	Kind        string `json:"kind"`
	Preferred   int    `json:"preferred,omitempty"`
	AcceptMin   int    `json:"acceptable_min,omitempty"`
	AcceptMax   int    `json:"acceptable_max,omitempty"`
	Importance  string `json:"importance,omitempty"`
	Option      int    `json:"option,omitempty"`
	Choice      string `json:"choice,omitempty"`
	// AcceptOptions (choice): the numbers of every option the member could
	// accept, the chosen one included, ascending.
	AcceptOptions []int  `json:"acceptable_options,omitempty"`
	Answer        string `json:"answer_text,omitempty"`
	Rationale     string `json:"rationale,omitempty"`
	// Conditions (scale, choice): the conditions of the member's
	// acceptance.
	Conditions  string    `json:"conditions,omitempty"`
	Revision    int       `json:"revision"`
	SubmittedAt time.Time `json:"submitted_at"`
	SubmittedBy string    `json:"submitted_by"`
	Source      string    `json:"source"`
	// State is the approval state of the revision (models.StateDraft,
	// StateApproved, StateReturned); empty where approval is not required.
	State string `json:"state,omitempty"`
	// ReviewComment is the comment of a returned draft.
	ReviewComment string `json:"review_comment,omitempty"`
	// Withdrawn marks a pending draft that withdraws the answer.
	Withdrawn bool `json:"withdrawn,omitempty"`
}

func positionOf(r *models.RevisionRecord, q *models.Question) positionBody {
	p := positionBody{Member: r.MemberCode, QuestionKey: q.Key, Kind: q.Kind, Rationale: r.Rationale,
		Revision: r.Seq, SubmittedAt: r.SubmittedAt.UTC(), SubmittedBy: r.SubmitterName, Source: r.Source,
		State: r.State, ReviewComment: r.ReviewComment, Withdrawn: r.Withdrawn}
	if r.Withdrawn {
		return p
	}
	switch q.Kind {
	case models.KindScale:
		p.Preferred, p.AcceptMin, p.AcceptMax, p.Importance = r.Preferred, r.AcceptMin, r.AcceptMax, r.Importance
		p.Conditions = r.Conditions
	case models.KindChoice:
		p.Conditions = r.Conditions
		p.Option = r.Choice
		if opts := q.Choices(); r.Choice >= 1 && r.Choice <= len(opts) {
			p.Choice = opts[r.Choice-1]
		}
		p.AcceptOptions = r.AcceptedOptions()
	case models.KindText:
		p.Answer = r.Answer
	}
	return p
}

// getPositions: GET /api/v1/consultations/:key/positions. Delegates read
// their own member's positions; facilitators and observers read one
// member's (?member=CODE) or every member's; ?round=N reads an earlier
// round. The positions are the members' current positions — under
// national approval, their approved ones, as the report and the exports
// count them. When one member is read by an account that may act for it
// (its delegates, facilitators), the member's drafts awaiting approval and
// returned drafts of the current round follow as "pending".
func (a *API) getPositions(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	cons, ok := a.visible(c, u)
	if !ok {
		return
	}
	round, ok := roundParam(c, cons)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	code := strings.TrimSpace(c.Query("member"))
	var member *models.Member
	switch {
	case !access.CanReadAttributed(u): // a delegate: their own member's
		if u.Member == nil {
			Error(c, http.StatusForbidden, "", "Your account is not attached to a member.", nil)
			return
		}
		if code != "" && !strings.EqualFold(code, u.Member.Code) {
			Error(c, http.StatusForbidden, "", fmt.Sprintf("You can only read the positions of your own member (%s).", u.Member.Code), nil)
			return
		}
		member = u.Member
	default: // staff: one member's, or every member's
		if code != "" {
			m, err := a.store.MemberByCode(ctx, code)
			if errors.Is(err, models.ErrNotFound) {
				Error(c, http.StatusNotFound, "", fmt.Sprintf("There is no member with the code %q.", code), nil)
				return
			}
			if err != nil {
				a.fail(c, err)
				return
			}
			member = m
		}
	}
	if member != nil && !access.CanReadPositions(u, member.ID) {
		Error(c, http.StatusForbidden, "", "Your account does not give access to these positions.", nil)
		return
	}
	qn, err := a.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	questions := make(map[uint]*models.Question, len(qn.Questions))
	for i := range qn.Questions {
		questions[qn.Questions[i].ID] = &qn.Questions[i]
	}
	out := []positionBody{}
	var pending []positionBody
	if member != nil {
		current, err := a.store.MemberPositions(ctx, cons.ID, round, member.ID)
		if err != nil {
			a.fail(c, err)
			return
		}
		var drafts map[uint]models.RevisionRecord
		if round == cons.Round && access.CanActForMember(u, member.ID) {
			if drafts, err = a.store.PendingPositions(ctx, cons.ID, round, member.ID); err != nil {
				a.fail(c, err)
				return
			}
			pending = []positionBody{}
		}
		for i := range qn.Questions { // questionnaire order
			q := &qn.Questions[i]
			if r, ok := current[q.ID]; ok {
				out = append(out, positionOf(&r, q))
			}
			if r, ok := drafts[q.ID]; ok {
				pending = append(pending, positionOf(&r, q))
			}
		}
	} else {
		current, err := a.store.CurrentPositions(ctx, cons.ID, round)
		if err != nil {
			a.fail(c, err)
			return
		}
		for i := range current {
			if q := questions[current[i].QuestionID]; q != nil {
				out = append(out, positionOf(&current[i], q))
			}
		}
	}
	body := gin.H{"consultation": cons.Key, "round": round, "positions": out}
	if member != nil {
		body["member"] = member.Code
	}
	// Drafts exist only where approval is (or was) required; without
	// either, the answer is as it always was.
	if pending != nil && (cons.RequireApproval || len(pending) > 0) {
		body["pending"] = pending
	}
	c.JSON(http.StatusOK, body)
}

// positionInput is one position of a PUT body. Its fields describe the
// whole answer, as the form does: a field left out takes its default
// (conditions and rationale: none), it never keeps an earlier value.
type positionInput struct {
	QuestionKey string `json:"question_key"`
	Preferred   int    `json:"preferred"`
	AcceptMin   int    `json:"acceptable_min"`
	AcceptMax   int    `json:"acceptable_max"`
	Importance  string `json:"importance"`
	Option      int    `json:"option"`
	Choice      string `json:"choice"`
	// AcceptOptions (choice): the other options the member could accept,
	// by number; the chosen one is always acceptable. Absent or empty: the
	// chosen option alone.
	AcceptOptions []int  `json:"acceptable_options"`
	Answer        string `json:"answer_text"`
	Rationale     string `json:"rationale"`
	// Conditions (scale, choice): the conditions of the member's
	// acceptance; absent or empty: none.
	Conditions string `json:"conditions"`
	// Withdrawn withdraws the member's answer (no other field may be
	// given); absent or false leaves the position as the other fields say.
	Withdrawn bool `json:"withdrawn"`
	// Keep confirms the member's answer of the previous round as its
	// answer in this round (no other field may be given; the Store refuses
	// it where there is no previous-round answer).
	Keep bool `json:"keep"`
}

// putBody is the body of a PUT; each position is decoded on its
// own so that a problem is reported at its index.
type putBody struct {
	Member    string            `json:"member"`
	Positions []json.RawMessage `json:"positions"`
}

// fieldsByKind lists, per question kind, the JSON fields a position may
// carry besides question_key, withdrawn and keep.
var fieldsByKind = map[string][]string{
	models.KindScale: {models.FieldPreferred, models.FieldAcceptMin, models.FieldAcceptMax, models.FieldImportance,
		models.FieldRationale, models.FieldConditions},
	models.KindChoice: {models.FieldOption, "choice", models.FieldAcceptOpts, models.FieldRationale, models.FieldConditions},
	models.KindText:   {models.FieldAnswer},
}

// given lists the answer fields an input sets.
func (in *positionInput) given() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(in.Preferred != 0, models.FieldPreferred)
	add(in.AcceptMin != 0, models.FieldAcceptMin)
	add(in.AcceptMax != 0, models.FieldAcceptMax)
	add(in.Importance != "", models.FieldImportance)
	add(in.Option != 0, models.FieldOption)
	add(in.Choice != "", "choice")
	add(len(in.AcceptOptions) > 0, models.FieldAcceptOpts)
	add(in.Answer != "", models.FieldAnswer)
	add(in.Rationale != "", models.FieldRationale)
	add(in.Conditions != "", models.FieldConditions)
	return out
}

// putPositions: PUT /api/v1/consultations/:key/positions. The same
// rules as the position form apply, and the same all-or-nothing save.
// Where the consultation requires national approval, the Store decides
// what a save is, as for the form: a draft for a delegate who is not the
// member's head of delegation, approved at once for the head of
// delegation and for a facilitator; the answer's "state" says which.
func (a *API) putPositions(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	if !access.CanWritePositions(u) {
		Error(c, http.StatusForbidden, "", "Observers can read positions but not change them.", nil)
		return
	}
	cons, ok := a.visible(c, u)
	if !ok {
		return
	}
	var body putBody
	if !decode(c, &body) {
		return
	}
	ctx := c.Request.Context()
	member, ok := a.targetMember(c, u, body.Member)
	if !ok {
		return
	}
	if !cons.AcceptsPositions(a.store.Now()) {
		a.fail(c, models.ErrClosed)
		return
	}
	qn, err := a.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	byKey := make(map[string]*models.Question, len(qn.Questions))
	for i := range qn.Questions {
		byKey[qn.Questions[i].Key] = &qn.Questions[i]
	}
	fields := map[string]string{}
	if len(body.Positions) == 0 {
		fields["positions"] = "Give at least one position."
	}
	inputs := make([]models.PositionInput, 0, len(body.Positions))
	index := map[string]int{} // question key → index of its position
	usedChoice := map[string]bool{}
	for i, raw := range body.Positions {
		prefix := fmt.Sprintf("positions[%d]", i)
		in, problems := decodePosition(raw)
		for f, msg := range problems {
			fields[fieldPath(prefix, f)] = msg
		}
		if len(problems) > 0 {
			continue
		}
		key := strings.TrimSpace(in.QuestionKey)
		q := byKey[key]
		switch {
		case key == "":
			fields[prefix+".question_key"] = "Give the key of the question."
			continue
		case q == nil:
			fields[prefix+".question_key"] = fmt.Sprintf("This consultation has no question with the key %q.", key)
			continue
		}
		if first, dup := index[key]; dup {
			fields[prefix+".question_key"] = fmt.Sprintf("This question is already answered in positions[%d].", first)
			continue
		}
		index[key] = i
		pin, msgs := toPositionInput(in, q)
		if msgs != nil { // the JSON does not make a position: nothing for the Store to judge
			for f, msg := range msgs {
				fields[fieldPath(prefix, f)] = msg
			}
			continue
		}
		usedChoice[key] = in.Choice != "" && in.Option == 0
		inputs = append(inputs, pin)
	}
	// The Store is the one validator of the values: it saves all or
	// nothing, and its messages are placed at the JSON path of the
	// position that answered each question. When the request is refused
	// anyway, the Store still checks the well-formed positions, so that
	// every problem is reported at once.
	if len(fields) == 0 {
		// A facilitator's token enters positions on the member's behalf.
		var res models.SubmitResult
		res, err = a.store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: member.ID,
			UserID: u.ID, Source: models.SourceAPI, OnBehalf: access.OnBehalf(u, member.ID), Inputs: inputs})
		if err == nil {
			out := gin.H{"changed": res.Changed, "unchanged": res.Unchanged}
			if cons.RequireApproval {
				out["state"] = models.StateDraft
				if access.CanApprove(u, member.ID) {
					out["state"] = models.StateApproved
				}
			}
			c.JSON(http.StatusOK, out)
			return
		}
	} else {
		err = a.store.CheckPositions(qn.Questions, inputs)
	}
	var serr *models.SubmissionError
	switch {
	case errors.As(err, &serr):
		for key, msgs := range serr.Questions {
			for f, msg := range msgs {
				if f == models.FieldOption && usedChoice[key] {
					f = "choice" // the option was given by its text
				}
				fields[fieldPath(fmt.Sprintf("positions[%d]", index[key]), f)] = msg
			}
		}
	case errors.Is(err, models.ErrNotApprover):
		Error(c, http.StatusForbidden, "", "Only the member's head of delegation or a facilitator may approve its positions.", nil)
		return
	case err != nil:
		a.fail(c, err)
		return
	}
	validation(c, fields)
}

func fieldPath(prefix, field string) string {
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}

// targetMember resolves whose positions a PUT changes: the member a
// facilitator names, or a delegate's own member (naming it is optional).
// Either way the access policy must let the account act for it.
func (a *API) targetMember(c *gin.Context, u *models.User, code string) (*models.Member, bool) {
	code = strings.TrimSpace(code)
	var m *models.Member
	switch {
	case access.CanActForAnyMember(u):
		if code == "" {
			validation(c, map[string]string{"member": "Give the code of the member whose positions these are, such as EST."})
			return nil, false
		}
		var err error
		m, err = a.store.MemberByCode(c.Request.Context(), code)
		if errors.Is(err, models.ErrNotFound) {
			validation(c, map[string]string{"member": fmt.Sprintf("There is no member with the code %q.", code)})
			return nil, false
		}
		if err != nil {
			a.fail(c, err)
			return nil, false
		}
	case u.Member == nil:
		Error(c, http.StatusForbidden, "", "Your account is not attached to a member.", nil)
		return nil, false
	case code != "" && !strings.EqualFold(code, u.Member.Code):
		Error(c, http.StatusForbidden, "", fmt.Sprintf("You can only submit the positions of your own member (%s).", u.Member.Code), nil)
		return nil, false
	default:
		m = u.Member
	}
	if !access.CanActForMember(u, m.ID) {
		Error(c, http.StatusForbidden, "", "Your account cannot change positions.", nil)
		return nil, false
	}
	return m, true
}

// toPositionInput translates an API position for its question; it checks
// the shape of the JSON only, never the values (the Store's to validate):
// the choice may be given by its text, which must name an option; fields
// that do not belong to the kind of question are refused rather than
// silently dropped; a withdrawal carries no other field. Keep is passed on
// with the rest, for the Store to judge (it takes no other value).
func toPositionInput(in positionInput, q *models.Question) (models.PositionInput, map[string]string) {
	msgs := map[string]string{}
	allowed := fieldsByKind[q.Kind]
	given := in.given()
	if in.Withdrawn {
		if len(given) > 0 {
			return models.PositionInput{}, map[string]string{models.FieldWithdrawn: "Withdraw the answer or give one, not both: " +
				"a position with \"withdrawn\": true takes no other field than question_key."}
		}
		return models.PositionInput{QuestionKey: q.Key, Withdrawn: true, Keep: in.Keep}, nil
	}
	for _, f := range given {
		if !slices.Contains(allowed, f) {
			msgs[f] = fmt.Sprintf("Does not apply to a %s question; give only %s.", q.Kind, strings.Join(allowed, ", "))
		}
	}
	out := models.PositionInput{QuestionKey: q.Key, Preferred: in.Preferred, AcceptMin: in.AcceptMin,
		AcceptMax: in.AcceptMax, Importance: strings.TrimSpace(in.Importance), Option: in.Option,
		AcceptOptions: in.AcceptOptions, Answer: cleanText(in.Answer), Rationale: cleanText(in.Rationale),
		Conditions: cleanText(in.Conditions), Keep: in.Keep}
	if q.Kind == models.KindChoice && in.Choice != "" {
		idx := 0
		for i, opt := range q.Choices() {
			if strings.EqualFold(strings.TrimSpace(in.Choice), opt) {
				idx = i + 1
				break
			}
		}
		switch {
		case idx == 0:
			msgs["choice"] = "Not one of the options: " + strings.Join(q.Choices(), "; ") + "."
		case in.Option != 0 && in.Option != idx:
			msgs["choice"] = fmt.Sprintf("Names option %d, but option is %d; give one or make them agree.", idx, in.Option)
		default:
			out.Option = idx
		}
	}
	if len(msgs) > 0 {
		return out, msgs
	}
	return out, nil
}

func cleanText(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

// decodePosition decodes one position, naming the fields of the wrong type
// or unknown.
func decodePosition(raw json.RawMessage) (positionInput, map[string]string) {
	var in positionInput
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return in, map[string]string{"question_key": "Give the key of the question."}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		field, msg := jsonProblem(err)
		if field == "" {
			return in, map[string]string{"": "Each position must be a JSON object."}
		}
		return in, map[string]string{field: msg}
	}
	return in, nil
}
