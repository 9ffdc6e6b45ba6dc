package consensus

// Kind is the kind of a question.
type Kind string

// Question kinds.
const (
	KindScale  Kind = "scale"
	KindChoice Kind = "choice"
	KindText   Kind = "text"
)

// Importance is how much a member cares about its position on a scale
// question.
type Importance string

// Importance levels. ImportanceRedLine marks a position the member will not
// move from.
const (
	ImportanceLow     Importance = "low"
	ImportanceMedium  Importance = "medium"
	ImportanceHigh    Importance = "high"
	ImportanceRedLine Importance = "red line"
)

// Classification summarises where a question stands.
type Classification string

// Classifications, in the order ClassifyScale tests them (Insufficient means
// too few responses to say). The ranking orders them differently, from most
// divided to most agreed: Polarized, Divided, BroadAgreement, NearConsensus,
// Consensus, Unanimous, then Insufficient.
const (
	Unanimous      Classification = "unanimous"
	Consensus      Classification = "consensus"
	NearConsensus  Classification = "near consensus"
	BroadAgreement Classification = "broad agreement"
	Polarized      Classification = "polarized"
	Divided        Classification = "divided"
	Insufficient   Classification = "insufficient"
)

// Member is one member of the alliance. The roster order is the display order.
type Member struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Question is one question of the consultation.
type Question struct {
	// Number is the question's stable number in the questionnaire (Q1, Q2,
	// …); 0 means "by input order" (Analyze then numbers it 1, 2, …).
	Number  int      `json:"number"`
	Key     string   `json:"key"`
	Section string   `json:"section"`
	Text    string   `json:"text"`
	Kind    Kind     `json:"kind"`
	Points  []string `json:"points"`  // scale: labels of points 1..k; k = len(Points)
	Options []string `json:"options"` // choice
}

// Position is one member's current answer to one question.
type Position struct {
	MemberCode  string     `json:"member_code"`
	QuestionKey string     `json:"question_key"`
	Preferred   int        `json:"preferred"`  // scale, 1..k
	AcceptMin   int        `json:"accept_min"` // scale, AcceptMin <= Preferred; 0 = Preferred
	AcceptMax   int        `json:"accept_max"` // scale, Preferred <= AcceptMax; 0 = Preferred
	Importance  Importance `json:"importance"` // scale
	Option      string     `json:"option"`     // choice: the chosen option's text
	// AcceptOptions (choice) are the texts of the other options the member
	// could accept besides Option; Option itself is always acceptable.
	AcceptOptions []string `json:"accept_options,omitempty"`
	Answer        string   `json:"answer"` // text
	Rationale     string   `json:"rationale"`
	Conditions    string   `json:"conditions,omitempty"` // the conditions of the member's acceptance; not analysed
}

// Thresholds tune the classification of questions.
type Thresholds struct {
	BroadCns          float64 `json:"broad_cns"`           // 0.75
	BroadAgreementPct float64 `json:"broad_agreement_pct"` // 75 (percent)
	PolarizedShare    float64 `json:"polarized_share"`     // 1/3
}

// DefaultThresholds returns the default classification thresholds:
// BroadCns 0.75, BroadAgreementPct 75, PolarizedShare 1/3. The 75% agreement
// level is the median threshold of Delphi studies found by Diamond et al.
// (2014, J Clin Epidemiol 67(4):401–409); Cns 0.75 is Concord's companion
// cut-off on the same scale (Tastle & Wierman give none); a third at each end
// reads polarization on a scale split into thirds.
func DefaultThresholds() Thresholds {
	return Thresholds{BroadCns: 0.75, BroadAgreementPct: 75, PolarizedShare: 1.0 / 3.0}
}

// Input is everything Analyze needs.
type Input struct {
	Members    []Member   `json:"members"`
	Questions  []Question `json:"questions"`  // consultation order
	Positions  []Position `json:"positions"`  // current positions; unknown members/questions are ignored
	Previous   []Position `json:"previous"`   // optional: positions of the previous round; nil = no trend
	Thresholds Thresholds `json:"thresholds"` // zero value => DefaultThresholds()
	// Quorum is how many responses make a question's verdict speak for the
	// alliance; 0 (or more than the roster) means every member of the roster.
	Quorum int `json:"quorum"`
}

