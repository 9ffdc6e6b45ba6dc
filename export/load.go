package export

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"concord/consensus"
	"concord/models"
)

// Source is what the pack is read from: the Store satisfies it. The
// package reaches the database only through these two reads.
type Source interface {
	LoadAnalysis(ctx context.Context, c *models.Consultation, round int) (*models.Analysis, error)
	History(ctx context.Context, consultationID uint, memberID uint) ([]models.RevisionRecord, error)
}

// Streamer is a [Source] that can also read revisions in batches (the
// Store is one): the pack then reads the rows of positions.csv and
// history.csv from the database as it writes them, rather than holding
// 100,000 revisions in memory. positions.csv reads back, by ID, exactly
// the revisions the analysis was made of (revisions never change).
type Streamer interface {
	LoadAnalysisIDs(ctx context.Context, c *models.Consultation, round int) (*models.Analysis, []uint, error)
	EachRevision(ctx context.Context, consultationID uint, batch int, fn func([]models.RevisionRecord) error) error
	RevisionsByID(ctx context.Context, ids []uint) ([]models.RevisionRecord, error)
}

// revisionBatch is how many revisions positions.csv and history.csv read
// at a time.
const revisionBatch = 1000

// RoundError is a round that the consultation does not have (or a round
// given as something else than a whole number). Its message is a plain
// sentence for the user.
type RoundError struct {
	Given   string // as given, e.g. "3" or "two"
	Current int    // the consultation's current round
}

func (e *RoundError) Error() string {
	span := "it has only round 1"
	if e.Current > 1 {
		span = fmt.Sprintf("its rounds are 1 to %d", e.Current)
	}
	return fmt.Sprintf("there is no round %s in this consultation: %s", e.Given, span)
}

// Sentence is the error as a sentence for a page: capitalised, with a full
// stop.
func (e *RoundError) Sentence() string {
	s := e.Error()
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// streamPositions makes positions.csv read its rows from st as it is
// written: ids are the analysed revisions, in the order of the file.
func (p *Pack) streamPositions(ctx context.Context, st Streamer, ids []uint) {
	key := p.Key()
	p.eachPosition = func(fn func([]models.RevisionRecord) error) error {
		for from := 0; from < len(ids); from += revisionBatch {
			batch, err := st.RevisionsByID(ctx, ids[from:min(from+revisionBatch, len(ids))])
			if err != nil {
				return fmt.Errorf("read positions of %s: %w", key, err)
			}
			if err := fn(batch); err != nil {
				return err
			}
		}
		return nil
	}
}

// ParseRound reads the round asked for (the web's ?round=N): empty means
// the current round; anything but a whole number from 1 to current is a
// *RoundError.
func ParseRound(s string, current int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return current, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > current {
		if r := []rune(s); len(r) > 12 {
			s = string(r[:12]) + "…"
		}
		return 0, &RoundError{Given: s, Current: current}
	}
	return n, nil
}

// Load reads the export pack of round `round` of a consultation (0 means
// the current round): that round's analysis for the per-round tables, the
// analysis of every round 1 … current for rounds.csv and movement.csv (each
// round compared with the one before it), and the whole history — read
// when history.csv is written, in batches, when src is a
// [HistoryStreamer] — and the record of the silence procedures when src
// is a [SilenceSource]. A round outside 1 … current is a *RoundError.
func Load(ctx context.Context, src Source, c *models.Consultation, round int) (*Pack, error) {
	if round == 0 {
		round = c.Round
	}
	if round < 1 || round > c.Round {
		return nil, &RoundError{Given: strconv.Itoa(round), Current: c.Round}
	}
	p := &Pack{}
	st, streams := src.(Streamer)
	for r := 1; r <= c.Round; r++ {
		var a *models.Analysis
		var ids []uint
		var err error
		if streams {
			a, ids, err = st.LoadAnalysisIDs(ctx, c, r)
		} else {
			a, err = src.LoadAnalysis(ctx, c, r)
		}
		if err != nil {
			return nil, fmt.Errorf("load round %d of %s: %w", r, c.Key, err)
		}
		rep := consensus.Analyze(a.Input)
		// The report is made: the input is not needed any more.
		a.Input.Positions, a.Input.Previous = nil, nil
		p.Rounds = append(p.Rounds, RoundReport{Round: r, Report: rep})
		if r == round {
			p.Analysis, p.Report = a, rep
			if streams {
				p.streamPositions(ctx, st, ids)
			}
		}
	}
	if err := p.loadSilence(ctx, src, c); err != nil {
		return nil, err
	}
	if streams {
		p.eachHistory = func(fn func([]models.RevisionRecord) error) error {
			var fnErr error // an error of the writer, passed on as it is
			err := st.EachRevision(ctx, c.ID, revisionBatch, func(batch []models.RevisionRecord) error {
				fnErr = fn(batch)
				return fnErr
			})
			if err != nil && fnErr == nil {
				return fmt.Errorf("read history of %s: %w", c.Key, err)
			}
			return err
		}
		return p, nil
	}
	history, err := src.History(ctx, c.ID, 0)
	if err != nil {
		return nil, fmt.Errorf("load history of %s: %w", c.Key, err)
	}
	p.History = history
	return p, nil
}
