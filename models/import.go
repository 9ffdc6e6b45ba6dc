package models

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Audit actions of the exchange of files (exports and imports).
const (
	AuditExportDownload  = "export.download"
	AuditPositionsImport = "positions.imported"
)

// ImportColumns are the columns of a positions file that the import reads
// (the same names as in the positions.csv export, plus withdrawn and
// conditions).
// member_code and question_key are required; the others may be left out;
// any other column is ignored.
var ImportColumns = []string{"member_code", "question_key", "preferred", "acceptable_min", "acceptable_max",
	"importance", "choice", "answer_text", "rationale", "acceptable_options", "withdrawn", "conditions"}

// ImportRow is one line of a positions file, as text. Line is the line of
// the file the row starts on (for messages).
type ImportRow struct {
	Line        int
	MemberCode  string
	QuestionKey string
	Preferred   string
	AcceptMin   string
	AcceptMax   string
	Importance  string
	Choice      string // the option's text
	Answer      string
	Rationale   string
	// AcceptOptions (choice) are the numbers of the options the member
	// could accept, separated by spaces ("1 3"), as in positions.csv.
	AcceptOptions string
	// Withdrawn is "yes" to withdraw the member's answer; empty leaves the
	// position as the other columns say.
	Withdrawn string
	// Conditions (scale, choice) are the conditions of the member's
	// acceptance. ConditionsGiven tells that the file has a conditions
	// column: without it (and without Conditions), an answer keeps the
	// conditions of the member's current position, so that a file made
	// before conditions existed does not erase them (an empty cell of the
	// column does).
	Conditions      string
	ConditionsGiven bool
}

// ImportError lists every problem of a positions file, by line; nothing was
// written.
type ImportError struct {
	Problems []Problem
}

func (e *ImportError) Error() string {
	list := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		list[i] = p.String()
	}
	return fmt.Sprintf("the file has %d problem(s): %s", len(e.Problems), strings.Join(list, "; "))
}

// ImportResult tells what an import changed.
type ImportResult struct {
	Rows      int // rows with an answer
	Skipped   int // rows without any answer (left as they were)
	Members   int // members the rows are about
	Changed   int // revisions appended
	Unchanged int // answers identical to the current position
}

// unescapeCell undoes the spreadsheet formula-injection protection of the
// exports: a value starting with an apostrophe followed by =, +, -, @, a
// tab or a carriage return (or by another apostrophe and one of those, for
// a text that itself began with an apostrophe) loses that one apostrophe.
// This is the only place the protection is undone, so that a file exported
// from Concord imports back to the same positions.
func unescapeCell(s string) string {
	if len(s) < 2 || s[0] != '\'' {
		return s
	}
	rest := s[1:]
	if formulaTrigger(rest[0]) || rest[0] == '\'' && len(rest) > 1 && formulaTrigger(rest[1]) {
		return rest
	}
	return s
}

