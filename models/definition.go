package models

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Definition is a consultation's questionnaire as a portable JSON file:
// enough to create the same consultation in another Concord (or again in
// this one under another key). Positions are not part of it.
type Definition struct {
	Key         string               `json:"key"`
	Title       string               `json:"title"`
	Description string               `json:"description"`
	Questions   []DefinitionQuestion `json:"questions"`
}

// DefinitionQuestion is one question of a definition. Points are the labels
// of the scale points 1..k (scale questions), Options the choices (choice
// questions); StatusQuo is a scale point, 0 for none.
type DefinitionQuestion struct {
	Key       string   `json:"key"`
	Section   string   `json:"section"`
	Text      string   `json:"text"`
	Help      string   `json:"help,omitempty"`
	Kind      string   `json:"kind"`
	Points    []string `json:"points,omitempty"`
	StatusQuo int      `json:"status_quo,omitempty"`
	Options   []string `json:"options,omitempty"`
}

// Problem is one thing wrong with an imported file: where (a JSON path such
// as questions[2].points, or a line of a CSV file) and what, in words a
// facilitator can act on.
type Problem struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.Line > 0 && p.Path != "":
		return fmt.Sprintf("line %d, %s: %s", p.Line, p.Path, p.Message)
	case p.Line > 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	case p.Path != "":
		return p.Path + ": " + p.Message
	}
	return p.Message
}

// DefinitionError lists every problem of a definition; nothing was created.
type DefinitionError struct {
	Problems []Problem
}

func (e *DefinitionError) Error() string {
	list := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		list[i] = p.String()
	}
	return fmt.Sprintf("the definition has %d problem(s): %s", len(e.Problems), strings.Join(list, "; "))
}

// MaxDefinitionQuestions bounds the size of an imported definition.
const MaxDefinitionQuestions = 500

// ParseDefinition reads a definition file. It reports every problem it can
// find in one pass — invalid JSON, unknown fields, values of the wrong
// type — each with its JSON path, as a *DefinitionError.
func ParseDefinition(data []byte) (*Definition, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	var probs []Problem
	if !json.Valid(data) {
		return nil, &DefinitionError{Problems: []Problem{{Message: jsonSyntaxMessage(data)}}}
	}
	// Decoding would silently replace invalid UTF-8 and lone surrogates
	// by U+FFFD: refuse them, as the question form does.
	if path, ok := JSONTextProblem(data); !ok {
		return nil, &DefinitionError{Problems: []Problem{{Path: path, Message: JSONTextMessage}}}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &DefinitionError{Problems: []Problem{{Message: "The file must hold one JSON object with key, title, description and questions."}}}
	}
	def := &Definition{}
	probs = append(probs, decodeFields("", top, map[string]any{
		"key": &def.Key, "title": &def.Title, "description": &def.Description,
	}, "questions")...)
	if raw, ok := top["questions"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			probs = append(probs, Problem{Path: "questions", Message: "Must be a list of questions."})
		}
		if len(list) > MaxDefinitionQuestions {
			probs = append(probs, Problem{Path: "questions", Message: fmt.Sprintf("A consultation has at most %d questions.", MaxDefinitionQuestions)})
			list = nil
		}
		def.Questions = make([]DefinitionQuestion, len(list))
		for i, item := range list {
			path := fmt.Sprintf("questions[%d]", i)
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(item, &fields); err != nil || fields == nil {
				probs = append(probs, Problem{Path: path, Message: "Must be an object with key, section, text and kind."})
				continue
			}
			q := &def.Questions[i]
			probs = append(probs, decodeFields(path, fields, map[string]any{
				"key": &q.Key, "section": &q.Section, "text": &q.Text, "help": &q.Help, "kind": &q.Kind,
				"points": &q.Points, "status_quo": &q.StatusQuo, "options": &q.Options,
			})...)
		}
	}
	if len(probs) > 0 {
		return nil, &DefinitionError{Problems: probs}
	}
	return def, nil
}

