package models

import (
	"context"
	"crypto/rand"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"gorm.io/gorm"
)

// DemoKey is the key of the sample consultation.
const DemoKey = "nato-russia-review-demo"

// DemoCredential is a demo account and the password just set for it.
type DemoCredential struct {
	Username, Password, Role, Member string
}

// demoProfile is a synthetic leaning: -2 (most conciliatory) … +2 (most assertive).
var demoProfile = map[string]int{
	"EST": 2, "LVA": 2, "LTU": 2, "POL": 2, "FIN": 2,
	"SWE": 1, "ROU": 1, "CZE": 1, "GBR": 1, "DNK": 1, "CAN": 1, "NLD": 1, "NOR": 1,
	"USA": 0, "DEU": 0, "FRA": 0, "BEL": 0, "ESP": 0, "ITA": 0, "PRT": 0, "LUX": 0, "ISL": 0,
	"HRV": 0, "SVN": 0, "ALB": 0, "MNE": 0, "MKD": 0, "BGR": 0, "GRC": 0,
	"TUR": -1, "SVK": -2, "HUN": -2,
}

var demoQuestions = []QuestionInput{
	{Key: "founding-act", Section: "Treaties and dialogue", Kind: KindChoice,
		Text:    "What should become of the 1997 NATO–Russia Founding Act?",
		Help:    "The Act's commitments on permanent stationing of substantial combat forces shape eastern-flank posture.",
		Options: []string{"Keep it as it stands", "Suspend it until Russia complies", "Declare it void and replace it"}},
	{Key: "nato-russia-council", Section: "Treaties and dialogue", Kind: KindScale, StatusQuo: 1,
		Text:   "Should the NATO–Russia Council be revived?",
		Labels: []string{"Keep it frozen", "Military hotline only", "Technical risk-reduction talks", "Ambassador-level talks on conditions", "Full revival of regular sessions"}},
	{Key: "arms-control", Section: "Treaties and dialogue", Kind: KindScale, StatusQuo: 2,
		Text:   "Should the Alliance propose a new arms-control and risk-reduction dialogue?",
		Labels: []string{"No dialogue", "Only incident-prevention channels", "Exploratory talks", "Structured negotiations", "Comprehensive treaty initiative"}},
	{Key: "stance", Section: "Posture", Kind: KindScale, StatusQuo: 3,
		Text:   "How assertive should the Alliance's overall stance toward Russia be?",
		Labels: []string{"Much more conciliatory", "More conciliatory", "Unchanged", "More assertive", "Much more assertive"}},
	{Key: "eastern-flank", Section: "Posture", Kind: KindScale, StatusQuo: 4,
		Text: "At what pace should eastern-flank deployments grow?",
		Help: "Point 4 is the plan agreed at the last summit.",
		Labels: []string{"Draw down", "Freeze at current level", "Slower than agreed", "As agreed", "Faster rotations",
			"Permanent brigades", "Permanent brigades and division sets"}},
	{Key: "kremlin-contacts", Section: "Alliance cohesion", Kind: KindScale, StatusQuo: 1,
		Text:   "How should the Alliance treat allies that keep high-level contacts with the Kremlin?",
		Labels: []string{"A national prerogative", "Prior consultation of allies", "Briefing of allies after each contact", "Collective public criticism", "Limited access to sensitive planning"}},
	{Key: "notes", Section: "Other remarks", Kind: KindText,
		Text: "Anything else your delegation wishes the facilitators to weigh?"},
}

