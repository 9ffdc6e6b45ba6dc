// Package export turns the analysis of a consultation round into the files
// ministerial-prep staff work with: CSV files (one per table, alone or in a
// ZIP) and one XLSX workbook with a sheet per table.
//
// The column order of every table is a stable contract (README, "Exports"):
// new columns are appended, never reordered. Every text cell is protected
// against spreadsheet formula injection by [Escape]; numbers are written as
// numbers. The package writes; it reads only through [Source] (see [Load])
// and knows no HTTP.
package export

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"concord/consensus"
	"concord/models"
)

// File describes one file of the export pack.
type File struct {
	Name        string // e.g. "questions.csv"
	Title       string
	Description string
}

// Files lists the tables of the pack, in the order of the ZIP and of the
// workbook's sheets.
var Files = []File{
	{Name: "questions.csv", Title: "Questions",
		Description: "One row per question, most divided first: coverage, median, spread, consensus, common ground, who blocks, outliers, the count at each scale point, then the best point, who does not accept it, the holdouts and whether the quorum is reached."},
	{Name: "positions.csv", Title: "Positions",
		Description: "Every member's current position on every question it answered, with its rationale, revision number, author and time, the other options it could accept and the conditions of its acceptance. Where national approval is required, approved positions only."},
	{Name: "matrix.csv", Title: "Matrix",
		Description: "Members by scale questions: each member's preferred point, and a last row with the medians."},
	{Name: "members.csv", Title: "Members",
		Description: "One row per member: questions answered, mean distance from the medians, outlier and blocking counts, opinion bloc and holdout count."},
	{Name: "history.csv", Title: "History",
		Description: "Every revision ever saved, in every round, oldest first, with who saved it, when and how, including withdrawals, with the conditions and, where national approval is required, the approval state."},
	{Name: "rounds.csv", Title: "Rounds",
		Description: "Every round of every question: responses, median, spread, consensus, classification, common ground and holdouts, and from round 2 the share of members who kept their answer and whether the question is stable."},
	{Name: "movement.csv", Title: "Movement",
		Description: "For every pair of consecutive rounds and every scale question: each member who answered both rounds, the preferred point before and after, the shift, whether it moved toward or away from the earlier median, and the acceptable ranges."},
	{Name: "silence.csv", Title: "Silence procedures",
		Description: "Every action of every silence procedure on the consultation's drafts, oldest first: who broke silence on which paragraph and why (with any proposed amendment), withdrew an objection, confirmed or attached a national footnote, by whom, on whose behalf and when."},
}

// Pack is everything the export of one round of a consultation is made of.
// The per-round tables (questions, positions, matrix, members) describe
// Analysis.Round; history, rounds and movement cover every round.
type Pack struct {
	Analysis *models.Analysis
	Report   *consensus.Report
	// History is every revision of the consultation, oldest first. When it
	// is nil and eachHistory is set (see [Load]), history.csv reads the
	// revisions from the database in batches as it is written instead.
	History     []models.RevisionRecord
	eachHistory func(fn func([]models.RevisionRecord) error) error
	// eachPosition, when set, reads the rows of positions.csv in batches,
	// in the file's order, instead of Analysis.Positions (see [Load]).
	eachPosition func(fn func([]models.RevisionRecord) error) error
	// Rounds is the report of every round, 1 … current, oldest first (see
	// [Load]); without it, rounds.csv and movement.csv hold Report's round
	// alone.
	Rounds []RoundReport
	// Silence is the record of the consultation's silence procedures,
	// oldest first (see [Load]); without it, silence.csv is its header.
	Silence []models.SilenceRecord
}

// RoundReport is the analysis of one round; a round after the first is
// analysed with the previous round's positions, so its questions carry
// their trend.
type RoundReport struct {
	Round  int
	Report *consensus.Report
}

// New analyses a round and returns its export pack.
func New(a *models.Analysis, history []models.RevisionRecord) *Pack {
	return &Pack{Analysis: a, Report: consensus.Analyze(a.Input), History: history}
}

// Key is the consultation's key.
func (p *Pack) Key() string { return p.Analysis.Consultation.Key }

// FileName is the name a file of the pack is downloaded under, e.g.
// "nato-russia-review-demo-questions.csv".
func FileName(key, file string) string { return key + "-" + file }

