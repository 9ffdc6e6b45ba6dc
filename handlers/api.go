package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"concord/access"
	"concord/consensus"
	"concord/export"
	"concord/models"
)

// The JSON API under /api/v1 serves automation and other tools. Callers
// authenticate with a bearer token created on /account/tokens; session
// cookies are ignored there, so the API needs no form token and a page on
// another site cannot act through a signed-in browser. A token has the
// rights of its account.

// Access levels of API routes: a bearer token of any account, or of a
// facilitator or observer.
const (
	Bearer      Access = "bearer"
	BearerStaff Access = "bearer-staff"
)

const apiTokenKey = "concord.api.token"

// isAPIPath reports whether a request path belongs to the JSON API.
func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// withoutAPI runs a middleware on every request except those to the API,
// which authenticate with bearer tokens only.
func withoutAPI(mw gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if isAPIPath(c.Request.URL.Path) {
			c.Next()
			return
		}
		mw(c)
	}
}

// apiErrorBody is the shape of every API error.
type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// apiCodes names the error codes of the statuses the API answers with.
var apiCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "validation_failed",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "internal_error",
	http.StatusServiceUnavailable:    "unavailable",
}

// apiError answers with a JSON error and stops the chain. An empty code
// takes the status's usual code.
func (h *Handler) apiError(c *gin.Context, status int, code, message string, fields map[string]string) {
	if code == "" {
		code = apiCodes[status]
		if code == "" {
			code = "error"
		}
	}
	c.AbortWithStatusJSON(status, apiErrorBody{Error: apiErrorDetail{Code: code, Message: message, Fields: fields}})
}

// apiFail maps a Store error to a JSON error; unexpected errors are logged
// once, here, and answered without internals.
func (h *Handler) apiFail(c *gin.Context, err error) {
	var conflict *models.ConflictError
	switch {
	case errors.Is(err, models.ErrNotFound):
		h.apiError(c, http.StatusNotFound, "", "We could not find what you asked for.", nil)
	case errors.Is(err, models.ErrClosed):
		h.apiError(c, http.StatusConflict, "consultation_closed",
			"This consultation is not accepting positions: it is not open, or its deadline has passed. Nothing was saved.", nil)
	case errors.As(err, &conflict):
		h.apiError(c, http.StatusConflict, "", conflict.Message, nil)
	default:
		h.log.Error("API request failed", "route", c.FullPath(), "method", c.Request.Method, "err", err)
		h.apiError(c, http.StatusInternalServerError, "", "Something went wrong on our side. Please try again.", nil)
	}
}