// Report is the result of Analyze. Member lists are member codes sorted
// alphabetically unless stated otherwise.
type Report struct {
	Thresholds   Thresholds `json:"thresholds"`
	MembersTotal int        `json:"members_total"`
	Quorum       int        `json:"quorum"`      // effective quorum, 1..MembersTotal
	Provisional  int        `json:"provisional"` // ranked questions classified below the quorum (not insufficient)
	// AllStable is true when there is a previous round and every ranked
	// question (insufficient ones aside) is stable: further rounds are
	// unlikely to change the picture.
	AllStable   bool                   `json:"all_stable"`
	Questions   []QuestionReport       `json:"questions"`    // input order
	Ranking     []string               `json:"ranking"`      // keys of scale+choice questions, most divided first
	ClassCounts map[Classification]int `json:"class_counts"` // over the ranked questions
	Members     []MemberProfile        `json:"members"`      // roster order
	Similarity  []PairSimilarity       `json:"similarity"`
	Map         OpinionMap             `json:"opinion_map"`
}

// Question returns the report of the question with the given key.
func (r *Report) Question(key string) (*QuestionReport, bool) {
	if r == nil {
		return nil, false
	}
	for i := range r.Questions {
		if r.Questions[i].Key == key {
			return &r.Questions[i], true
		}
	}
	return nil, false
}

// Member returns the profile of the member with the given code.
func (r *Report) Member(code string) (*MemberProfile, bool) {
	if r == nil {
		return nil, false
	}
	for i := range r.Members {
		if r.Members[i].Code == code {
			return &r.Members[i], true
		}
	}
	return nil, false
}

// QuestionReport holds the analysis of one question. Exactly one of Scale,
// Choice and TextStats is set, according to Kind.
type QuestionReport struct {
	Number         int            `json:"number"` // Q1, Q2, …: stable questionnaire number
	Key            string         `json:"key"`
	Section        string         `json:"section"`
	Text           string         `json:"text"`
	Kind           Kind           `json:"kind"`
	Points         []string       `json:"points"`
	Options        []string       `json:"options"`
	Coverage       Coverage       `json:"coverage"`
	Classification Classification `json:"classification"` // "" for text questions
	// The consensus signal of scale and choice questions (see BestPoint).
	// BestPoint is the scale point, or the 1-based option number, accepted
	// by the most respondents (0 without responses); Accepting counts them;
	// NotAccepting are the respondents who do not accept it (alphabetical);
	// Holdouts are NotAccepting when there are 1..max(1, ⌊responses/10⌋) of
	// them and fewer than those who accept, else empty (see Holdouts). Both
	// lists are empty, never null, for text questions.
	BestPoint    int      `json:"best_point"`
	Accepting    int      `json:"accepting"`
	NotAccepting []string `json:"not_accepting"`
	Holdouts     []string `json:"holdouts"`
	// Quorate is true when the responses reach Report.Quorum (any kind of
	// question); a classified verdict below it is provisional.
	Quorate     bool `json:"quorate"`
	Provisional bool `json:"provisional"` // classified (not insufficient) but not quorate
	// Verdict is the one sentence that states where the question stands;
	// it never contradicts Classification (see VerdictLine).
	Verdict string       `json:"verdict"`
	Scale   *ScaleStats  `json:"scale,omitempty"`
	Choice  *ChoiceStats `json:"choice,omitempty"`
	// TextStats holds the answers of a text question. (Named TextStats
	// rather than Text because Text is the question's wording.)
	TextStats *TextStats `json:"text_stats,omitempty"`
	Trend     *Trend     `json:"trend,omitempty"` // nil when Input.Previous is nil, not a scale question, or no response in either round
}

// Coverage tells how many members answered a question.
type Coverage struct {
	Responses    int      `json:"responses"`
	MembersTotal int      `json:"members_total"`
	CoveragePct  float64  `json:"coverage_pct"` // 100 · Responses / MembersTotal; 0 without members
	Missing      []string `json:"missing"`      // members without a response
}

// Range is an inclusive range of scale points.
type Range struct {
	Lo int `json:"lo"`
	Hi int `json:"hi"`
}

