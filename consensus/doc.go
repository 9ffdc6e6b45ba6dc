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
//   - outliers ([IsOutlier]): members at least half the scale away from the
//     median;
//   - common ground ([CommonGround]): the points inside every member's
//     acceptable range;
//   - blocking ([BlockingPoint]): without common ground, the point accepted
//     by the most members and the members who do not accept it — the
//     smallest set whose exclusion leaves a point acceptable to all others
//     ("consensus minus N");
//   - classification ([ClassifyScale]): insufficient, unanimous, consensus,
//     broad agreement, polarized or divided;
//   - red lines, and the trend against the previous round when given.
//
// # Choice and text questions
//
// Choice questions get counts, shares and members per option and the
// plurality. Their classification ([ClassifyChoice]) is Concord's own
// extension of the scale classification to nominal answers: fewer than two
// responses → insufficient; all on one option → unanimous; plurality share
// at least BroadAgreementPct/100 → broad agreement; otherwise divided.
// Text questions list the non-empty answers in roster order and are not
// classified.
//
// # Across questions
//
// The ranking lists scale and choice questions from most divided to least
// (by class, then by Cns or plurality share). Member profiles give each
// member's distance from the medians, outlier and blocking counts and a
// signed deviation per question (for a heatmap). Pairwise similarity is
// 1 − mean(|x_a − x_b|/(k − 1)) over the scale questions both members
// answered ([PairScore]).
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