func formulaTrigger(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// ParsePositions reads a positions file: CSV (RFC 4180, UTF-8, an optional
// byte-order mark) with a header line naming the columns. Every problem of
// the file's form — missing or repeated columns, lines with the wrong
// number of fields, malformed quoting — is reported with its line number
// as an *ImportError.
func ParsePositions(r io.Reader) ([]ImportRow, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(3); err == nil && bytes.Equal(head, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ImportError{Problems: []Problem{{Line: 1, Message: "The file is empty. It needs a header line naming the columns, then one line per position."}}}
	}
	if err != nil {
		return nil, &ImportError{Problems: []Problem{csvProblem(err)}}
	}
	col := map[string]int{}
	var probs []Problem
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(unescapeCell(h)))
		if name == "" {
			continue
		}
		if _, dup := col[name]; dup {
			probs = append(probs, Problem{Line: 1, Path: name, Message: "This column appears twice in the header."})
			continue
		}
		col[name] = i
	}
	var missing []string
	for _, name := range []string{"member_code", "question_key"} {
		if _, ok := col[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		probs = append(probs, Problem{Line: 1, Message: fmt.Sprintf(
			"The first line must be a header naming the columns; %s missing. The columns read are: %s.",
			strings.Join(missing, " and ")+map[bool]string{true: " is", false: " are"}[len(missing) == 1],
			strings.Join(ImportColumns, ", "))})
		return nil, &ImportError{Problems: probs}
	}
	notUTF8 := func(line int, rec []string) bool {
		if slices.ContainsFunc(rec, func(s string) bool { return !utf8.ValidString(s) }) {
			probs = append(probs, Problem{Line: line, Message: "The file is not UTF-8 text (first seen on this line): " +
				"save it from the spreadsheet as \u201cCSV UTF-8\u201d and import it again."})
			return true
		}
		return false
	}
	if notUTF8(1, header) {
		return nil, &ImportError{Problems: probs}
	}
	_, hasConditions := col["conditions"]
	var rows []ImportRow
	encodingReported := false
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				probs = append(probs, Problem{Line: pe.StartLine, Message: fmt.Sprintf(
					"This line has %d field(s) but the header has %d; a comma inside a value needs the value in double quotes.", len(rec), len(header))})
				continue
			}
			probs = append(probs, csvProblem(err))
			break
		}
		line, _ := cr.FieldPos(0)
		if !encodingReported && notUTF8(line, rec) {
			encodingReported = true
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return unescapeCell(rec[i])
			}
			return ""
		}
		long := func(name string) string {
			return strings.TrimSpace(strings.ReplaceAll(get(name), "\r\n", "\n"))
		}
		row := ImportRow{Line: line,
			MemberCode: strings.TrimSpace(get("member_code")), QuestionKey: strings.TrimSpace(get("question_key")),
			Preferred: strings.TrimSpace(get("preferred")), AcceptMin: strings.TrimSpace(get("acceptable_min")),
			AcceptMax: strings.TrimSpace(get("acceptable_max")), Importance: strings.TrimSpace(get("importance")),
			Choice: strings.TrimSpace(get("choice")), Answer: long("answer_text"), Rationale: long("rationale"),
			AcceptOptions: strings.TrimSpace(get("acceptable_options")), Withdrawn: strings.TrimSpace(get("withdrawn")),
			Conditions: long("conditions"), ConditionsGiven: hasConditions}
		rows = append(rows, row)
	}
	if len(probs) > 0 {
		return nil, &ImportError{Problems: probs}
	}
	if len(rows) == 0 {
		return nil, &ImportError{Problems: []Problem{{Line: 2, Message: "The file has a header but no position lines."}}}
	}
	return rows, nil
}

func csvProblem(err error) Problem {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := "The file is not valid CSV here"
		if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
			msg += ": a double quote inside a value must be doubled, and the whole value put in double quotes"
		}
		return Problem{Line: pe.StartLine, Message: msg + ". Nothing after this line was read."}
	}
	return Problem{Message: "The file could not be read: " + err.Error()}
}

// AcceptsImport reports whether positions may be imported at now: only
// into a draft or open consultation, before its deadline.
func (c *Consultation) AcceptsImport(now time.Time) bool {
	return (c.Status == StatusDraft || c.Status == StatusOpen) && !c.DeadlinePassed(now)
}

// importClosedMessage explains why a consultation does not accept imports.
func importClosedMessage(c *Consultation, now time.Time) string {
	why := "it is closed"
	if c.DeadlinePassed(now) {
		why = "its deadline has passed"
	}
	return "Positions can be imported only into a draft or open consultation before its deadline, and " + why + ". Nothing was imported."
}

// empty reports whether the row gives no answer at all (and withdraws
// nothing).
func (row ImportRow) empty() bool {
	return row.answerEmpty() && row.Withdrawn == ""
}

// answerEmpty reports whether the row's answer columns are all empty.
func (row ImportRow) answerEmpty() bool {
	return row.Preferred == "" && row.AcceptMin == "" && row.AcceptMax == "" && row.Importance == "" &&
		row.Choice == "" && row.Answer == "" && row.Rationale == "" && row.AcceptOptions == "" && row.Conditions == ""
}