// demoPreferred places a member on a scale question from its leaning, with
// a small deterministic variation so the distribution looks real.
func demoPreferred(code, key string, lean int) (pref, lo, hi int, importance string) {
	h := fnv.New32a()
	h.Write([]byte(code + "/" + key))
	jitter := int(h.Sum32()%3) - 1 // -1, 0, +1
	clamp := func(v, k int) int { return max(1, min(k, v)) }
	switch key {
	case "nato-russia-council": // the east keeps it frozen, most of the west wants talks: polarized
		pref = clamp(3-lean+boolInt(lean == 0 && jitter >= 0), 5)
		lo, hi = clamp(pref-1, 5), clamp(pref+boolInt(lean <= 0), 5)
	case "arms-control": // consensus on exploratory talks
		pref = clamp(3+boolInt(lean < -1)-boolInt(lean > 1 && jitter < 0), 5)
		lo, hi = clamp(pref-1, 5), clamp(pref+1, 5)
	case "stance": // most want more assertive, all can live with unchanged: consensus
		pref = clamp(3+(lean+1)/2+boolInt(lean == 0 && jitter > 0), 5)
		lo, hi = clamp(pref-1, 5), pref
		if lean < -1 {
			lo, hi = 1, 3
		}
	case "eastern-flank": // a 7-point scale, divided
		pref = clamp(4+lean+jitter*boolInt(lean != 0), 7)
		lo, hi = clamp(pref-1, 7), clamp(pref+1, 7)
	case "kremlin-contacts": // broad agreement in the middle, two allies blocking from the far end
		pref = clamp(3+boolInt(lean > 1)+jitter*boolInt(lean == 1), 5)
		lo, hi = clamp(pref-1, 5), clamp(pref+1, 5)
		if lean < -1 {
			pref, lo, hi = 1, 1, 1
		}
	}
	importance = ImportanceMedium
	switch {
	case lean < -1 && (key == "kremlin-contacts" || key == "stance"):
		importance = ImportanceRedLine
	case lean > 1 && (key == "eastern-flank" || key == "nato-russia-council"):
		importance = ImportanceRedLine
	case lean != 0:
		importance = ImportanceHigh
	case jitter < 0:
		importance = ImportanceLow
	}
	return pref, lo, hi, importance
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func demoChoice(lean int) int {
	switch {
	case lean >= 2:
		return 3
	case lean >= 1:
		return 2
	default:
		return 1
	}
}

// SeedDemo creates the sample consultation with synthetic positions for
// every member and the demo accounts. It is idempotent: the consultation
// and positions are created once; the demo accounts get a fresh random
// password on every run, which is returned for printing. A demo account
// that a facilitator has revoked stays revoked and is not returned, nor is
// a delegate account for a member the roster does not have.
func (s *Store) SeedDemo(ctx context.Context) ([]DemoCredential, error) {
	members, err := s.Members(ctx)
	if err != nil {
		return nil, err
	}
	creds := []DemoCredential{
		{Username: "demo-facilitator", Role: RoleFacilitator},
		{Username: "demo-observer", Role: RoleObserver},
		{Username: "demo-est", Role: RoleDelegate, Member: "EST"},
		{Username: "demo-hun", Role: RoleDelegate, Member: "HUN"},
	}
	memberID := map[string]uint{}
	memberCode := map[uint]string{}
	for _, m := range members {
		memberID[m.Code] = m.ID
		memberCode[m.ID] = m.Code
	}
	var usable []DemoCredential
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		usable = nil
		for i := range creds {
			cr := &creds[i]
			cr.Password = demoPassword()
			h, err := s.hash(cr.Password)
			if err != nil {
				return err
			}
			var u User
			if err := tx.Where("username = ?", cr.Username).Limit(1).Find(&u).Error; err != nil {
				return err
			}
			if u.ID != 0 {
				if !u.Active() {
					continue // revoked on purpose: a new password would not let anyone in
				}
				if err := tx.Model(&u).Update("password_hash", h).Error; err != nil {
					return err
				}
				// Say what the account is now: a facilitator may have
				// changed its role.
				cr.Role, cr.Member = u.Role, ""
				if u.MemberID != nil {
					cr.Member = memberCode[*u.MemberID]
				}
				usable = append(usable, *cr)
				continue
			}
			var mid *uint
			if cr.Member != "" {
				id, ok := memberID[cr.Member]
				if !ok {
					continue // another roster: no delegate demo account for this code
				}
				mid = &id
			}
			u = User{Username: cr.Username, Name: "Demo " + cr.Role, Role: cr.Role, MemberID: mid, PasswordHash: h}
			if err := tx.Create(&u).Error; err != nil {
				return err
			}
			usable = append(usable, *cr)
		}
		var c Consultation
		if err := tx.Where("key = ?", DemoKey).Limit(1).Find(&c).Error; err != nil {
			return err
		}
		if c.ID != 0 {
			return s.seedDemoDraft(tx, &c, members)
		}
		var fac User
		if err := tx.Where("username = ?", "demo-facilitator").First(&fac).Error; err != nil {
			return err
		}
		c = Consultation{Key: DemoKey, Status: StatusOpen, Round: 1, Marking: "Restricted", Timezone: "Europe/Brussels",
			Title: "NATO–Russia strategy review (demonstration, synthetic data)",
			Description: "A sample consultation modelled on the 2024–25 review of the Alliance's policy toward Russia. " +
				"Every position in it is SYNTHETIC, generated for demonstration; none is the view of any government."}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		now := s.Now()
		if err := recordFirstRound(tx, &c, &fac.ID, now); err != nil {
			return err
		}
		if err := tx.Create(&AuditEvent{At: now, UserID: &fac.ID, Action: AuditConsultationEdit,
			Subject: "consultation " + c.Key, Detail: "created with synthetic demonstration data"}).Error; err != nil {
			return err
		}
		qs := make([]*Question, 0, len(demoQuestions))
		byID := map[uint]*Question{}
		for _, in := range demoQuestions {
			q, err := s.createQuestion(tx, c.ID, in, fac.ID)
			if err != nil {
				return err
			}
			qs = append(qs, q)
			byID[q.ID] = q
		}
		var revs []Revision
		for _, m := range members {
			lean := demoProfile[m.Code]
			for _, q := range qs {
				r := Revision{ConsultationID: c.ID, Round: 1, MemberID: m.ID, QuestionID: q.ID,
					SubmittedBy: fac.ID, SubmittedAt: now, Source: SourceDemo}
				switch q.Kind {
				case KindScale:
					if m.Code == "ISL" && q.Key == "arms-control" {
						continue // a realistic gap in coverage
					}
					r.Preferred, r.AcceptMin, r.AcceptMax, r.Importance = demoPreferred(m.Code, q.Key, lean)
					r.Rationale = fmt.Sprintf("Synthetic position for demonstration (%s leaning %+d).", m.Name, lean)
				case KindChoice:
					r.Choice = demoChoice(lean)
					// Keeping and voiding the Act are far apart, but every
					// member could live with suspending it.
					r.AcceptOptions = FormatOptionList([]int{r.Choice, 2})
					r.Rationale = "Synthetic position for demonstration."
				case KindText:
					if lean == 0 {
						continue
					}
					r.Answer = "Synthetic answer for demonstration: " + m.Name + " asks that its national constraints be reflected in the draft."
				}
				revs = append(revs, r)
			}
		}
		// As any other position: a revision and its audit event.
		if _, err := appendRevisions(tx, revs, byID); err != nil {
			return err
		}
		// Round 2: the allies have seen round 1 and some move.
		if err := s.openNextRound(tx, &c, nil, fac.ID, now); err != nil {
			return err
		}
		if _, err := appendRevisions(tx, demoSecondRound(revs, qs, members, c.Round, now), byID); err != nil {
			return err
		}
		return s.seedDemoDraft(tx, &c, members)
	})
	if err != nil {
		return nil, fmt.Errorf("seed demo: %w", err)
	}
	return usable, nil
}

