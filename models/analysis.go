package models

import (
	"context"
	"fmt"

	"concord/consensus"
)

// Analysis is everything the report of one round of a consultation is made
// of: the questionnaire, the roster, the current positions and their
// analysis input.
type Analysis struct {
	Consultation  *Consultation
	Round         int
	Questionnaire *Questionnaire
	Members       []Member
	Positions     []RevisionRecord
	Input         consensus.Input
}

// LoadAnalysis reads a round of a consultation in four queries (sections,
// questions, members, current positions; plus one for the previous round,
// when there is one), whatever the number of members and questions, and
// converts it to the analysis input.
func (s *Store) LoadAnalysis(ctx context.Context, c *Consultation, round int) (*Analysis, error) {
	qn, err := s.Questionnaire(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	members, err := s.Members(ctx)
	if err != nil {
		return nil, err
	}
	current, err := s.CurrentPositions(ctx, c.ID, round)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Consultation: c, Round: round, Questionnaire: qn, Members: members, Positions: current}
	sections := map[uint]string{}
	for _, sec := range qn.Sections {
		sections[sec.ID] = sec.Title
	}
	byID := map[uint]*Question{}
	for i := range qn.Questions {
		q := &qn.Questions[i]
		byID[q.ID] = q
		a.Input.Questions = append(a.Input.Questions, consensus.Question{
			Number: q.Number, Key: q.Key, Section: sections[q.SectionID], Text: q.Text, Kind: consensus.Kind(q.Kind),
			Points: q.Points(), Options: q.Choices(),
		})
	}
	for _, m := range members {
		a.Input.Members = append(a.Input.Members, consensus.Member{Code: m.Code, Name: m.Name})
	}
	a.Input.Positions = toPositions(current, byID)
	a.Input.Quorum = c.Quorum
	if round > 1 {
		prev, err := s.CurrentPositions(ctx, c.ID, round-1)
		if err != nil {
			return nil, fmt.Errorf("load previous round: %w", err)
		}
		a.Input.Previous = toPositions(prev, byID)
	}
	return a, nil
}

func toPositions(revs []RevisionRecord, questions map[uint]*Question) []consensus.Position {
	out := make([]consensus.Position, 0, len(revs))
	for _, r := range revs {
		q := questions[r.QuestionID]
		if q == nil {
			continue
		}
		p := consensus.Position{MemberCode: r.MemberCode, QuestionKey: q.Key, Rationale: r.Rationale, Conditions: r.Conditions}
		switch q.Kind {
		case KindScale:
			p.Preferred, p.AcceptMin, p.AcceptMax = r.Preferred, r.AcceptMin, r.AcceptMax
			p.Importance = consensus.Importance(r.Importance)
		case KindChoice:
			opts := q.Choices()
			if r.Choice >= 1 && r.Choice <= len(opts) {
				p.Option = opts[r.Choice-1]
			}
			for _, o := range r.AcceptedOptions() {
				if o != r.Choice && o >= 1 && o <= len(opts) {
					p.AcceptOptions = append(p.AcceptOptions, opts[o-1])
				}
			}
		case KindText:
			p.Answer = r.Answer
		}
		out = append(out, p)
	}
	return out
}