// input converts a row's values for question q. Values that are not
// numbers, an option that does not exist and values given for a field the
// question's kind does not have are reported per column.
func (row ImportRow) input(q *Question) (PositionInput, map[string]string) {
	bad := map[string]string{}
	in := PositionInput{QuestionKey: q.Key, Importance: strings.ToLower(row.Importance), Answer: row.Answer, Rationale: row.Rationale,
		Conditions: row.Conditions}
	kindName := map[string]string{KindScale: "a scale", KindChoice: "a choice", KindText: "a text"}[q.Kind]
	notHere := func(field, value string, kinds ...string) {
		if value == "" {
			return
		}
		for _, k := range kinds {
			if q.Kind == k {
				return
			}
		}
		bad[field] = fmt.Sprintf("Question %s is %s question; leave %s empty.", q.Key, kindName, field)
	}
	notHere(FieldPreferred, row.Preferred, KindScale)
	notHere(FieldAcceptMin, row.AcceptMin, KindScale)
	notHere(FieldAcceptMax, row.AcceptMax, KindScale)
	notHere(FieldImportance, row.Importance, KindScale)
	notHere("choice", row.Choice, KindChoice)
	notHere(FieldAcceptOpts, row.AcceptOptions, KindChoice)
	notHere(FieldAnswer, row.Answer, KindText)
	notHere(FieldConditions, row.Conditions, KindScale, KindChoice)
	// withdrawn: "yes" (any case) withdraws the answer, and then the line
	// must give no answer value; empty changes nothing.
	switch w := strings.ToLower(row.Withdrawn); {
	case w == "":
	case w != "yes":
		bad[FieldWithdrawn] = fmt.Sprintf("Write yes to withdraw the answer, or leave withdrawn empty; not %q.", row.Withdrawn)
	case !row.answerEmpty():
		bad[FieldWithdrawn] = "A line that withdraws the answer gives no answer: leave the other answer columns empty, or leave withdrawn empty."
	default:
		return PositionInput{QuestionKey: q.Key, Withdrawn: true}, nilIfEmpty(bad)
	}
	if q.Kind == KindText && row.Rationale != "" {
		bad[FieldRationale] = fmt.Sprintf("Question %s is a text question; it takes no rationale: put everything in answer_text.", q.Key)
	}
	if q.Kind == KindScale {
		num := func(field, s string) int {
			if s == "" {
				return 0
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				bad[field] = fmt.Sprintf("Write a whole number from 1 to %d, not %q.", q.K(), s)
				return 0
			}
			return n
		}
		in.Preferred = num(FieldPreferred, row.Preferred)
		in.AcceptMin = num(FieldAcceptMin, row.AcceptMin)
		in.AcceptMax = num(FieldAcceptMax, row.AcceptMax)
	}
	if q.Kind == KindChoice && row.Choice != "" {
		opts := q.Choices()
		for i, o := range opts {
			if strings.EqualFold(strings.TrimSpace(o), row.Choice) {
				in.Option = i + 1
				break
			}
		}
		if in.Option == 0 {
			bad["choice"] = fmt.Sprintf("No option of question %s reads %q. The options are: %s.", q.Key, row.Choice, strings.Join(opts, "; "))
		}
	}
	if q.Kind == KindChoice && row.AcceptOptions != "" {
		n := len(q.Choices())
		list, err := ParseOptionListStrict(row.AcceptOptions)
		if err == nil && slices.ContainsFunc(list, func(o int) bool { return o > n }) {
			err = errors.New("option out of range")
		}
		if err != nil {
			bad[FieldAcceptOpts] = fmt.Sprintf("Write the numbers of the acceptable options, from 1 to %d, separated by spaces (such as \"1 3\"), not %q.", n, row.AcceptOptions)
		} else {
			in.AcceptOptions = list
		}
	}
	return in, nilIfEmpty(bad)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// importFieldOrder is the order the problems of one row are listed in;
// position fields are named as the file's columns.
var importFieldOrder = []string{"", FieldPreferred, FieldAcceptMin, FieldAcceptMax, FieldImportance, "choice",
	FieldAcceptOpts, FieldAnswer, FieldRationale, FieldConditions, FieldWithdrawn}

func columnOf(field string) string {
	if field == FieldOption {
		return "choice"
	}
	return field
}

// ImportPositions writes the positions of a file into the current round of
// a consultation, for every member the rows name, in one transaction.
// Every row is validated first with the rules of the position form; when
// any row is wrong (unknown member or question, a member+question given
// twice, an invalid value) nothing is written and the error is an
// *ImportError listing each bad row by line. Rows without any answer are
// skipped; a row with withdrawn "yes" withdraws the member's answer. A
// revision is appended only where the answer differs from the member's
// current position; imported revisions have source "import", are recorded
// as submitted by the importing facilitator and marked as entered on the
// member's behalf (approved, when the consultation requires approval).
// Imports are accepted only while the consultation is a draft or open,
// before its deadline (otherwise a *ConflictError).
func (s *Store) ImportPositions(ctx context.Context, consultationID uint, rows []ImportRow, by uint) (ImportResult, error) {
	var res ImportResult
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = ImportResult{}
		var c Consultation
		if err := tx.First(&c, consultationID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load consultation %d", consultationID))
		}
		now := s.Now()
		if !c.AcceptsImport(now) {
			return &ConflictError{Field: "file", Message: importClosedMessage(&c, now)}
		}
		byKey, byID, err := questionIndex(tx, c.ID)
		if err != nil {
			return err
		}
		var members []Member
		if err := tx.Find(&members).Error; err != nil {
			return fmt.Errorf("load members: %w", err)
		}
		byCode := make(map[string]*Member, len(members))
		for i := range members {
			byCode[members[i].Code] = &members[i]
		}

		var probs []Problem
		type cell struct{ member, question uint }
		firstLine := map[cell]int{}
		perMember := map[uint][]Revision{}
		current := map[uint]map[uint]Revision{} // per member, read when a file has no conditions column
		var memberOrder []uint
		for _, row := range rows {
			add := func(field, msg string) { probs = append(probs, Problem{Line: row.Line, Path: field, Message: msg}) }
			code := strings.ToUpper(strings.TrimSpace(row.MemberCode))
			m := byCode[code]
			switch {
			case code == "":
				add("member_code", "Give the member's code, for example EST.")
			case m == nil:
				add("member_code", fmt.Sprintf("No member has the code %q.", row.MemberCode))
			}
			key := strings.TrimSpace(row.QuestionKey)
			q := byKey[key]
			switch {
			case key == "":
				add("question_key", "Give the question's key.")
			case q == nil:
				add("question_key", fmt.Sprintf("This consultation has no question with the key %q.", row.QuestionKey))
			}
			if m == nil || q == nil {
				continue
			}
			k := cell{m.ID, q.ID}
			if first, dup := firstLine[k]; dup {
				add("", fmt.Sprintf("%s already has a line for question %s (line %d); give each member and question once.", m.Code, q.Key, first))
				continue
			}
			firstLine[k] = row.Line
			if row.empty() {
				res.Skipped++
				continue
			}
			in, bad := row.input(q)
			if bad == nil {
				in = in.Normalize(q)
				bad = s.Check(in, q)
			}
			if bad != nil {
				for _, f := range importFieldOrder {
					for field, msg := range bad {
						if columnOf(field) == f {
							add(f, msg)
						}
					}
				}
				continue
			}
			if _, seen := perMember[m.ID]; !seen {
				memberOrder = append(memberOrder, m.ID)
			}
			// An import is always a facilitator entering answers for members.
			sub := Submission{ConsultationID: c.ID, MemberID: m.ID, UserID: by, Source: SourceImport, OnBehalf: true}
			r := revisionFrom(in, q, c, sub, now)
			if c.RequireApproval { // a facilitator's answers need no further approval
				r.State = StateApproved
			}
			if !row.ConditionsGiven && row.Conditions == "" && !r.Withdrawn && q.Kind != KindText {
				if _, ok := current[m.ID]; !ok {
					if current[m.ID], err = currentRevisions(tx, c.ID, c.Round, m.ID); err != nil {
						return err
					}
				}
				r.Conditions = current[m.ID][q.ID].Conditions
			}
			perMember[m.ID] = append(perMember[m.ID], r)
			res.Rows++
		}
		if len(probs) > 0 {
			return &ImportError{Problems: probs}
		}
		if res.Rows == 0 {
			return &ImportError{Problems: []Problem{{Message: "No line of the file gives an answer; there is nothing to import."}}}
		}
		for _, id := range memberOrder {
			r, err := appendRevisions(tx, perMember[id], byID)
			if err != nil {
				return err
			}
			res.Changed += r.Changed
			res.Unchanged += r.Unchanged
		}
		res.Members = len(memberOrder)
		return tx.Create(&AuditEvent{At: now, UserID: &by, Action: AuditPositionsImport, Subject: "consultation " + c.Key,
			Detail: fmt.Sprintf("%d line(s) for %d member(s): %d revision(s) appended, %d unchanged, %d empty line(s) skipped",
				res.Rows, res.Members, res.Changed, res.Unchanged, res.Skipped)}).Error
	})
	if err != nil {
		var ierr *ImportError
		var conflict *ConflictError
		if errors.As(err, &ierr) || errors.As(err, &conflict) || errors.Is(err, ErrNotFound) {
			return ImportResult{}, err
		}
		return ImportResult{}, fmt.Errorf("import positions: %w", err)
	}
	return res, nil
}
