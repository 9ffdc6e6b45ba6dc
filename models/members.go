package models

import (
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

//go:embed data/nato.csv
var natoRoster string

// DefaultRoster returns the 32 NATO allies shipped with the binary.
func DefaultRoster() ([]Member, error) { return ParseRoster(strings.NewReader(natoRoster)) }

// ParseRoster reads a roster CSV with the header code,name,accession.
func ParseRoster(r io.Reader) ([]Member, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 3
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read roster header: %w", err)
	}
	if strings.Join(head, ",") != "code,name,accession" {
		return nil, errors.New("roster header must be code,name,accession")
	}
	var out []Member
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read roster: %w", err)
		}
		line, _ := cr.FieldPos(0)
		code := strings.ToUpper(strings.TrimSpace(rec[0]))
		name := strings.TrimSpace(rec[1])
		year, err := strconv.Atoi(strings.TrimSpace(rec[2]))
		if !isMemberCode(code) || name == "" || !IsText(name) || err != nil {
			return nil, fmt.Errorf("roster line %d: need a code of 2 to 8 letters or digits, a name and a year", line)
		}
		if seen[code] {
			return nil, fmt.Errorf("roster line %d: code %s appears twice", line, code)
		}
		seen[code] = true
		out = append(out, Member{Code: code, Name: name, Accession: year})
	}
	if len(out) == 0 {
		return nil, errors.New("roster is empty")
	}
	return out, nil
}

// isMemberCode reports whether code has 2 to 8 capital letters or digits:
// codes stand in addresses and in space-separated lists of the exports.
func isMemberCode(code string) bool {
	if len(code) < 2 || len(code) > 8 {
		return false
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// SeedMembers inserts the roster's members, updating names and years of
// codes already present. Members are never deleted: positions refer to them.
func (s *Store) SeedMembers(ctx context.Context, roster []Member) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, m := range roster {
			m.ID = 0
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "code"}},
				DoUpdates: clause.AssignmentColumns([]string{"name", "accession"}),
			}).Create(&m).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed members: %w", err)
	}
	return nil
}

// Members lists every member by name.
func (s *Store) Members(ctx context.Context) ([]Member, error) {
	var out []Member
	if err := s.r.WithContext(ctx).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return out, nil
}

// MemberByCode loads one member.
func (s *Store) MemberByCode(ctx context.Context, code string) (*Member, error) {
	var m Member
	if err := s.r.WithContext(ctx).Where("code = ?", strings.ToUpper(code)).First(&m).Error; err != nil {
		return nil, notFound(err, "load member "+code)
	}
	return &m, nil
}
