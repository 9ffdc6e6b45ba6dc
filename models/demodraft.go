package models

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The demonstration's draft: a text of the NATO–Russia strategy in its
// second version, circulated under a silence procedure that Hungary broke
// on the paragraph about the NATO–Russia Council, with national footnotes
// from Türkiye and Greece (the Greek one in Greek) and two confirmations.

// demoDraftTitle is the title of the demonstration's draft.
const demoDraftTitle = "Alliance strategy toward Russia (demonstration draft)"

type demoParagraph struct {
	text      string
	questions []string
}

// demoVersions are the two versions of the demonstration draft.
var demoVersions = [][]demoParagraph{
	{
		{"Russia's war of aggression against Ukraine has shattered peace and stability in the Euro-Atlantic area. The Russian Federation is the most significant and direct threat to Allies' security.", []string{"stance"}},
		{"Allies will strengthen deterrence and defence on the eastern flank, growing forward deployments at the pace agreed at the last summit.", []string{"eastern-flank"}},
		{"The NATO–Russia Council remains suspended. Allies keep military channels of communication open to manage risks and prevent incidents.", []string{"nato-russia-council"}},
		{"Allies will explore arms-control and risk-reduction proposals where they serve Allied security.", []string{"arms-control"}},
		{"The NATO–Russia Founding Act is suspended until Russia returns to compliance with international law.", []string{"founding-act"}},
	},
	{
		{"Russia's war of aggression against Ukraine has shattered peace and stability in the Euro-Atlantic area. The Russian Federation is the most significant and direct threat to Allies' security.", []string{"stance"}},
		{"Allies will strengthen deterrence and defence on the eastern flank, growing forward deployments at the pace agreed at the last summit.", []string{"eastern-flank"}},
		{"The NATO–Russia Council remains suspended. Once Russia ends its war of aggression, Allies are ready to hold technical risk-reduction talks within it; meanwhile military channels of communication stay open to manage risks and prevent incidents.", []string{"nato-russia-council"}},
		{"Allies will propose exploratory talks on arms control and risk reduction where they serve Allied security.", []string{"arms-control"}},
		{"The NATO–Russia Founding Act is suspended, not terminated, until Russia returns to compliance with international law.", []string{"founding-act"}},
		{"Allies will brief each other after high-level contacts with the Kremlin.", []string{"kremlin-contacts"}},
	},
}