// decodeFields decodes the known fields of a JSON object into targets and
// reports unknown fields and values of the wrong type. Fields named in
// handled are decoded by the caller.
func decodeFields(prefix string, fields map[string]json.RawMessage, targets map[string]any, handled ...string) []Problem {
	var probs []Problem
	join := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		target, ok := targets[name]
		if !ok {
			if !slices.Contains(handled, name) {
				probs = append(probs, Problem{Path: join(name), Message: "Unknown field; check its spelling."})
			}
			continue
		}
		raw := fields[name]
		if string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, target); err != nil {
			var msg string
			switch target.(type) {
			case *string:
				msg = "Must be text in quotes."
			case *int:
				msg = "Must be a whole number."
			case *[]string:
				msg = "Must be a list of texts in quotes."
			default:
				msg = "Has the wrong type."
			}
			probs = append(probs, Problem{Path: join(name), Message: msg})
		}
	}
	return probs
}

// jsonSyntaxMessage locates a JSON syntax error by line and column.
func jsonSyntaxMessage(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := 1, 1
		// Offset counts the bytes read, the offending one included.
		for _, b := range data[:min(max(int(syn.Offset)-1, 0), len(data))] {
			if b == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("The file is not valid JSON: %s (line %d, column %d).", syn.Error(), line, col)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "The file is empty."
	}
	return "The file is not valid JSON."
}

// ReadDefinition reads and parses a definition file of at most limit bytes.
func ReadDefinition(r io.Reader, limit int64) (*Definition, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read definition: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, &DefinitionError{Problems: []Problem{{Message: fmt.Sprintf("The file is larger than %d KB.", limit>>10)}}}
	}
	return ParseDefinition(data)
}

// ExportDefinition returns the definition of a consultation: its key,
// title, description and questions in questionnaire order.
func (s *Store) ExportDefinition(ctx context.Context, consultationID uint) (*Definition, error) {
	c, err := s.ConsultationByID(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	qn, err := s.Questionnaire(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	sections := map[uint]string{}
	for _, sec := range qn.Sections {
		sections[sec.ID] = sec.Title
	}
	def := &Definition{Key: c.Key, Title: c.Title, Description: c.Description, Questions: []DefinitionQuestion{}}
	for _, q := range qn.Questions {
		dq := DefinitionQuestion{Key: q.Key, Section: sections[q.SectionID], Text: q.Text, Help: q.Help, Kind: q.Kind}
		switch q.Kind {
		case KindScale:
			dq.Points, dq.StatusQuo = q.Points(), q.StatusQuo
		case KindChoice:
			dq.Options = q.Choices()
		}
		def.Questions = append(def.Questions, dq)
	}
	return def, nil
}

// questionFieldOrder is the order problems of one question are listed in.
var questionFieldOrder = []string{"key", "section", "text", "help", "kind", "points", "status_quo", "options"}

// CheckDefinition validates a whole definition against the rules of the
// consultation and question forms and returns every problem with its JSON
// path (nil when valid). It does not look at the database.
func (s *Store) CheckDefinition(def *Definition) []Problem {
	var probs []Problem
	cin := ConsultationInput{Key: def.Key, Title: def.Title, Description: def.Description}
	if err := s.checkConsultation(&cin); err != nil {
		var verr *ValidationError
		if errors.As(err, &verr) {
			for _, f := range []string{"key", "title", "description"} {
				if msg, ok := verr.Fields[f]; ok {
					probs = append(probs, Problem{Path: f, Message: msg})
				}
			}
		}
	}
	if len(def.Questions) == 0 {
		probs = append(probs, Problem{Path: "questions", Message: "Give at least one question."})
	}
	firstUse := map[string]int{}
	for i, dq := range def.Questions {
		path := fmt.Sprintf("questions[%d]", i)
		msgs := map[string]string{}
		in := dq.input()
		// A file is not a form with spare rows: a blank label or option, or
		// a field that does not belong to the kind, is a mistake to report
		// rather than something to drop.
		if n := blankAt(dq.Points); n > 0 {
			msgs["points"] = fmt.Sprintf("Point %d has no label.", n)
		}
		if n := blankAt(dq.Options); n > 0 {
			msgs["options"] = fmt.Sprintf("Option %d is empty.", n)
		}
		kind := strings.TrimSpace(dq.Kind)
		if kind != KindScale && len(dq.Points) > 0 && (kind == KindChoice || kind == KindText) {
			msgs["points"] = "Only scale questions have points."
		}
		if kind != KindScale && dq.StatusQuo != 0 && (kind == KindChoice || kind == KindText) {
			msgs["status_quo"] = "Only scale questions have a status quo."
		}
		if kind != KindChoice && len(dq.Options) > 0 && (kind == KindScale || kind == KindText) {
			msgs["options"] = "Only choice questions have options."
		}
		if kind == KindScale && dq.StatusQuo < 0 {
			msgs["status_quo"] = "The status quo must be one of the scale's points, or 0 for none."
		}
		in = in.Normalize()
		for f, m := range s.CheckQuestion(in) {
			if _, seen := msgs[f]; !seen {
				msgs[f] = m
			}
		}
		if in.Key != "" {
			if j, dup := firstUse[in.Key]; dup {
				if _, seen := msgs["key"]; !seen {
					msgs["key"] = fmt.Sprintf("questions[%d] already uses the key %q; each question needs its own.", j, in.Key)
				}
			} else {
				firstUse[in.Key] = i
			}
		}
		for _, f := range questionFieldOrder {
			if m, ok := msgs[f]; ok {
				probs = append(probs, Problem{Path: path + "." + f, Message: m})
				delete(msgs, f)
			}
		}
		for _, f := range slices.Sorted(maps.Keys(msgs)) {
			p := path
			if f != "" {
				p += "." + f
			}
			probs = append(probs, Problem{Path: p, Message: msgs[f]})
		}
	}
	return probs
}

// blankAt returns the 1-based position of the first blank entry, or 0.
func blankAt(list []string) int {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			return i + 1
		}
	}
	return 0
}