// apiNoRoute answers unknown API addresses.
func (h *Handler) apiNoRoute(c *gin.Context) {
	h.apiError(c, http.StatusNotFound, "", "There is no API endpoint at this address. The endpoints are listed in /api/v1/openapi.json.", nil)
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// apiAuth authenticates the bearer token and lets through only accounts
// the access policy's rule allows. The account is checked on every request.
func (h *Handler) apiAuth(allowed func(*models.User) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="concord"`)
			h.apiError(c, http.StatusUnauthorized, "", "Send an API token in the header “Authorization: Bearer <token>”. Create one on /account/tokens.", nil)
			return
		}
		tok, u, err := h.store.AuthenticateAPIToken(c.Request.Context(), token)
		if errors.Is(err, models.ErrBadToken) {
			c.Header("WWW-Authenticate", `Bearer realm="concord", error="invalid_token"`)
			h.apiError(c, http.StatusUnauthorized, "invalid_token", "This API token is not valid: it may be mistyped, revoked or expired, or its account revoked.", nil)
			return
		}
		if err != nil {
			h.apiFail(c, err)
			return
		}
		c.Set(userKey, u)
		c.Set(apiTokenKey, tok)
		if !allowed(u) {
			h.apiError(c, http.StatusForbidden, "", "Your account does not give access to this endpoint.", nil)
			return
		}
		c.Next()
	}
}

// apiUser is the account of the request's token. A route registered
// without token authentication answers 401 rather than act for nobody.
func (h *Handler) apiUser(c *gin.Context) (*models.User, bool) {
	if _, ok := c.Get(apiTokenKey); !ok {
		h.apiError(c, http.StatusUnauthorized, "", "This endpoint needs an API token.", nil)
		return nil, false
	}
	return currentUser(c), true
}

// apiConsultation is a consultation as the API shows it.
type apiConsultation struct {
	Key                string     `json:"key"`
	Title              string     `json:"title"`
	Description        string     `json:"description"`
	Status             string     `json:"status"`
	Round              int        `json:"round"`
	Deadline           *time.Time `json:"deadline"`
	AcceptingPositions bool       `json:"accepting_positions"`
	// Quorum is the effective quorum: how many responses make a
	// question's verdict speak for the alliance (the whole roster unless
	// the facilitator set a lower number).
	Quorum int `json:"quorum"`
	// Marking is the classification marking of the reports ("" for none).
	Marking   string       `json:"marking"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Sections  []apiSection `json:"sections,omitempty"`
}

type apiSection struct {
	Title     string        `json:"title"`
	Questions []apiQuestion `json:"questions"`
}

type apiQuestion struct {
	Number    int      `json:"number"` // stable questionnaire number: 1 for Q1
	Key       string   `json:"key"`
	Section   string   `json:"section"`
	Text      string   `json:"text"`
	Help      string   `json:"help"`
	Kind      string   `json:"kind"`
	Points    []string `json:"points"`
	StatusQuo *int     `json:"status_quo"`
	Options   []string `json:"options"`
}

// apiConsultationOf is the API view of a consultation; roster is the
// number of members, against which the quorum is taken.
func (h *Handler) apiConsultationOf(cons *models.Consultation, roster int) apiConsultation {
	out := apiConsultation{Key: cons.Key, Title: cons.Title, Description: cons.Description, Status: cons.Status,
		Round: cons.Round, AcceptingPositions: cons.AcceptsPositions(h.store.Now()),
		Quorum: cons.EffectiveQuorum(roster), Marking: cons.Marking,
		CreatedAt: cons.CreatedAt.UTC(), UpdatedAt: cons.UpdatedAt.UTC()}
	if cons.Deadline != nil {
		d := cons.Deadline.UTC()
		out.Deadline = &d
	}
	return out
}

func apiQuestionOf(q *models.Question, section string) apiQuestion {
	out := apiQuestion{Number: q.Number, Key: q.Key, Section: section, Text: q.Text, Help: q.Help, Kind: q.Kind,
		Points: q.Points(), Options: q.Choices()}
	if out.Points == nil {
		out.Points = []string{}
	}
	if out.Options == nil {
		out.Options = []string{}
	}
	if q.Kind == models.KindScale && q.StatusQuo > 0 {
		sq := q.StatusQuo
		out.StatusQuo = &sq
	}
	return out
}

// apiVisible loads the consultation of the URL; one the account may not see
// (access.CanSeeConsultation: a draft, for a delegate) is reported as not
// found.
func (h *Handler) apiVisible(c *gin.Context, u *models.User) (*models.Consultation, bool) {
	cons, err := h.store.ConsultationByKey(c.Request.Context(), c.Param("key"))
	if err == nil && !access.CanSeeConsultation(u, cons) {
		err = models.ErrNotFound
	}
	if errors.Is(err, models.ErrNotFound) {
		h.apiError(c, http.StatusNotFound, "", fmt.Sprintf("There is no consultation with the key %q.", c.Param("key")), nil)
		return nil, false
	}
	if err != nil {
		h.apiFail(c, err)
		return nil, false
	}
	return cons, true
}

// apiListConsultations: GET /api/v1/consultations.
func (h *Handler) apiListConsultations(c *gin.Context) {
	u, ok := h.apiUser(c)
	if !ok {
		return
	}
	all, err := h.store.Consultations(c.Request.Context())
	if err != nil {
		h.apiFail(c, err)
		return
	}
	list := slices.DeleteFunc(all, func(cons models.Consultation) bool { return !access.CanSeeConsultation(u, &cons) })
	members, err := h.store.Members(c.Request.Context())
	if err != nil {
		h.apiFail(c, err)
		return
	}
	out := make([]apiConsultation, 0, len(list))
	for i := range list {
		out = append(out, h.apiConsultationOf(&list[i], len(members)))
	}
	c.JSON(http.StatusOK, gin.H{"consultations": out})
}

// apiGetConsultation: GET /api/v1/consultations/:key, with its sections
// and questions in order.
func (h *Handler) apiGetConsultation(c *gin.Context) {
	u, ok := h.apiUser(c)
	if !ok {
		return
	}
	cons, ok := h.apiVisible(c, u)
	if !ok {
		return
	}
	qn, err := h.store.Questionnaire(c.Request.Context(), cons.ID)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	members, err := h.store.Members(c.Request.Context())
	if err != nil {
		h.apiFail(c, err)
		return
	}
	out := h.apiConsultationOf(cons, len(members))
	out.Sections = []apiSection{}
	for _, g := range qn.BySection(false) {
		sec := apiSection{Title: g.Section.Title, Questions: make([]apiQuestion, 0, len(g.Questions))}
		for i := range g.Questions {
			sec.Questions = append(sec.Questions, apiQuestionOf(&g.Questions[i], g.Section.Title))
		}
		out.Sections = append(out.Sections, sec)
	}
	c.JSON(http.StatusOK, out)
}

// apiPosition is a member's current position on a question. Fields that
// do not apply to the question's kind are left out. A withdrawn answer is
// not a current position: the question is simply absent.
type apiPosition struct {
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
	AcceptOptions []int     `json:"acceptable_options,omitempty"`
	Answer        string    `json:"answer_text,omitempty"`
	Rationale     string    `json:"rationale,omitempty"`
	Revision      int       `json:"revision"`
	SubmittedAt   time.Time `json:"submitted_at"`
	SubmittedBy   string    `json:"submitted_by"`
	Source        string    `json:"source"`
}

func apiPositionOf(r *models.RevisionRecord, q *models.Question) apiPosition {
	p := apiPosition{Member: r.MemberCode, QuestionKey: q.Key, Kind: q.Kind, Rationale: r.Rationale,
		Revision: r.Seq, SubmittedAt: r.SubmittedAt.UTC(), SubmittedBy: r.SubmitterName, Source: r.Source}
	switch q.Kind {
	case models.KindScale:
		p.Preferred, p.AcceptMin, p.AcceptMax, p.Importance = r.Preferred, r.AcceptMin, r.AcceptMax, r.Importance
	case models.KindChoice:
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

// apiGetPositions: GET /api/v1/consultations/:key/positions. Delegates read
// their own member's positions; facilitators and observers read one
// member's (?member=CODE) or every member's.
func (h *Handler) apiGetPositions(c *gin.Context) {
	u, ok := h.apiUser(c)
	if !ok {
		return
	}
	cons, ok := h.apiVisible(c, u)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	code := strings.TrimSpace(c.Query("member"))
	var member *models.Member
	switch {
	case !access.CanReadAttributed(u): // a delegate: their own member's
		if u.Member == nil {
			h.apiError(c, http.StatusForbidden, "", "Your account is not attached to a member.", nil)
			return
		}
		if code != "" && !strings.EqualFold(code, u.Member.Code) {
			h.apiError(c, http.StatusForbidden, "", fmt.Sprintf("You can only read the positions of your own member (%s).", u.Member.Code), nil)
			return
		}
		member = u.Member
	default: // staff: one member's, or every member's
		if code != "" {
			m, err := h.store.MemberByCode(ctx, code)
			if errors.Is(err, models.ErrNotFound) {
				h.apiError(c, http.StatusNotFound, "", fmt.Sprintf("There is no member with the code %q.", code), nil)
				return
			}
			if err != nil {
				h.apiFail(c, err)
				return
			}
			member = m
		}
	}
	if member != nil && !access.CanReadPositions(u, member.ID) {
		h.apiError(c, http.StatusForbidden, "", "Your account does not give access to these positions.", nil)
		return
	}
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	questions := make(map[uint]*models.Question, len(qn.Questions))
	for i := range qn.Questions {
		questions[qn.Questions[i].ID] = &qn.Questions[i]
	}
	out := []apiPosition{}
	if member != nil {
		current, err := h.store.MemberPositions(ctx, cons.ID, cons.Round, member.ID)
		if err != nil {
			h.apiFail(c, err)
			return
		}
		for i := range qn.Questions { // questionnaire order
			q := &qn.Questions[i]
			if r, ok := current[q.ID]; ok {
				out = append(out, apiPositionOf(&r, q))
			}
		}
	} else {
		current, err := h.store.CurrentPositions(ctx, cons.ID, cons.Round)
		if err != nil {
			h.apiFail(c, err)
			return
		}
		for i := range current {
			if q := questions[current[i].QuestionID]; q != nil {
				out = append(out, apiPositionOf(&current[i], q))
			}
		}
	}
	body := gin.H{"consultation": cons.Key, "round": cons.Round, "positions": out}
	if member != nil {
		body["member"] = member.Code
	}
	c.JSON(http.StatusOK, body)
}

// apiPositionInput is one position of a PUT body.
type apiPositionInput struct {
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
	// Withdrawn withdraws the member's answer (no other field may be
	// given); absent or false leaves the position as the other fields say.
	Withdrawn bool `json:"withdrawn"`
}

// apiPositionsBody is the body of a PUT; each position is decoded on its
// own so that a problem is reported at its index.
type apiPositionsBody struct {
	Member    string            `json:"member"`
	Positions []json.RawMessage `json:"positions"`
}

// fieldsByKind lists, per question kind, the answer fields that apply.
var fieldsByKind = map[string][]string{
	models.KindScale:  {models.FieldPreferred, models.FieldAcceptMin, models.FieldAcceptMax, models.FieldImportance, models.FieldRationale},
	models.KindChoice: {models.FieldOption, "choice", models.FieldAcceptOpts, models.FieldRationale},
	models.KindText:   {models.FieldAnswer},
}

// given lists the answer fields an input sets.
func (in *apiPositionInput) given() []string {
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
	return out
}

// apiPutPositions: PUT /api/v1/consultations/:key/positions. The same
// rules as the position form apply, and the same all-or-nothing save.
func (h *Handler) apiPutPositions(c *gin.Context) {
	u, ok := h.apiUser(c)
	if !ok {
		return
	}
	if !access.CanWritePositions(u) {
		h.apiError(c, http.StatusForbidden, "", "Observers can read positions but not change them.", nil)
		return
	}
	cons, ok := h.apiVisible(c, u)
	if !ok {
		return
	}
	var body apiPositionsBody
	if !h.apiDecode(c, &body) {
		return
	}
	ctx := c.Request.Context()
	member, ok := h.apiTargetMember(c, u, body.Member)
	if !ok {
		return
	}
	if !cons.AcceptsPositions(h.store.Now()) {
		h.apiFail(c, models.ErrClosed)
		return
	}
	qn, err := h.store.Questionnaire(ctx, cons.ID)
	if err != nil {
		h.apiFail(c, err)
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
		if msgs == nil {
			pin = pin.Normalize(q)
			msgs = h.store.Check(pin, q)
			// A default derived from an invalid preferred point is not
			// the caller's mistake: report only the fields they gave.
			given := in.given()
			for _, f := range []string{models.FieldAcceptMin, models.FieldAcceptMax, models.FieldImportance} {
				if !slices.Contains(given, f) {
					delete(msgs, f)
				}
			}
		}
		if in.Choice != "" && in.Option == 0 {
			usedChoice[key] = true
			if m, ok := msgs[models.FieldOption]; ok {
				delete(msgs, models.FieldOption)
				msgs["choice"] = m
			}
		}
		for f, msg := range msgs {
			fields[fieldPath(prefix, f)] = msg
		}
		inputs = append(inputs, pin)
	}
	if len(fields) > 0 {
		h.apiValidation(c, fields)
		return
	}
	// A facilitator's token enters positions on the member's behalf.
	res, err := h.store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: member.ID,
		UserID: u.ID, Source: models.SourceAPI, OnBehalf: access.OnBehalf(u, member.ID), Inputs: inputs})
	var serr *models.SubmissionError
	if errors.As(err, &serr) {
		// The questionnaire changed between the check and the save.
		for key, msgs := range serr.Questions {
			for f, msg := range msgs {
				if f == models.FieldOption && usedChoice[key] {
					f = "choice"
				}
				fields[fieldPath(fmt.Sprintf("positions[%d]", index[key]), f)] = msg
			}
		}
		h.apiValidation(c, fields)
		return
	}
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"changed": res.Changed, "unchanged": res.Unchanged})
}