// seedDemoDraft adds the demonstration draft to the demo consultation c
// inside tx, once: nothing happens if c has a draft already. Every member
// without an active delegate account gets one ("demo-" and its code in
// lower case) so that circulation is possible, as the rule requires; their
// password is random and never shown (a facilitator can issue an
// invitation instead). The procedure's deadline is a week after now, so it
// is running when the demonstration starts.
func (s *Store) seedDemoDraft(tx *gorm.DB, c *Consultation, members []Member) error {
	var drafts int64
	if err := tx.Model(&Draft{}).Where("consultation_id = ?", c.ID).Count(&drafts).Error; err != nil {
		return fmt.Errorf("count demo drafts: %w", err)
	}
	if drafts > 0 {
		return nil
	}
	var fac User
	if err := tx.Where("username = ?", "demo-facilitator").First(&fac).Error; err != nil {
		return fmt.Errorf("load demo facilitator: %w", err)
	}
	actors, err := s.demoDelegates(tx, members)
	if err != nil {
		return err
	}
	var qs []Question
	if err := tx.Select("id", "key").Where("consultation_id = ?", c.ID).Find(&qs).Error; err != nil {
		return fmt.Errorf("load demo questions: %w", err)
	}
	qid := map[string]uint{}
	for _, q := range qs {
		qid[q.Key] = q.ID
	}
	now := s.Now().Truncate(time.Minute)
	d := Draft{ConsultationID: c.ID, Number: 1, Title: demoDraftTitle, CreatedBy: fac.ID, CreatedAt: now.Add(-72 * time.Hour)}
	if err := tx.Create(&d).Error; err != nil {
		return fmt.Errorf("insert demo draft: %w", err)
	}
	notes := []string{"First text, written from the common ground of round 2.", "Paragraph 3 opens talks within the Council once the war ends; paragraph 6 added on contacts with the Kremlin."}
	var v DraftVersion
	for i, paras := range demoVersions {
		texts := make([]string, len(paras))
		for j, p := range paras {
			texts[j] = p.text
		}
		v = DraftVersion{DraftID: d.ID, Version: i + 1, Note: notes[i], Hash: VersionHash(texts), CreatedBy: fac.ID,
			CreatedAt: now.Add(time.Duration(-72+45*i) * time.Hour)}
		if err := tx.Create(&v).Error; err != nil {
			return fmt.Errorf("insert demo version: %w", err)
		}
		rows := make([]Paragraph, len(paras))
		for j, p := range paras {
			ids := []uint{}
			for _, k := range p.questions {
				if id, ok := qid[k]; ok {
					ids = append(ids, id)
				}
			}
			b, _ := json.Marshal(ids) // a []uint always marshals
			rows[j] = Paragraph{VersionID: v.ID, Number: j + 1, Text: p.text, QuestionIDsJSON: string(b)}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return fmt.Errorf("insert demo paragraphs: %w", err)
		}
	}
	circulated := now.Add(-26 * time.Hour)
	p := Procedure{ConsultationID: c.ID, DraftID: d.ID, VersionID: v.ID, Version: v.Version, Hash: v.Hash,
		Deadline: now.Add(7 * 24 * time.Hour), State: ProcedureRunning, CreatedBy: fac.ID, CreatedAt: circulated}
	if err := tx.Create(&p).Error; err != nil {
		return fmt.Errorf("insert demo procedure: %w", err)
	}
	acts := []ProcedureAction{
		{MemberID: actors["EST"].memberID, By: actors["EST"].userID, Action: ActionConfirmed, At: circulated.Add(2 * time.Hour)},
		{MemberID: actors["HUN"].memberID, By: actors["HUN"].userID, Action: ActionBroke, Paragraph: 3, At: circulated.Add(5 * time.Hour),
			Text:      "Hungary cannot accept making talks within the NATO–Russia Council conditional on the end of the war: dialogue is needed most while the war goes on.",
			Amendment: "The NATO–Russia Council should meet at ambassador level to discuss risk reduction and the conditions of a ceasefire; military channels of communication stay open to manage risks and prevent incidents."},
		{MemberID: actors["TUR"].memberID, By: actors["TUR"].userID, Action: ActionFootnote, Paragraph: 6, At: circulated.Add(8 * time.Hour),
			Text: "Türkiye recalls that high-level contacts are a national prerogative; it will keep Allies informed."},
		{MemberID: actors["GRC"].memberID, By: fac.ID, OnBehalf: true, Action: ActionFootnote, Paragraph: 5, At: circulated.Add(20 * time.Hour),
			Text: "Η Ελλάδα υποστηρίζει την αναστολή της Ιδρυτικής Πράξης, όχι την κατάργησή της. (Received by diplomatic note.)"},
		{MemberID: actors["LVA"].memberID, By: actors["LVA"].userID, Action: ActionConfirmed, At: circulated.Add(22 * time.Hour)},
	}
	for i := range acts {
		a := &acts[i]
		if a.MemberID == 0 {
			continue // another roster without this member
		}
		a.ProcedureID = p.ID
		if err := tx.Create(a).Error; err != nil {
			return fmt.Errorf("insert demo action: %w", err)
		}
	}
	return tx.Create(&AuditEvent{At: s.Now(), UserID: &fac.ID, Action: AuditProcedureCirculated, Subject: procedureSubject(c, &d, &p),
		Detail: "demonstration draft, version 2 circulated with synthetic actions"}).Error
}

type demoActor struct{ memberID, userID uint }

// demoDelegates returns, by member code, an active delegate account of
// each member (creating "demo-<code>" where a member has none).
func (s *Store) demoDelegates(tx *gorm.DB, members []Member) (map[string]demoActor, error) {
	var users []User
	if err := tx.Where("role = ? AND revoked_at IS NULL AND member_id IS NOT NULL", RoleDelegate).Order("id").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("load delegates: %w", err)
	}
	have := map[uint]uint{}
	for _, u := range users {
		if _, ok := have[*u.MemberID]; !ok {
			have[*u.MemberID] = u.ID
		}
	}
	out := map[string]demoActor{}
	hash := ""
	for _, m := range members {
		if id, ok := have[m.ID]; ok {
			out[m.Code] = demoActor{m.ID, id}
			continue
		}
		if hash == "" {
			h, err := s.hash(demoPassword())
			if err != nil {
				return nil, err
			}
			hash = h
		}
		username := "demo-" + strings.ToLower(m.Code)
		var taken int64
		if err := tx.Model(&User{}).Where("username = ?", username).Count(&taken).Error; err != nil {
			return nil, err
		}
		if taken > 0 {
			username += "-delegate"
		}
		mid := m.ID
		u := User{Username: username, Name: "Demo delegate of " + m.Name, Role: RoleDelegate, MemberID: &mid, PasswordHash: hash}
		if err := tx.Create(&u).Error; err != nil {
			return nil, fmt.Errorf("create demo delegate of %s: %w", m.Code, err)
		}
		out[m.Code] = demoActor{m.ID, u.ID}
	}
	return out, nil
}