func (dq DefinitionQuestion) input() QuestionInput {
	return QuestionInput{Key: dq.Key, Section: dq.Section, Text: dq.Text, Help: dq.Help, Kind: strings.TrimSpace(dq.Kind),
		Labels: dq.Points, Options: dq.Options, StatusQuo: dq.StatusQuo}
}

// ImportDefinition creates a consultation from a definition, with all its
// questions, in one transaction; with open set, the new consultation is
// opened for positions at once. The whole definition is validated first:
// when anything is wrong — including a key another consultation already
// uses — nothing is created and the error is a *DefinitionError listing
// every problem with its JSON path.
func (s *Store) ImportDefinition(ctx context.Context, def *Definition, open bool, by uint) (*Consultation, error) {
	probs := s.CheckDefinition(def)
	key := strings.TrimSpace(def.Key)
	if IsSlug(key) {
		var n int64
		if err := s.r.WithContext(ctx).Model(&Consultation{}).Where("key = ?", key).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("import definition %s: %w", key, err)
		}
		if n > 0 {
			probs = append([]Problem{{Path: "key", Message: "Another consultation already uses this key; change the key in the file."}}, probs...)
		}
	}
	if len(probs) > 0 {
		return nil, &DefinitionError{Problems: probs}
	}
	cin := ConsultationInput{Key: def.Key, Title: def.Title, Description: def.Description}
	cin.trim()
	c := &Consultation{Key: cin.Key, Title: cin.Title, Description: cin.Description, Status: StatusDraft, Round: 1}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(c).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &DefinitionError{Problems: []Problem{{Path: "key", Message: "Another consultation already uses this key; change the key in the file."}}}
			}
			return err
		}
		if err := recordFirstRound(tx, c, &by, s.Now()); err != nil {
			return err
		}
		if err := tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditConsultationEdit,
			Subject: "consultation " + c.Key, Detail: fmt.Sprintf("created from a definition file with %d question(s)", len(def.Questions))}).Error; err != nil {
			return err
		}
		for i, dq := range def.Questions {
			if _, err := s.createQuestion(tx, c.ID, dq.input(), by); err != nil {
				var verr *ValidationError
				if errors.As(err, &verr) {
					return &DefinitionError{Problems: fieldProblems(fmt.Sprintf("questions[%d]", i), verr.Fields)}
				}
				return fmt.Errorf("create question %d: %w", i, err)
			}
		}
		if open {
			if err := tx.Model(c).Update("status", StatusOpen).Error; err != nil {
				return err
			}
			if err := tx.Create(&AuditEvent{At: s.Now(), UserID: &by, Action: AuditConsultationEdit,
				Subject: "consultation " + c.Key, Detail: "status draft → open"}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var derr *DefinitionError
		if errors.As(err, &derr) {
			return nil, derr
		}
		return nil, fmt.Errorf("import definition %s: %w", cin.Key, err)
	}
	return c, nil
}

func fieldProblems(prefix string, fields map[string]string) []Problem {
	var out []Problem
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		out = append(out, Problem{Path: prefix + "." + f, Message: fields[f]})
	}
	return out
}