func fieldPath(prefix, field string) string {
	if field == "" {
		return prefix
	}
	return prefix + "." + field
}

func (h *Handler) apiValidation(c *gin.Context, fields map[string]string) {
	n := len(fields)
	msg := "1 field needs attention. Nothing was saved."
	if n != 1 {
		msg = fmt.Sprintf("%d fields need attention. Nothing was saved.", n)
	}
	h.apiError(c, http.StatusUnprocessableEntity, "", msg, fields)
}

// apiTargetMember resolves whose positions a PUT changes: the member a
// facilitator names, or a delegate's own member (naming it is optional).
// Either way the access policy must let the account act for it.
func (h *Handler) apiTargetMember(c *gin.Context, u *models.User, code string) (*models.Member, bool) {
	code = strings.TrimSpace(code)
	var m *models.Member
	switch {
	case access.CanActForAnyMember(u):
		if code == "" {
			h.apiValidation(c, map[string]string{"member": "Give the code of the member whose positions these are, such as EST."})
			return nil, false
		}
		var err error
		m, err = h.store.MemberByCode(c.Request.Context(), code)
		if errors.Is(err, models.ErrNotFound) {
			h.apiValidation(c, map[string]string{"member": fmt.Sprintf("There is no member with the code %q.", code)})
			return nil, false
		}
		if err != nil {
			h.apiFail(c, err)
			return nil, false
		}
	case u.Member == nil:
		h.apiError(c, http.StatusForbidden, "", "Your account is not attached to a member.", nil)
		return nil, false
	case code != "" && !strings.EqualFold(code, u.Member.Code):
		h.apiError(c, http.StatusForbidden, "", fmt.Sprintf("You can only submit the positions of your own member (%s).", u.Member.Code), nil)
		return nil, false
	default:
		m = u.Member
	}
	if !access.CanActForMember(u, m.ID) {
		h.apiError(c, http.StatusForbidden, "", "Your account cannot change positions.", nil)
		return nil, false
	}
	return m, true
}

