package charts

import (
	"fmt"

	"concord/consensus"
)

// One-line explanations of the report's figures, shown on hover beside
// them and, with the other terms, on the glossary page.
const (
	GlossCns = "Consensus score: 1 when every member prefers the same point, 0 when the members are split " +
		"evenly between the two ends of the scale (Tastle and Wierman)."
	GlossAgreement = "Share of the members who answered whose preferred point is within one point of the median."
	GlossIQR       = "Interquartile range: how far apart the middle half of the members stand, in points."
)

// Term is one entry of the glossary: Anchor is its id on the page.
type Term struct {
	Anchor, Term, Meaning string
	Badge                 *Badge // the classification's badge, for classification terms
}

// Glossary returns every term the report pages use, in reading order:
// the consensus signal first, then the classifications, then the figures
// and the maps. thresholds and quorum give the numbers this consultation
// uses.
func Glossary(th consensus.Thresholds, quorum, members int) []Term {
	if th == (consensus.Thresholds{}) {
		th = consensus.DefaultThresholds()
	}
	if quorum < 1 || quorum > members {
		quorum = members
	}
	terms := []Term{
		term("common-ground", "Common ground", "The points of a scale question (or the options of a choice question) that every member who answered can accept. "+
			"Where there is common ground, the question can be settled by consensus."),
		term("best-point", "Best point (best option)", "The point, or option, accepted by the most members; ties go to the point nearest the median, then the lower point. "+
			"Where there is common ground, the best point lies inside it."),
		term("accepting", "Accepting", "The number of members whose acceptable range includes the best point (for choice questions: who chose the option or marked it acceptable)."),
		term("not-accepting", "Not accepting", "The members whose acceptable range excludes the best point. Under the consensus rule, any one of them can block it."),
		term("holdouts", "Holdouts", "The members not accepting the best point, when they are only a few: at least 1 and at most one in ten of those who answered (at least 1). "+
			"These are the members a chair would try to bring along. When more members do not accept, the question is split and no holdouts are named."),
		term("outliers", "Outliers", "Members whose preferred point is at least half the scale away from the median. Reported only when they are fewer than a quarter of those who answered; "+
			"otherwise the question is split, not a matter of a few outliers."),
		term("red-line", "Red line", "A member's acceptable range is final: it will accept nothing outside it and does not expect to move in later rounds."),
		term("status-quo", "Status quo", "The point of the scale that describes the current policy, where the questionnaire marks one."),
	}
	for _, c := range []consensus.Classification{consensus.Unanimous, consensus.Consensus, consensus.NearConsensus,
		consensus.BroadAgreement, consensus.Polarized, consensus.Divided, consensus.Insufficient} {
		b := BadgeOf(c)
		meaning := classMeaning[c]
		switch c {
		case consensus.BroadAgreement:
			meaning = fmt.Sprintf("No common ground, but most members stand close together: consensus score at least %.2f and at least %.0f%% of the members within one point of the median "+
				"(choice questions: the most chosen option has at least %.0f%% of the answers).", th.BroadCns, th.BroadAgreementPct, th.BroadAgreementPct)
		case consensus.Polarized:
			meaning = fmt.Sprintf("Two camps: at least %.0f%% of the members in the lower third of the scale and at least %.0f%% in the upper third.",
				100*th.PolarizedShare, 100*th.PolarizedShare)
		}
		terms = append(terms, Term{Anchor: "class-" + b.Class[len("class-"):], Term: "Classification: " + string(c), Meaning: meaning, Badge: &b})
	}
	terms = append(terms,
		Term{Anchor: "classification", Term: "Classification order", Meaning: "A question takes the first classification that holds, in this order: " +
			"unanimous, consensus, near consensus, broad agreement, polarized, divided; with fewer than two answers it is insufficient."},
		Term{Anchor: "quorum", Term: "Quorum", Meaning: fmt.Sprintf("How many members must answer a question for its verdict to speak for the alliance: "+
			"in this consultation %d of %d.", quorum, members)},
		Term{Anchor: "provisional", Term: "Provisional", Meaning: "A verdict reached with fewer answers than the quorum. It says who has not answered yet: " +
			"a consensus among those who answered is not yet a consensus of the alliance."},
		Term{Anchor: "cns", Term: "Consensus score (Cns)", Meaning: GlossCns},
		Term{Anchor: "agreement", Term: "Agreement (%)", Meaning: GlossAgreement},
		Term{Anchor: "median", Term: "Median", Meaning: "The middle position: half the members prefer this point or lower, half this point or higher."},
		Term{Anchor: "iqr", Term: "Interquartile range (IQR)", Meaning: GlossIQR},
		Term{Anchor: "opinion-map", Term: "Opinion map", Meaning: "A picture of all the scale answers at once: members close together answered alike; " +
			"members far apart answered differently. The two directions of the map summarise the main differences between the answers and have no units."},
		Term{Anchor: "blocs", Term: "Blocs", Meaning: "Groups of members who answered alike, found on the opinion map. Each bloc is listed with the questions on which it differs most from the others."},
		Term{Anchor: "silhouette", Term: "Silhouette", Meaning: "How clearly the blocs stand apart, from −1 to 1: above 0.5 they are clearly separated, below 0.25 there is no real bloc structure."},
		Term{Anchor: "trend", Term: "Trend", Meaning: "From the second round on: how a question changed since the previous round — the change of the median, " +
			"the interquartile range and the consensus score (Δ, this round minus the previous one), of its classification and of its common ground. " +
			"Only questions answered in both rounds have a trend."},
		Term{Anchor: "movement", Term: "Movement", Meaning: "For every member who answered a scale question in both rounds: its preferred point before and after, " +
			"the shift (after minus before, in points) and its acceptable range before and after. A member's mean shift is its average shift as a share of the scale."},
		Term{Anchor: "toward-away", Term: "Toward, away, unchanged", Meaning: "The direction of a member's movement, measured against the previous round's median: " +
			"toward when its new point is closer to that median than its old one, away when it is further, unchanged when the distance is the same " +
			"(the same point, or the mirror point on the other side)."},
		Term{Anchor: "unchanged-pct", Term: "Unchanged (%)", Meaning: "The share of the members who answered a question in both rounds whose preferred point (or chosen option) did not change."},
		Term{Anchor: "stable", Term: "Stable", Meaning: fmt.Sprintf("A question is stable when at least %.0f%% of the members who answered both rounds kept their answer "+
			"and its consensus score moved by less than %.2f (choice questions: the unchanged share alone). When every question is stable, "+
			"further rounds are unlikely to change the picture: the usual point to stop and draft.", consensus.StableUnchangedPct, consensus.StableMaxCnsDelta)},
		Term{Anchor: "converging", Term: "Converging, diverging, steady", Meaning: fmt.Sprintf("How agreement changed since the previous round: converging when the consensus score "+
			"rose by %.2f or more (choice questions: the share of the most chosen option), diverging when it fell by as much, steady otherwise.", consensus.StableMaxCnsDelta)},
	)
	return terms
}

func term(anchor, name, meaning string) Term {
	return Term{Anchor: anchor, Term: name, Meaning: meaning}
}
