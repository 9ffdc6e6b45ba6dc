package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/charts"
	"concord/consensus"
	"concord/handlers/api"
	"concord/models"
)

// The divergence report: where the members agree and diverge on one
// round of a consultation — the current one, or the one named by
// ?round=N. Facilitators and observers only (the pages carry attributed
// positions and rationales). Every figure comes from consensus.Analyze;
// the charts package lays it out. From the second round on, the analysis
// compares the round with the one before it (the trend and movement).

// report is a consultation with one analysed round.
type report struct {
	cons     *models.Consultation
	round    int
	picked   bool // the round was named in the address (?round=N)
	analysis *models.Analysis
	rep      *consensus.Report
	cached   *analysed // the cache's entry: positions by question and member, coverage
}

// reportRound reads the optional ?round=N of a report: 1 up to the
// consultation's current round, which is the default. picked tells
// whether the address named a round. An unreadable or unknown round is
// an error message for a 404 page.
func reportRound(c *gin.Context, cons *models.Consultation) (round int, picked bool, msg string) {
	v, ok := c.GetQuery("round")
	if !ok {
		return cons.Round, false, ""
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > cons.Round {
		if cons.Round <= 1 {
			return 0, true, "This consultation is in its first round; there is no other round to show. Leave out ?round= to see the report."
		}
		if len(v) > 12 {
			v = v[:12] + "…"
		}
		return 0, true, fmt.Sprintf("This consultation has rounds 1 to %d; there is no round %q. Choose a round from the report's round selector.", cons.Round, v)
	}
	return n, true, ""
}

// loadReport loads and analyses the selected round of the consultation
// named in the URL, answering 404 or 500 itself when it cannot.
func (h *Handler) loadReport(c *gin.Context) (*report, bool) {
	cons, ok := h.consultation(c)
	if !ok {
		return nil, false
	}
	round, picked, msg := reportRound(c, cons)
	if msg != "" {
		h.errorPage(c, http.StatusNotFound, msg)
		return nil, false
	}
	a, err := h.reports.analyse(c.Request.Context(), h.store, cons, round)
	if err != nil {
		h.fail(c, fmt.Errorf("load analysis of consultation %s round %d: %w", cons.Key, round, err))
		return nil, false
	}
	return &report{cons: cons, round: round, picked: picked, analysis: a.analysis, rep: a.rep, cached: a}, true
}

// analysedReport returns the analysis of a round of a consultation from
// the report cache (for the JSON API, which shares it).
func (h *Handler) analysedReport(ctx context.Context, cons *models.Consultation, round int) (*consensus.Report, error) {
	a, err := h.reports.analyse(ctx, h.store, cons, round)
	if err != nil {
		return nil, fmt.Errorf("load analysis of consultation %s round %d: %w", cons.Key, round, err)
	}
	return a.rep, nil
}

// page reads the ?page=N of a paged report page (1 when absent).
func page(c *gin.Context) int { return charts.ParsePage(c.Query("page")) }

// roundLink is one entry of a report page's round selector.
type roundLink struct {
	Round    int
	Href     string // this page in that round
	Current  bool   // the consultation's current round
	Selected bool   // the round this page shows
}

// roundLinks lists every round of the consultation for the round
// selector: the same page (with the same other query parameters) in each
// round.
func roundLinks(c *gin.Context, r *report) []roundLink {
	links := make([]roundLink, 0, r.cons.Round)
	for n := 1; n <= r.cons.Round; n++ {
		q := c.Request.URL.Query()
		q.Set("round", strconv.Itoa(n))
		links = append(links, roundLink{Round: n, Href: c.Request.URL.Path + "?" + q.Encode(), Current: n == r.cons.Round, Selected: n == r.round})
	}
	return links
}

// reportPage renders one report page; tab marks the sub-navigation entry,
// kicker (may be empty) is shown above the heading. Round is the round
// shown; RQ ("?round=N", or "" when the address named no round) keeps
// the round in every link between report pages.
func (h *Handler) reportPage(c *gin.Context, r *report, page, tab, title, kicker string, v any) {
	rq := ""
	if r.picked {
		rq = "?round=" + strconv.Itoa(r.round)
	}
	docTitle := title + " — " + r.cons.Title
	if r.round != r.cons.Round {
		docTitle = fmt.Sprintf("%s — round %d — %s", title, r.round, r.cons.Title)
	}
	h.page(c, http.StatusOK, page, docTitle, gin.H{
		"Consultation": r.cons, "Tab": tab, "Heading": title, "Kicker": kicker, "Now": h.store.Now(),
		"Responding": charts.Responding(r.rep), "Total": r.rep.MembersTotal, "V": v,
		"Round": r.round, "PrevRound": r.round - 1, "Rounds": roundLinks(c, r), "RQ": rq, "RoundParam": roundParam(r),
	})
}

// roundParam is the round to carry in links that have other query
// parameters (0 when the address named no round).
func roundParam(r *report) int {
	if r.picked {
		return r.round
	}
	return 0
}

func (h *Handler) reportOverview(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	v := charts.NewOverviewPage(r.rep, page(c), charts.RankPageSize, c.Request.URL.Path, c.Request.URL.Query())
	h.reportPage(c, r, "report_overview", "overview", "Divergence report", "", v)
}

func (h *Handler) reportQuestion(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	key := c.Param("qkey")
	statusQuo := 0
	if r.analysis.Questionnaire != nil {
		for _, q := range r.analysis.Questionnaire.Questions {
			if q.Key == key {
				statusQuo = q.StatusQuo
			}
		}
	}
	v, ok := charts.NewQuestionView(r.rep, key, r.cached.questionPositions(key), statusQuo)
	if !ok {
		h.errorPage(c, http.StatusNotFound, "This consultation has no question with that key. It may have been removed, or the address may be mistyped.")
		return
	}
	// The question's own words are the heading; its stable number leads.
	h.reportPage(c, r, "report_question", "overview", v.Q.Text, fmt.Sprintf("Q%d", v.Number), v)
}

func (h *Handler) reportHeatmap(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	v := charts.NewHeatmapPage(r.rep, c.Query("sort"), page(c), charts.GridColumns(len(r.rep.Members)), c.Request.URL.Path, c.Request.URL.Query())
	h.reportPage(c, r, "report_heatmap", "heatmap", "Heatmap of positions", "", v)
}

func (h *Handler) reportMap(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	h.reportPage(c, r, "report_map", "map", "Opinion map", "", charts.NewMapView(r.rep))
}

func (h *Handler) reportMember(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	code := strings.ToUpper(strings.TrimSpace(c.Param("code")))
	v, ok := charts.NewMemberViewPage(r.rep, code, r.cached.memberPositions(code), page(c), charts.RankPageSize, c.Request.URL.Path, c.Request.URL.Query())
	if !ok {
		h.errorPage(c, http.StatusNotFound, "There is no member with that code. Member codes are three letters, such as EST.")
		return
	}
	h.reportPage(c, r, "report_member", "members", v.Member.Name, "", v)
}

// reportGlossary explains every term of the report, with this
// consultation's thresholds and quorum.
func (h *Handler) reportGlossary(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	h.reportPage(c, r, "report_glossary", "glossary", "Glossary", "", charts.Glossary(r.rep.Thresholds, r.rep.Quorum, r.rep.MembersTotal))
}

// printCSS answers the consultation's print stylesheet: the margin boxes
// of every printed page carry the consultation's title, its classification
// marking (Consultation.Marking, such as "Restricted"; nothing when empty)
// and the page number. A stylesheet served from this origin rather than an
// inline style, so the content security policy stays strict; the values
// are CSS strings, escaped by cssString.
func (h *Handler) printCSS(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(printStyles(cons.Title, cons.Marking)))
}