// toPositionInput converts an API position for its question: the choice
// may be given by its text, and fields that do not belong to the kind of
// question are refused rather than silently dropped.
func toPositionInput(in apiPositionInput, q *models.Question) (models.PositionInput, map[string]string) {
	msgs := map[string]string{}
	allowed := fieldsByKind[q.Kind]
	given := in.given()
	if in.Withdrawn {
		if len(given) > 0 {
			return models.PositionInput{}, map[string]string{models.FieldWithdrawn: "Withdraw the answer or give one, not both: " +
				"a position with \"withdrawn\": true takes no other field than question_key."}
		}
		return models.PositionInput{QuestionKey: q.Key, Withdrawn: true}, nil
	}
	for _, f := range given {
		if !slices.Contains(allowed, f) {
			msgs[f] = fmt.Sprintf("Does not apply to a %s question; give only %s.", q.Kind, strings.Join(allowed, ", "))
		}
	}
	out := models.PositionInput{QuestionKey: q.Key, Preferred: in.Preferred, AcceptMin: in.AcceptMin,
		AcceptMax: in.AcceptMax, Importance: strings.TrimSpace(in.Importance), Option: in.Option,
		AcceptOptions: in.AcceptOptions, Answer: cleanText(in.Answer), Rationale: cleanText(in.Rationale)}
	if q.Kind == models.KindChoice {
		// Zero would be dropped silently by Normalize: every number given
		// must name an option.
		n := len(q.Choices())
		if slices.ContainsFunc(in.AcceptOptions, func(o int) bool { return o < 1 || o > n }) {
			msgs[models.FieldAcceptOpts] = fmt.Sprintf("Acceptable options are numbered 1 to %d.", n)
		}
	}
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
func decodePosition(raw json.RawMessage) (apiPositionInput, map[string]string) {
	var in apiPositionInput
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

// jsonProblem names the field of a decoding error and explains it.
func jsonProblem(err error) (field, msg string) {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field = typeErr.Field
		switch typeErr.Type.Kind() {
		case reflect.Int:
			return field, "Must be a whole number."
		case reflect.String:
			return field, "Must be a string."
		case reflect.Slice:
			return field, "Must be a list."
		case reflect.Bool:
			return field, "Must be true or false."
		}
		return field, "Has the wrong type."
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(name, `"`), "Unknown field."
	}
	return "", err.Error()
}

// apiDecode reads a JSON request body into v: 415 for another content
// type, 413 when too large, 400 when not JSON, 422 for unknown fields and
// wrong types.
func (h *Handler) apiDecode(c *gin.Context, v any) bool {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			h.apiError(c, http.StatusUnsupportedMediaType, "", "Send the body as JSON, with “Content-Type: application/json”.", nil)
			return false
		}
	}
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.apiError(c, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("The body is larger than %d KB. Nothing was saved.", tooBig.Limit>>10), nil)
			return false
		}
		h.apiError(c, http.StatusBadRequest, "", "The body could not be read.", nil)
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		h.apiError(c, http.StatusBadRequest, "invalid_json", "The body is empty; send a JSON object.", nil)
		return false
	}
	if !json.Valid(data) {
		h.apiError(c, http.StatusBadRequest, "invalid_json", "The body is not valid JSON.", nil)
		return false
	}
	// encoding/json would silently replace invalid UTF-8 and lone
	// surrogates by U+FFFD: refuse them as the web forms do.
	if path, ok := models.JSONTextProblem(data); !ok {
		if path == "" {
			path = "body"
		}
		h.apiValidation(c, map[string]string{path: models.JSONTextMessage})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field, msg := jsonProblem(err)
		if field == "" {
			h.apiError(c, http.StatusBadRequest, "invalid_json", "The body must be a JSON object.", nil)
			return false
		}
		h.apiValidation(c, map[string]string{field: msg})
		return false
	}
	return true
}

