package consensus

import (
	"strconv"
	"strings"
)

// MaxNamedMissing is the most non-answering members a provisional verdict
// names by code; with more, it gives their number ("12 members have not
// answered").
const MaxNamedMissing = 5

// verdictKey selects a verdict template: the classification and whether a
// common ground was found (scale: ScaleStats.CommonGround != nil; choice:
// ChoiceStats.CommonGround not empty).
type verdictKey struct {
	class  Classification
	ground bool
}

// verdictTemplate is the sentence of one (classification × common ground)
// combination, for a quorate question and for a provisional one (below the
// quorum). Placeholders, filled by VerdictLine:
//
//	{n}          responses
//	{total}      members in the roster
//	{point}      the best point: "point 3", or "option 2 (Text)"
//	{ground}     the common ground: "point 3", "points 2–4", "option 2 (Text)",
//	             "options 1 (A) and 3 (C)"
//	{a} {accept} how many accept the best point, and "accept" or "accepts"
//	{m} {donot}  how many do not, and "do not" or "does not"
//	{holdouts}   the holdouts' codes: "HUN, SVK"
//	{prefers}    "prefers" (scale) or "chose" (choice), after "every member"
//	{prefer}     "prefer" (scale) or "chose" (choice), after "all"
//	{missing}    who has not answered: "DEU, FRA, ITA have not answered",
//	             "DEU has not answered" or "12 members have not answered"
type verdictTemplate struct {
	quorate, provisional string
}

const (
	tooFew = "Too few answers to judge ({n} of {total})."

	unanimousQuorate     = "Unanimous: every member who answered {prefers} {point}."
	unanimousProvisional = "Unanimous among the {n} who answered: all {prefer} {point}; {missing}."

	noGroundQuorate     = "No common ground: {a} of {n} {accept} {point}; {m} {donot}."
	noGroundProvisional = "No common ground: {a} of the {n} who answered {accept} {point}; {m} {donot}; {missing}."
)

// verdictTemplates holds one template per (classification × common ground
// found or not). Analyze only produces seven of the fourteen combinations:
// insufficient with or without common ground, unanimous and consensus with
// it, near consensus, broad agreement, polarized and divided without it (a
// common ground makes a question consensus or unanimous, and holdouts exist
// only without one). The other seven still have a sentence that agrees with
// their class, so that no combination can produce a contradiction.
var verdictTemplates = map[verdictKey]verdictTemplate{
	{Insufficient, true}:  {tooFew, tooFew},
	{Insufficient, false}: {tooFew, tooFew},

	{Unanimous, true}:  {unanimousQuorate, unanimousProvisional},
	{Unanimous, false}: {unanimousQuorate, unanimousProvisional},

	{Consensus, true}: {
		"Consensus: every member who answered accepts {ground}.",
		"Consensus among the {n} who answered: all accept {ground}; {missing}.",
	},
	{Consensus, false}: {
		"Consensus: every member who answered accepts {point}.",
		"Consensus among the {n} who answered: all accept {point}; {missing}.",
	},

	{NearConsensus, false}: {
		"Near consensus: all but {holdouts} accept {point}.",
		"Near consensus among the {n} who answered: all but {holdouts} accept {point}; {missing}.",
	},
	{NearConsensus, true}: {
		"Near consensus: every member who answered accepts {ground}.",
		"Near consensus among the {n} who answered: all accept {ground}; {missing}.",
	},

	{BroadAgreement, false}: {noGroundQuorate, noGroundProvisional},
	{BroadAgreement, true}: {
		"Broad agreement: every member who answered accepts {ground}.",
		"Broad agreement among the {n} who answered: all accept {ground}; {missing}.",
	},

	{Polarized, false}: {noGroundQuorate, noGroundProvisional},
	{Polarized, true}: {
		"Polarized, though every member who answered accepts {ground}.",
		"Polarized among the {n} who answered, though all accept {ground}; {missing}.",
	},

	{Divided, false}: {noGroundQuorate, noGroundProvisional},
	{Divided, true}: {
		"Divided, though every member who answered accepts {ground}.",
		"Divided among the {n} who answered, though all accept {ground}; {missing}.",
	},
}