// printStyles is the @page rule of a consultation's printed pages.
func printStyles(title, marking string) string {
	var b strings.Builder
	b.WriteString("/* Printed pages: title, marking and page numbers in the page margins. */\n@media print {\n  @page {\n")
	fmt.Fprintf(&b, "    @top-left { content: %s; font: 8pt sans-serif; color: #333; }\n", cssString(title))
	if m := strings.TrimSpace(marking); m != "" {
		fmt.Fprintf(&b, "    @top-right { content: %s; font: bold 9pt sans-serif; color: #6e1512; text-transform: uppercase; letter-spacing: .08em; }\n", cssString(m))
		fmt.Fprintf(&b, "    @bottom-left { content: %s; font: bold 9pt sans-serif; color: #6e1512; text-transform: uppercase; letter-spacing: .08em; }\n", cssString(m))
	}
	b.WriteString(`    @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #333; }` + "\n  }\n}\n")
	return b.String()
}

// cssString quotes s as a CSS string: quotes, backslashes and control
// characters become escapes, so no value can end the string or the rule.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r < 0x20 || r == 0x7f || r == '<' || r == '>':
			fmt.Fprintf(&b, "\\%x ", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// reportJSON answers the full report of the current round, or of
// ?round=N, as JSON, for further analysis. Like
// the export files, every download is recorded in the audit log.
func (h *Handler) reportJSON(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	ctx := c.Request.Context()
	cons, err := h.store.ConsultationByKey(ctx, c.Param("key"))
	if errors.Is(err, models.ErrNotFound) {
		c.JSON(http.StatusNotFound, gin.H{"error": "There is no consultation with this key."})
		return
	}
	if err != nil {
		h.log.Error("request failed", "route", c.FullPath(), "err", err)
		c.JSON(http.StatusInternalServerError, gin.H{"error": "Something went wrong on our side; please try again."})
		return
	}
	round, _, msg := reportRound(c, cons)
	if msg != "" {
		c.JSON(http.StatusNotFound, gin.H{"error": msg})
		return
	}
	rep, err := h.analysedReport(ctx, cons, round)
	if err != nil {
		h.log.Error("request failed", "route", c.FullPath(), "err", err)
		c.JSON(http.StatusInternalServerError, gin.H{"error": "Something went wrong on our side; please try again."})
		return
	}
	// The audit names the round downloaded, which may be an earlier one.
	h.recordRoundDownload(c, cons, "report.json", round, false)
	if err := api.StreamJSON(c, rep); err != nil {
		h.log.Error("report.json cut short", "route", c.FullPath(), "err", err)
	}
}
