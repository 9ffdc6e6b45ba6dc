package models

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// Password rules.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 72 // bcrypt reads at most 72 bytes
	// MinPasswordScore is the lowest strength accepted on the zxcvbn scale
	// of 0 to 4 (Wheeler 2016, "zxcvbn: Low-Budget Password Strength
	// Estimation", USENIX Security): 3 means more than 10⁸ guesses, "safely
	// unguessable" against online attacks and a moderate defence against
	// offline ones.
	MinPasswordScore = 3
)

// passwordWords are checked against every password besides the account's
// own words (username, name, member): an attacker who targets an
// alliance's consultation tries them first.
var passwordWords = []string{"concord", "nato", "otan", "alliance", "allies", "russia", "kremlin", "consensus"}

// PasswordProblem explains why a password is not acceptable, or returns "".
// related are words tied to the account besides its username (the
// person's name, the member's code and name).
//
// A password needs MinPasswordLen characters, at most MaxPasswordLen bytes,
// must not contain the username, and must reach MinPasswordScore on the
// zxcvbn estimator, with the username, the related words and
// passwordWords as the words an attacker knows. Because the estimator
// rates a phrase of known words joined by separators as long random text
// ("nato-russia-2025") and a common password followed by a year as strong
// ("password2024!!"), the password must also reach that score with the
// known words and the most common passwords taken out: they add nothing
// an attacker has to guess.
func PasswordProblem(password, username string, related ...string) string {
	n := len([]rune(password))
	switch {
	case n < MinPasswordLen:
		return fmt.Sprintf("Use at least %d characters; a few unrelated words make a strong password.", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return fmt.Sprintf("Use at most %d bytes.", MaxPasswordLen)
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return "The password must not contain the username."
	}
	known := knownWords(username, related)
	r := zxcvbn.PasswordStrength(password, known)
	if r.Score < MinPasswordScore {
		return "This password is too easy to guess. " + passwordFeedback(r.Sequence)
	}
	strip := slices.Clone(known)
	for _, m := range r.Sequence {
		if m.Pattern == "dictionary" && m.DictionaryName == "passwords" && m.Rank <= commonPasswordRank {
			strip = append(strip, strings.ToLower(m.Token))
		}
	}
	if rest := withoutWords(password, strip); rest != password {
		if r := zxcvbn.PasswordStrength(rest, nil); r.Score < MinPasswordScore {
			return "This password is too easy to guess: common passwords and words tied to you, your member " +
				"or the alliance (such as “nato”) add little strength. Add a few unrelated words."
		}
	}
	return ""
}

// commonPasswordRank: words among the most common passwords up to this
// rank (zxcvbn's "passwords" list) add no strength to a password.
const commonPasswordRank = 1000

// knownWords lists, in lower case, the username, each word of the related
// texts and passwordWords, without repeats or words shorter than 3 letters.
func knownWords(username string, related []string) []string {
	var out []string
	add := func(w string) {
		w = strings.ToLower(strings.TrimSpace(w))
		if len([]rune(w)) >= 3 && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	add(username)
	for _, r := range related {
		add(r)
		for _, w := range strings.FieldsFunc(r, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) }) {
			add(w)
		}
	}
	for _, w := range passwordWords {
		add(w)
	}
	return out
}

// withoutWords removes every occurrence of the words from the password,
// ignoring case, longest words first.
func withoutWords(password string, words []string) string {
	sorted := slices.Clone(words)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	rest := password
	for _, w := range sorted {
		rest = regexp.MustCompile("(?i)"+regexp.QuoteMeta(w)).ReplaceAllString(rest, "")
	}
	return rest
}

// passwordFeedback says in a sentence what makes a password weak, from the
// estimator's most telling match (the longest one that is not plain
// guessing), as zxcvbn's own feedback does.
func passwordFeedback(seq []*match.Match) string {
	var worst *match.Match
	for _, m := range seq {
		if m.Pattern == "bruteforce" {
			continue
		}
		if worst == nil || len(m.Token) > len(worst.Token) {
			worst = m
		}
	}
	const more = " Add a few unrelated words: a longer phrase is stronger."
	if worst == nil {
		return "Use a longer password." + more
	}
	switch worst.Pattern {
	case "repeat":
		return "Repeats like “abcabc” are only slightly harder to guess than “abc”." + more
	case "sequence":
		return "Sequences like “abc” or “6543” are easy to guess." + more
	case "spatial":
		return "Rows of keys and short keyboard patterns are easy to guess." + more
	case "date", "regex":
		return "Dates and years are easy to guess." + more
	case "dictionary":
		switch {
		case worst.DictionaryName == "user_inputs":
			return "Avoid your name, username or member and words tied to the alliance." + more
		case worst.DictionaryName == "passwords" && worst.Rank <= 100:
			return "This is one of the most common passwords." + more
		case worst.DictionaryName == "passwords":
			return "This is similar to a commonly used password." + more
		case worst.L33t:
			return "Replacing letters by look-alike digits or symbols (“@” for “a”) does not help much." + more
		}
		return "A word on its own is easy to guess." + more
	}
	return "Use a longer password." + more
}