// VerdictLine returns the one sentence that states where a scale or choice
// question stands, from the template of its (Classification × common ground
// found or not), in the provisional form when q.Provisional is set. It reads
// q's Classification, Coverage, BestPoint, Accepting, NotAccepting,
// Holdouts and common ground, so it never contradicts them. Examples:
//
//	Consensus: every member who answered accepts points 2–4.
//	Near consensus: all but HUN, SVK accept point 3.
//	No common ground: 19 of 32 accept point 2; 13 do not.
//	Too few answers to judge (1 of 32).
//	Consensus among the 29 who answered: all accept point 3; DEU, FRA, ITA have not answered.
//
// It returns "" for a text question or an unknown classification.
func VerdictLine(q *QuestionReport) string {
	if q == nil || (q.Scale == nil && q.Choice == nil) {
		return ""
	}
	var ground bool
	var groundPhrase, point, prefers, prefer string
	if q.Scale != nil {
		ground = q.Scale.CommonGround != nil
		if ground {
			groundPhrase = pointsPhrase(*q.Scale.CommonGround)
		}
		point = "point " + strconv.Itoa(q.BestPoint)
		prefers, prefer = "prefers", "prefer"
	} else {
		ground = len(q.Choice.CommonGround) > 0
		if ground {
			groundPhrase = optionsPhrase(q.Choice.CommonGround, q.Options)
		}
		point = optionPhrase(q.BestPoint, q.Options)
		prefers, prefer = "chose", "chose"
	}
	tpl, ok := verdictTemplates[verdictKey{q.Classification, ground}]
	if !ok {
		return ""
	}
	text := tpl.quorate
	if q.Provisional {
		text = tpl.provisional
	}
	n := q.Coverage.Responses
	m := len(q.NotAccepting)
	var b strings.Builder
	b.Grow(len(text) + 64)
	for {
		i := strings.IndexByte(text, '{')
		j := strings.IndexByte(text[i+1:], '}')
		if i < 0 || j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		switch key := text[i+1 : i+1+j]; key {
		case "n":
			b.WriteString(strconv.Itoa(n))
		case "total":
			b.WriteString(strconv.Itoa(q.Coverage.MembersTotal))
		case "point":
			b.WriteString(point)
		case "ground":
			b.WriteString(groundPhrase)
		case "a":
			b.WriteString(strconv.Itoa(q.Accepting))
		case "accept":
			b.WriteString(plural(q.Accepting, "accepts", "accept"))
		case "m":
			b.WriteString(strconv.Itoa(m))
		case "donot":
			b.WriteString(plural(m, "does not", "do not"))
		case "holdouts":
			b.WriteString(strings.Join(q.Holdouts, ", "))
		case "prefers":
			b.WriteString(prefers)
		case "prefer":
			b.WriteString(prefer)
		case "missing":
			b.WriteString(MissingPhrase(q.Coverage.Missing))
		default:
			b.WriteString(text[i : i+2+j])
		}
		text = text[i+2+j:]
	}
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// MissingPhrase says who has not answered: the codes when there are at most
// MaxNamedMissing of them ("DEU has not answered", "DEU, FRA, ITA have not
// answered"), otherwise their number ("12 members have not answered"); ""
// when everyone answered.
func MissingPhrase(missing []string) string {
	switch n := len(missing); {
	case n == 0:
		return ""
	case n == 1:
		return missing[0] + " has not answered"
	case n <= MaxNamedMissing:
		return strings.Join(missing, ", ") + " have not answered"
	default:
		return strconv.Itoa(n) + " members have not answered"
	}
}

// pointsPhrase names a range of scale points: "point 3" or "points 2–4".
func pointsPhrase(r Range) string {
	if r.Lo == r.Hi {
		return "point " + strconv.Itoa(r.Lo)
	}
	return "points " + strconv.Itoa(r.Lo) + "–" + strconv.Itoa(r.Hi)
}

// optionPhrase names option number num (1-based) with its text:
// "option 2 (Text)"; just "option 2" when the number is out of range.
func optionPhrase(num int, options []string) string {
	s := "option " + strconv.Itoa(num)
	if num >= 1 && num <= len(options) {
		s += " (" + options[num-1] + ")"
	}
	return s
}

// optionsPhrase names options by number and text: "option 2 (B)",
// "options 1 (A) and 3 (C)", "options 1 (A), 2 (B) and 3 (C)".
func optionsPhrase(nums []int, options []string) string {
	if len(nums) == 1 {
		return optionPhrase(nums[0], options)
	}
	parts := make([]string, len(nums))
	for i, num := range nums {
		parts[i] = strings.TrimPrefix(optionPhrase(num, options), "option ")
	}
	last := len(parts) - 1
	return "options " + strings.Join(parts[:last], ", ") + " and " + parts[last]
}