// demoSecondRound derives round-2 positions from round 1's: HUN, SVK and
// the allies at either end of the spectrum (leaning ±2) hold their
// positions; the others who stood apart from a scale question's round-1
// median move one point toward it and widen what they can accept to reach
// it; the conciliatory-to-central allies who chose to keep the Founding Act
// (half of them, deterministically) now choose to suspend it, on a
// condition. Text answers are kept; whoever was silent stays silent (ISL
// still has no answer on arms control).
func demoSecondRound(first []Revision, qs []*Question, members []Member, round int, now time.Time) []Revision {
	byID := map[uint]Member{}
	for _, m := range members {
		byID[m.ID] = m
	}
	median := map[uint]float64{}
	for _, q := range qs {
		var prefs []int
		for _, r := range first {
			if r.QuestionID == q.ID && q.Kind == KindScale {
				prefs = append(prefs, r.Preferred)
			}
		}
		if len(prefs) == 0 {
			continue
		}
		slices.Sort(prefs)
		median[q.ID] = float64(prefs[(len(prefs)-1)/2]+prefs[len(prefs)/2]) / 2
	}
	kind := map[uint]string{}
	for _, q := range qs {
		kind[q.ID] = q.Kind
	}
	out := make([]Revision, 0, len(first))
	for _, r := range first {
		code := byID[r.MemberID].Code
		lean := demoProfile[code]
		r.ID, r.Seq, r.Round, r.SubmittedAt = 0, 0, round, now
		holds := code == "HUN" || code == "SVK" || lean > 1 || lean < -1
		switch kind[r.QuestionID] {
		case KindScale:
			m := median[r.QuestionID]
			if holds || math.Abs(float64(r.Preferred)-m) < 1 {
				break
			}
			step := 1
			if float64(r.Preferred) > m {
				step = -1
			}
			r.Preferred += step
			target := int(math.Round(m))
			r.AcceptMin, r.AcceptMax = min(r.AcceptMin, r.Preferred, target), max(r.AcceptMax, r.Preferred, target)
			r.Rationale = fmt.Sprintf("Synthetic position for demonstration (%s, moved toward the round-1 median).", byID[r.MemberID].Name)
		case KindChoice:
			h := fnv.New32a()
			h.Write([]byte(code))
			if !holds && r.Choice == 1 && h.Sum32()%2 == 0 {
				r.Choice = 2
				r.AcceptOptions = FormatOptionList([]int{1, 2})
				r.Conditions = "Can accept suspension provided the Act is suspended, not terminated."
				r.Rationale = "Synthetic position for demonstration (moved after round 1)."
			}
		}
		out = append(out, r)
	}
	return out
}

// demoPassword returns a random password of four groups of letters.
func demoPassword() string {
	const letters = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 19)
	rand.Read(b)
	for i := range b {
		if i%5 == 4 {
			b[i] = '-'
			continue
		}
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}