// ScaleStats holds the statistics of a scale question.
type ScaleStats struct {
	K            int        `json:"k"`
	Counts       []int      `json:"counts"`   // Counts[i] = responses at point i+1
	ByPoint      [][]string `json:"by_point"` // members at point i+1
	Median       float64    `json:"median"`
	Mean         float64    `json:"mean"`
	Q1           float64    `json:"q1"`
	Q3           float64    `json:"q3"`
	IQR          float64    `json:"iqr"`
	Modes        []int      `json:"modes"`
	Cns          float64    `json:"cns"`
	AgreementPct float64    `json:"agreement_pct"` // 0..100
	Outliers     []string   `json:"outliers"`      // reported outliers only (see OutliersReported)
	CommonGround *Range     `json:"common_ground"` // nil when none
	Blocking     *Blocking  `json:"blocking"`      // nil when CommonGround != nil or no responses; else Point = BestPoint, Members = NotAccepting
	RedLines     []RedLine  `json:"red_lines"`
}

// Blocking describes who stands outside when there is no common ground: Point
// is the question's best point and Members its not-accepting members
// (QuestionReport.BestPoint and NotAccepting, kept in this shape for
// compatibility); excluding Members leaves Point acceptable to all others.
type Blocking struct {
	Members []string `json:"members"`
	Point   int      `json:"point"`
}

// RedLine is a member position marked as a red line.
type RedLine struct {
	Member    string `json:"member"`
	Preferred int    `json:"preferred"`
	Side      string `json:"side"` // "below", "at", "above" the median
}

// ChoiceStats holds the statistics of a choice question.
type ChoiceStats struct {
	Options        []OptionCount `json:"options"`         // question's option order
	CommonGround   []int         `json:"common_ground"`   // 1-based numbers of the options every respondent accepts; empty when none
	Plurality      []string      `json:"plurality"`       // ties: all, option order
	PluralityShare float64       `json:"plurality_share"` // 0..1
}

// OptionCount is the support for one option of a choice question.
type OptionCount struct {
	Option  string   `json:"option"`
	Count   int      `json:"count"`
	Share   float64  `json:"share"` // 0..1
	Members []string `json:"members"`
	// Accepting counts the respondents who accept this option (chose it or
	// marked it acceptable).
	Accepting int `json:"accepting"`
}

// TextStats holds the answers to a text question, in roster order.
type TextStats struct {
	Answers []TextAnswer `json:"answers"`
}

// TextAnswer is one member's answer to a text question.
type TextAnswer struct {
	Member string `json:"member"`
	Answer string `json:"answer"`
}

// Trend compares a scale or choice question with the previous round
// (Input.Previous). It is nil when there is no previous round or the
// question has no response in one of the two rounds.
type Trend struct {
	PreviousResponses int `json:"previous_responses"`
	// Scale only: the previous round's figures and the changes (now −
	// previous).
	CnsDelta       float64 `json:"cns_delta"`
	MedianDelta    float64 `json:"median_delta"`
	IQRDelta       float64 `json:"iqr_delta"`
	PreviousCns    float64 `json:"previous_cns"`
	PreviousMedian float64 `json:"previous_median"`
	PreviousIQR    float64 `json:"previous_iqr"`
	// Choice only: the previous round's plurality share (0..1).
	PreviousPluralityShare float64 `json:"previous_plurality_share"`

	PreviousClassification Classification `json:"previous_classification"`
	ClassificationChanged  bool           `json:"classification_changed"`
	// The previous round's common ground: a range (scale) or option
	// numbers (choice); CommonGroundChanged compares it with this round's.
	PreviousCommonGround  *Range `json:"previous_common_ground"`
	PreviousCommonOptions []int  `json:"previous_common_options,omitempty"`
	CommonGroundChanged   bool   `json:"common_ground_changed"`

	// Both counts the members who answered in both rounds, Unchanged those
	// of them whose answer did not change; UnchangedPct = 100 · Unchanged /
	// Both. Stable applies the stop rule (IsStable); Convergence names the
	// change of agreement (ConvergenceOf).
	Both         int     `json:"both"`
	Unchanged    int     `json:"unchanged"`
	UnchangedPct float64 `json:"unchanged_pct"`
	Stable       bool    `json:"stable"`
	Convergence  string  `json:"convergence"`
	// Movement (scale only): every member who answered in both rounds,
	// alphabetical.
	Movement []Movement `json:"movement"`
}

// Movement is how one member's position on a scale question changed
// between two rounds. Direction is relative to the previous round's median
// (see Direction).
type Movement struct {
	Member       string `json:"member"`
	Before       int    `json:"before"`
	After        int    `json:"after"`
	Shift        int    `json:"shift"` // After − Before
	Direction    string `json:"direction"`
	AcceptBefore Range  `json:"accept_before"`
	AcceptAfter  Range  `json:"accept_after"`
}