// Table is one table of the pack: a header row and rows of cells. The
// rows are either held in Rows or, for the long tables (positions and
// history), produced one at a time as they are written: read them with
// [Table.Each].
type Table struct {
	Name   string // file name, e.g. "questions.csv"
	Header []string
	Rows   [][]Cell
	// stream, when set, produces the rows in order instead of Rows,
	// handing each to emit; it stops at emit's first error.
	stream func(emit func([]Cell) error) error
}

// Each hands every row of the table to fn, in order, and stops at fn's
// first error. A streamed table may reuse the row slice for the next row:
// fn must not keep it.
func (t Table) Each(fn func([]Cell) error) error {
	if t.stream != nil {
		return t.stream(fn)
	}
	for _, row := range t.Rows {
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

// Collect returns the table with every row in Rows (for a streamed table,
// as many copies as rows: for tests and small tables).
func (t Table) Collect() (Table, error) {
	out := Table{Name: t.Name, Header: t.Header}
	err := t.Each(func(row []Cell) error {
		out.Rows = append(out.Rows, slices.Clone(row))
		return nil
	})
	return out, err
}

// Sheet is the table's name as a workbook sheet, e.g. "questions".
func (t Table) Sheet() string { return strings.TrimSuffix(t.Name, ".csv") }

// Tables returns every table of the pack, in the order of [Files].
func (p *Pack) Tables() []Table {
	return []Table{p.Questions(), p.Positions(), p.Matrix(), p.Members(), p.HistoryTable(), p.RoundsTable(), p.MovementTable(),
		p.SilenceTable()}
}

// Table returns the table of the named file.
func (p *Pack) Table(name string) (Table, bool) {
	switch name {
	case "questions.csv":
		return p.Questions(), true
	case "positions.csv":
		return p.Positions(), true
	case "matrix.csv":
		return p.Matrix(), true
	case "members.csv":
		return p.Members(), true
	case "history.csv":
		return p.HistoryTable(), true
	case "rounds.csv":
		return p.RoundsTable(), true
	case "movement.csv":
		return p.MovementTable(), true
	case "silence.csv":
		return p.SilenceTable(), true
	}
	return Table{}, false
}

// codes joins member codes in alphabetical order with single spaces.
func codes(list []string) Cell {
	s := slices.Clone(list)
	slices.Sort(s)
	return Text(strings.Join(s, " "))
}

// QuestionColumns is the fixed first part of the header of questions.csv;
// the counts n_1 … n_k follow, k being the largest scale of the
// consultation, then [QuestionTailColumns].
var QuestionColumns = []string{"consultation", "question_key", "section", "question_text", "kind", "scale_points",
	"responses", "members_total", "coverage_pct", "missing_members", "median", "mean", "iqr", "consensus_cns",
	"agreement_pct", "classification", "common_ground", "blocking_members", "outliers"}

// QuestionTailColumns are the columns of questions.csv appended after the
// counts n_1 … n_k (the consensus-rule signal, the quorum and the stable
// question number). Being after a variable number of count columns, they
// are read by header name.
var QuestionTailColumns = []string{"best_point", "accepting", "not_accepting", "holdouts", "quorate", "question_number"}

// Questions is questions.csv: the ranked questions first (most divided
// first, as in the report), then the questions that are not ranked (text
// questions) in questionnaire order.
func (p *Pack) Questions() Table {
	rep := p.Report
	maxK := 0
	for _, qr := range rep.Questions {
		if qr.Kind == consensus.KindScale {
			maxK = max(maxK, len(qr.Points))
		}
	}
	t := Table{Name: "questions.csv", Header: slices.Clone(QuestionColumns)}
	for i := 1; i <= maxK; i++ {
		t.Header = append(t.Header, "n_"+strconv.Itoa(i))
	}
	t.Header = append(t.Header, QuestionTailColumns...)
	var order []*consensus.QuestionReport
	ranked := map[string]bool{}
	for _, key := range rep.Ranking {
		if qr, ok := rep.Question(key); ok && !ranked[key] {
			order = append(order, qr)
			ranked[key] = true
		}
	}
	for i := range rep.Questions {
		if !ranked[rep.Questions[i].Key] {
			order = append(order, &rep.Questions[i])
		}
	}
	numbers := p.questionNumbers()
	for _, qr := range order {
		t.Rows = append(t.Rows, p.questionRow(qr, maxK, numbers))
	}
	return t
}

func (p *Pack) questionRow(qr *consensus.QuestionReport, maxK int, numbers map[string]int) []Cell {
	cov := qr.Coverage
	row := []Cell{
		Text(p.Key()), Text(qr.Key), Text(qr.Section), Text(qr.Text), Text(string(qr.Kind)),
		Empty, // scale_points
		Int(cov.Responses), Int(cov.MembersTotal), Decimal(cov.CoveragePct, 2), codes(cov.Missing),
		Empty, Empty, Empty, Empty, Empty, // median, mean, iqr, consensus_cns, agreement_pct
		Text(string(qr.Classification)),
		Empty, Empty, Empty, // common_ground, blocking_members, outliers
	}
	counts := make([]Cell, maxK)
	if st := qr.Scale; st != nil {
		row[5] = Int(st.K)
		if cov.Responses > 0 {
			row[10], row[11], row[12] = Decimal(st.Median, 4), Decimal(st.Mean, 4), Decimal(st.IQR, 4)
			row[13], row[14] = Decimal(st.Cns, 4), Decimal(st.AgreementPct, 2)
		}
		switch cg := st.CommonGround; {
		case cg != nil && cg.Lo == cg.Hi:
			row[16] = Text(strconv.Itoa(cg.Lo))
		case cg != nil:
			row[16] = Text(fmt.Sprintf("%d-%d", cg.Lo, cg.Hi))
		case st.Blocking != nil:
			row[17] = codes(st.Blocking.Members)
		}
		row[18] = codes(st.Outliers)
		for i, n := range st.Counts {
			if i < maxK {
				counts[i] = Int(n)
			}
		}
	}
	if ch := qr.Choice; ch != nil {
		// Choice: the options every respondent accepts, by number.
		row[16] = Text(models.FormatOptionList(ch.CommonGround))
		if len(ch.CommonGround) == 0 && len(qr.NotAccepting) > 0 {
			row[17] = codes(qr.NotAccepting)
		}
	}
	if qr.Scale != nil && qr.Scale.CommonGround == nil && len(qr.NotAccepting) > 0 {
		// blocking_members is the same list as not_accepting when there is
		// no common ground.
		row[17] = codes(qr.NotAccepting)
	}
	row = append(row, counts...)
	return append(row, consensusCells(qr, numbers)...)
}

// questionNumbers maps question keys to their stable numbers, from the
// questionnaire (the report's own numbers take precedence).
func (p *Pack) questionNumbers() map[string]int {
	out := map[string]int{}
	if p.Analysis == nil || p.Analysis.Questionnaire == nil {
		return out
	}
	for _, q := range p.Analysis.Questionnaire.Questions {
		out[q.Key] = q.Number
	}
	return out
}

// consensusCells are the tail columns of questions.csv (see
// [QuestionTailColumns]): best_point, accepting, not_accepting, holdouts,
// quorate, question_number. Text questions have only their number; a
// question without responses has no best point.
func consensusCells(qr *consensus.QuestionReport, numbers map[string]int) []Cell {
	best, accepting, notAccepting, holdouts, quorate := Empty, Empty, Empty, Empty, Empty
	if qr.Kind == consensus.KindScale || qr.Kind == consensus.KindChoice {
		if qr.Coverage.Responses > 0 && qr.BestPoint > 0 {
			best = Int(qr.BestPoint)
		}
		accepting = Int(qr.Accepting)
		notAccepting, holdouts = codes(qr.NotAccepting), codes(qr.Holdouts)
		quorate = yesNo(qr.Quorate)
	}
	number := Empty
	if n := cmp.Or(qr.Number, numbers[qr.Key]); n > 0 {
		number = Int(n)
	}
	return []Cell{best, accepting, notAccepting, holdouts, quorate, number}
}

func yesNo(b bool) Cell {
	if b {
		return Text("yes")
	}
	return Text("no")
}

// PositionColumns is the header of positions.csv.
var PositionColumns = []string{"member_code", "member_name", "question_key", "preferred", "preferred_label",
	"acceptable_min", "acceptable_max", "importance", "choice", "answer_text", "rationale", "revision",
	"submitted_by", "submitted_at", "acceptable_options", "question_number", "round", "conditions"}

// questionIndex maps question IDs to their questions and questionnaire order.
func (p *Pack) questionIndex() (map[uint]*models.Question, map[uint]int) {
	byID := map[uint]*models.Question{}
	order := map[uint]int{}
	if p.Analysis.Questionnaire == nil {
		return byID, order
	}
	for i := range p.Analysis.Questionnaire.Questions {
		q := &p.Analysis.Questionnaire.Questions[i]
		byID[q.ID] = q
		order[q.ID] = i
	}
	return byID, order
}

// answerCells are the answer columns shared by positions.csv and
// history.csv: preferred, acceptable_min, acceptable_max, importance,
// choice, answer_text, rationale. Only the columns of the question's kind
// are filled; a withdrawal fills none.
func answerCells(r *models.Revision, q *models.Question) (preferred, label Cell, rest []Cell) {
	var lo, hi, importance, choice, answer Cell
	kind := ""
	if q != nil && !r.Withdrawn {
		kind = q.Kind
	}
	switch kind {
	case models.KindScale:
		preferred, lo, hi, importance = Int(r.Preferred), Int(r.AcceptMin), Int(r.AcceptMax), Text(r.Importance)
		if pts := q.Points(); r.Preferred >= 1 && r.Preferred <= len(pts) {
			label = Text(pts[r.Preferred-1])
		}
	case models.KindChoice:
		if opts := q.Choices(); r.Choice >= 1 && r.Choice <= len(opts) {
			choice = Text(opts[r.Choice-1])
		}
	case models.KindText:
		answer = Text(r.Answer)
	}
	return preferred, label, []Cell{lo, hi, importance, choice, answer, Text(r.Rationale)}
}

// acceptableOptions is the acceptable_options cell of positions.csv and
// history.csv: for a choice answer, the numbers of every option the member
// could accept, the chosen one included, ascending and space-separated
// ("1 3"); empty for other kinds and withdrawals.
func acceptableOptions(r *models.Revision, q *models.Question) Cell {
	if q == nil || q.Kind != models.KindChoice || r.Withdrawn || r.Choice == 0 {
		return Empty
	}
	return Text(models.FormatOptionList(r.AcceptedOptions()))
}

// conditions is the conditions cell of positions.csv and history.csv: the
// conditions of the member's acceptance on a scale or choice answer; empty
// for other kinds and withdrawals.
func conditions(r *models.Revision, q *models.Question) Cell {
	if q == nil || (q.Kind != models.KindScale && q.Kind != models.KindChoice) || r.Withdrawn {
		return Empty
	}
	return Text(r.Conditions)
}

// questionNumber is the question's stable number (Q1 is 1), empty when
// unknown.
func questionNumber(q *models.Question) Cell {
	if q == nil || q.Number == 0 {
		return Empty
	}
	return Int(q.Number)
}

func timestamp(t time.Time) Cell {
	if t.IsZero() {
		return Empty
	}
	return Text(t.UTC().Format(time.RFC3339))
}

// Positions is positions.csv: the current positions of the round, by
// member code, then in questionnaire order, with the round they belong to
// and the conditions of the member's acceptance. They are the positions of
// the analysis: under national approval, approved ones only. The rows are
// produced as they are written, from the analysis's positions.
func (p *Pack) Positions() Table {
	byID, order := p.questionIndex()
	each := p.eachPosition
	if each == nil {
		list := slices.Clone(p.Analysis.Positions)
		slices.SortStableFunc(list, func(a, b models.RevisionRecord) int {
			if c := strings.Compare(a.MemberCode, b.MemberCode); c != 0 {
				return c
			}
			return order[a.QuestionID] - order[b.QuestionID]
		})
		each = func(fn func([]models.RevisionRecord) error) error { return fn(list) }
	}
	t := Table{Name: "positions.csv", Header: slices.Clone(PositionColumns)}
	t.stream = func(emit func([]Cell) error) error {
		row := make([]Cell, 0, len(PositionColumns))
		return each(func(batch []models.RevisionRecord) error {
			for i := range batch {
				r := &batch[i]
				q := byID[r.QuestionID]
				preferred, label, rest := answerCells(&r.Revision, q)
				row = append(row[:0], Text(r.MemberCode), Text(r.MemberName), Text(r.QuestionKey), preferred, label)
				row = append(row, rest...)
				row = append(row, Int(r.Seq), Text(r.SubmitterUser), timestamp(r.SubmittedAt))
				row = append(row, acceptableOptions(&r.Revision, q), questionNumber(q), Int(r.Round), conditions(&r.Revision, q))
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return t
}

// membersByCode returns the roster sorted by member code.
func (p *Pack) membersByCode() []models.Member {
	list := slices.Clone(p.Analysis.Members)
	slices.SortStableFunc(list, func(a, b models.Member) int { return strings.Compare(a.Code, b.Code) })
	return list
}

// MatrixMedianLabel is the member_code of the last row of matrix.csv.
const MatrixMedianLabel = "median"

// Matrix is matrix.csv: one row per member (by code), one column per scale
// question (questionnaire order) holding the preferred point, and a last
// row with the medians.
func (p *Pack) Matrix() Table {
	t := Table{Name: "matrix.csv", Header: []string{"member_code", "member_name"}}
	var scale []*consensus.QuestionReport
	for i := range p.Report.Questions {
		if qr := &p.Report.Questions[i]; qr.Scale != nil {
			scale = append(scale, qr)
			t.Header = append(t.Header, qr.Key)
		}
	}
	type cell struct{ member, question string }
	preferred := map[cell]int{}
	for _, m := range p.Report.Members {
		for _, mp := range m.Positions {
			preferred[cell{m.Code, mp.QuestionKey}] = mp.Preferred
		}
	}
	for _, m := range p.membersByCode() {
		row := []Cell{Text(m.Code), Text(m.Name)}
		for _, qr := range scale {
			if v, ok := preferred[cell{m.Code, qr.Key}]; ok {
				row = append(row, Int(v))
			} else {
				row = append(row, Empty)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	medians := []Cell{Text(MatrixMedianLabel), Empty}
	for _, qr := range scale {
		if qr.Coverage.Responses > 0 {
			medians = append(medians, Decimal(qr.Scale.Median, 4))
		} else {
			medians = append(medians, Empty)
		}
	}
	t.Rows = append(t.Rows, medians)
	return t
}

// MemberColumns is the header of members.csv.
var MemberColumns = []string{"member_code", "member_name", "answered", "mean_distance_from_median",
	"outlier_count", "blocking_count", "bloc", "holdout_count"}

// Members is members.csv: one row per member, by code.
func (p *Pack) Members() Table {
	t := Table{Name: "members.csv", Header: slices.Clone(MemberColumns)}
	for _, m := range p.membersByCode() {
		row := []Cell{Text(m.Code), Text(m.Name), Int(0), Empty, Int(0), Int(0), Empty, Int(0)}
		if prof, ok := p.Report.Member(m.Code); ok {
			row[2], row[4], row[5] = Int(prof.Answered), Int(prof.OutlierCount), Int(prof.BlockingCount)
			row[7] = Int(prof.HoldoutCount)
			if prof.ScaleAnswered > 0 {
				row[3] = Decimal(prof.MeanDistance, 4)
			}
			if prof.Bloc > 0 {
				row[6] = Int(prof.Bloc)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// HistoryColumns is the header of history.csv.
var HistoryColumns = []string{"revision_id", "round", "member_code", "question_key", "revision", "preferred",
	"acceptable_min", "acceptable_max", "importance", "choice", "answer_text", "rationale", "source",
	"submitted_by", "submitted_at", "acceptable_options", "withdrawn", "conditions", "state"}

// HistoryTable is history.csv: every revision of the consultation, all
// rounds, oldest first, drafts and returned drafts included (state). The
// rows are produced as they are written: from History, or else read from
// the database in batches (see [Load]).
func (p *Pack) HistoryTable() Table {
	byID, _ := p.questionIndex()
	t := Table{Name: "history.csv", Header: slices.Clone(HistoryColumns)}
	each := p.eachHistory
	if p.History != nil || each == nil {
		each = func(fn func([]models.RevisionRecord) error) error { return fn(p.History) }
	}
	t.stream = func(emit func([]Cell) error) error {
		row := make([]Cell, 0, len(HistoryColumns))
		return each(func(batch []models.RevisionRecord) error {
			for i := range batch {
				r := &batch[i]
				q := byID[r.QuestionID]
				preferred, _, rest := answerCells(&r.Revision, q)
				row = append(row[:0], Int(int(r.ID)), Int(r.Round), Text(r.MemberCode), Text(r.QuestionKey), Int(r.Seq), preferred)
				row = append(row, rest...)
				row = append(row, Text(r.Source), Text(r.SubmitterUser), timestamp(r.SubmittedAt))
				withdrawn := Empty
				if r.Withdrawn {
					withdrawn = Text("yes")
				}
				row = append(row, acceptableOptions(&r.Revision, q), withdrawn, conditions(&r.Revision, q), Text(r.State))
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return t
}
