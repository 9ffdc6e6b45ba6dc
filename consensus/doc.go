// Package consensus analyses the positions of the members of an alliance on
// the questions of a consultation and shows where they agree and diverge.
//
// The alliance decides by consensus: a single member can block. What matters
// is therefore where all members can meet (the common ground of their
// acceptable ranges), who stands outside, and by how far. The package is pure
// (no I/O, no global state) and uses the standard library only. Its single
// entry point is [Analyze], which turns an [Input] into a [Report]; the report
// is meant to be JSON-encoded and never contains NaN or Inf.
//
// # Scale questions
//
// Answers are points 1..k (k = len(Question.Points)), with an acceptable range
// [AcceptMin, AcceptMax] around the preferred point. For each question:
//
//   - coverage: responses, missing members, coverage in percent;
//   - distribution: counts per point, [Median], [Mean], [Modes], quartiles
//     by Hyndman & Fan type 7 ([Quantile], [Quartiles]; R's default and
//     spreadsheet QUARTILE.INC);
//   - [Cns], the consensus measure of Tastle & Wierman (2007): 1 when all
//     members are on one point, 0 for an even split between the two ends;
//   - [AgreementPct]: share of members within one point of the median;
//   - common ground ([CommonGround]): the points inside every member's
//     acceptable range;
//   - best point p* ([BestPoint]): the point accepted by the most members
//     (ties: closest to the median, then the lower point); Accepting counts
//     them and NotAccepting lists the members whose range excludes p* (with
//     a common ground, p* lies in it and NotAccepting is empty);
//   - holdouts ([Holdouts], [HoldoutLimit]): NotAccepting when it has 1 to
//     max(1, ⌊responses/10⌋) members, and fewer than those who accept;
//     otherwise none — more than that is a split, not a hold-out;
//   - outliers ([IsOutlier], [OutliersReported]): members at least half the
//     scale away from the median, reported only when they are fewer than a
//     quarter of the respondents;
//   - classification ([ClassifyScale]), first match wins: insufficient
//     (fewer than 2 responses), unanimous, consensus (common ground),
//     near consensus (holdouts), broad agreement, polarized, divided;
//   - red lines, and the trend against the previous round when given.
//
// ScaleStats.Blocking keeps the earlier shape of the same signal: when there
// is no common ground, p* and the NotAccepting members.
//
// # Choice questions
//
// Choice questions get counts, shares and members per option and the
// plurality. A respondent's acceptable set is the chosen option plus the
// options named in Position.AcceptOptions (unknown texts ignored). The
// common ground ([ChoiceCommonGround]) is the options every respondent
// accepts; the best option ([BestOption]) is the one accepted by the most
// respondents (ties: chosen by more, then the lower number), and its 1-based
// number is QuestionReport.BestPoint; NotAccepting and Holdouts follow as
// for scale questions. The classification ([ClassifyChoice]) is Concord's
// extension to nominal answers: insufficient, unanimous (all chose one
// option), consensus (common ground), near consensus (holdouts), broad
// agreement (the modal option chosen by at least BroadAgreementPct), divided.
// Options have no order, so a choice question is never polarized.
//
// # Text questions
//
// Text questions list the non-empty answers in roster order and are not
// classified.
//
// # Quorum and verdict
//
// Input.Quorum is the number of responses a verdict needs to speak for the
// alliance ([EffectiveQuorum]: 0 or more than the roster means the whole
// roster). A question is quorate when its responses reach it; a classified
// (not insufficient) scale or choice question below it is provisional: a
// null result, not yet evidence either way, as opposed to a negative result
// (evidence of no consensus), following Flater, "Measuring social
// consensus", NIST, 2024. Every scale and choice question gets one verdict
// sentence ([VerdictLine]) from a template per (classification × common
// ground found or not), which restates the class in words and, when
// provisional, says who has not answered ([MissingPhrase]).
//
// # Across questions
//
// Questions are numbered by Question.Number, or by input position. The
// ranking lists scale and choice questions from most divided to least
// (polarized, divided, broad agreement, near consensus, consensus,
// unanimous, insufficient; within a class by Cns or plurality share
// ascending; ties keep question order). Member profiles give each member's
// distance from the medians, how often the member is a reported outlier,
// does not accept the best point (BlockingCount) or is a holdout
// (HoldoutCount), and a signed deviation per scale question (for a heatmap).
// Pairwise similarity is 1 − mean(|x_a − x_b|/(k − 1)) over the scale
// questions both members answered ([PairScore]).
//
// The opinion map follows Polis: members × scale-questions matrix scaled to
// 0..1, missing answers imputed with the question mean, columns centred,
// first two principal components by power iteration (multiplying by X and
// Xᵀ, never forming XᵀX) with deflation, signs fixed so that the largest
// loading is positive. Blocs are found by k-means (k-means++ start, fixed
// seed, several restarts) for k = 2..min(5, n−1), choosing k by the best mean
// silhouette, and numbered by ascending centroid X. Everything is
// deterministic: the same input gives the same report.
//
// The answers of a text question are in QuestionReport.TextStats (JSON
// "text_stats"); QuestionReport.Text is the question's wording.
package consensus