// apiReport: GET /api/v1/consultations/:key/report — the analysis of the
// current round, or of ?round=N.
func (h *Handler) apiReport(c *gin.Context) {
	u, ok := h.apiUser(c)
	if !ok {
		return
	}
	cons, ok := h.apiVisible(c, u)
	if !ok {
		return
	}
	round, ok := h.apiRound(c, cons)
	if !ok {
		return
	}
	a, err := h.store.LoadAnalysis(c.Request.Context(), cons, round)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	h.audit(c, models.AuditEvent{UserID: &u.ID, Action: models.AuditExportDownload,
		Subject: "consultation " + cons.Key, Detail: fmt.Sprintf("report.json via API, round %d", round)})
	c.JSON(http.StatusOK, consensus.Analyze(a.Input))
}

// apiExport: GET /api/v1/consultations/:key/exports/:file — one CSV table
// of the export pack of the current round, as on the exports page but
// without a byte-order mark. The download is audited like a page download.
func (h *Handler) apiExport(c *gin.Context) {
	u, ok := h.apiUser(c)
	if !ok {
		return
	}
	cons, ok := h.apiVisible(c, u)
	if !ok {
		return
	}
	name := c.Param("file")
	names := make([]string, 0, len(export.Files))
	for _, f := range export.Files {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, name) {
		h.apiError(c, http.StatusNotFound, "", fmt.Sprintf("There is no export file %q; the files are %s.", name, strings.Join(names, ", ")), nil)
		return
	}
	pack, err := h.exportPack(c.Request.Context(), cons)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	t, _ := pack.Table(name) // name is one of export.Files
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, t, false); err != nil {
		h.apiFail(c, fmt.Errorf("export %s of %s: %w", name, cons.Key, err))
		return
	}
	h.recordDownload(c, cons, name, false)
	sendAttachment(c, export.FileName(cons.Key, name), contentCSV, buf.Bytes())
}

// apiRound reads the optional ?round=N of a report: 1 up to the
// consultation's current round, which is the default.
func (h *Handler) apiRound(c *gin.Context, cons *models.Consultation) (int, bool) {
	v := c.Query("round")
	if v == "" {
		return cons.Round, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > cons.Round {
		h.apiValidation(c, map[string]string{"round": fmt.Sprintf("Give a round from 1 to %d.", cons.Round)})
		return 0, false
	}
	return n, true
}