// MemberMovement sums up how a member moved between two rounds over the
// scale questions it answered in both.
type MemberMovement struct {
	Questions int     `json:"questions"`  // scale questions answered in both rounds
	Changed   int     `json:"changed"`    // of them, with another preferred point
	Toward    int     `json:"toward"`     // moved toward the previous median
	Away      int     `json:"away"`       // moved away from it
	MeanShift float64 `json:"mean_shift"` // mean |shift|/(k−1), 0..1
}

// BlocMovement sums up how the members of an opinion bloc moved between two
// rounds (scale questions answered in both).
type BlocMovement struct {
	Members   int     `json:"members"`    // members of the bloc with at least one such question
	Toward    int     `json:"toward"`     // answers that moved toward the previous median
	Away      int     `json:"away"`       // … away from it
	Unchanged int     `json:"unchanged"`  // … kept their distance to it
	MeanShift float64 `json:"mean_shift"` // mean |shift|/(k−1) over those answers
}

// MemberProfile summarises one member across the consultation.
type MemberProfile struct {
	Code          string  `json:"code"`
	Name          string  `json:"name"`
	Answered      int     `json:"answered"` // all kinds
	ScaleAnswered int     `json:"scale_answered"`
	MeanDistance  float64 `json:"mean_distance"`  // mean |preferred − median|/(k−1); 0 if none
	OutlierCount  int     `json:"outlier_count"`  // questions where the member is a reported outlier
	BlockingCount int     `json:"blocking_count"` // questions where the member does not accept the best point (scale and choice)
	HoldoutCount  int     `json:"holdout_count"`  // questions where the member is a holdout
	Bloc          int     `json:"bloc"`           // 1..n, 0 = not placed (no scale answers)
	// Movement since the previous round; nil without a previous round.
	Movement  *MemberMovement  `json:"movement,omitempty"`
	Positions []MemberPosition `json:"positions"` // scale questions answered, question order
}

// MemberPosition is a member's position on one scale question relative to
// the median.
type MemberPosition struct {
	QuestionKey string  `json:"question_key"`
	Preferred   int     `json:"preferred"`
	Median      float64 `json:"median"`
	Deviation   float64 `json:"deviation"` // signed (preferred − median)/(k−1), in [-1, 1]
	Outlier     bool    `json:"outlier"`   // a reported outlier (see OutliersReported)
	Blocking    bool    `json:"blocking"`  // does not accept the best point
	Holdout     bool    `json:"holdout"`   // one of the question's holdouts
	RedLine     bool    `json:"red_line"`
}

// PairSimilarity is the similarity of two members over the scale questions
// both answered. A < B; pairs with Common == 0 are omitted.
type PairSimilarity struct {
	A          string  `json:"a"`
	B          string  `json:"b"`
	Common     int     `json:"common"`
	Similarity float64 `json:"similarity"`
}

// OpinionMap places members on a 2-D map of opinions and groups them in
// blocs.
type OpinionMap struct {
	Points     []MapPoint `json:"points"` // roster order, members with >= 1 scale answer
	Blocs      []Bloc     `json:"blocs"`
	Explained  [2]float64 `json:"explained"`  // share of variance of PC1, PC2: λ₁/Σλ, λ₂/Σλ
	Silhouette float64    `json:"silhouette"` // mean silhouette (Rousseeuw 1987) of the blocs; 0 for a single bloc
}

// MapPoint is a member's place on the opinion map.
type MapPoint struct {
	Member string  `json:"member"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Bloc   int     `json:"bloc"`
}

// Bloc is a group of members with similar positions.
type Bloc struct {
	ID          int            `json:"id"`
	Members     []string       `json:"members"`
	Distinctive []BlocQuestion `json:"distinctive"` // top 3 by |Diff|
	// Movement since the previous round; nil without a previous round.
	Movement *BlocMovement `json:"movement,omitempty"`
}

// BlocQuestion tells how a bloc differs from the other placed members on a
// question (means on the 0..1 scaled values).
type BlocQuestion struct {
	QuestionKey string  `json:"question_key"`
	BlocMean    float64 `json:"bloc_mean"`
	RestMean    float64 `json:"rest_mean"`
	Diff        float64 `json:"diff"` // BlocMean − RestMean
}
