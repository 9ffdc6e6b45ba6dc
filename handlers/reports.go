package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/charts"
	"concord/consensus"
	"concord/models"
)

// The divergence report: where the members agree and diverge on the
// current round of a consultation. Facilitators and observers only (the
// pages carry attributed positions and rationales). Every figure comes
// from consensus.Analyze; the charts package lays it out.

// report is a consultation with its analysed current round.
type report struct {
	cons     *models.Consultation
	analysis *models.Analysis
	rep      *consensus.Report
}

// loadReport loads and analyses the current round of the consultation
// named in the URL, answering 404 or 500 itself when it cannot.
func (h *Handler) loadReport(c *gin.Context) (*report, bool) {
	cons, ok := h.consultation(c)
	if !ok {
		return nil, false
	}
	a, err := h.store.LoadAnalysis(c.Request.Context(), cons, cons.Round)
	if err != nil {
		h.fail(c, fmt.Errorf("load analysis of consultation %s round %d: %w", cons.Key, cons.Round, err))
		return nil, false
	}
	return &report{cons: cons, analysis: a, rep: consensus.Analyze(a.Input)}, true
}

// reportPage renders one report page; tab marks the sub-navigation entry,
// kicker (may be empty) is shown above the heading.
func (h *Handler) reportPage(c *gin.Context, r *report, page, tab, title, kicker string, v any) {
	h.page(c, http.StatusOK, page, title+" — "+r.cons.Title, gin.H{
		"Consultation": r.cons, "Tab": tab, "Heading": title, "Kicker": kicker, "Now": h.store.Now(),
		"Responding": charts.Responding(r.rep), "Total": r.rep.MembersTotal, "V": v,
	})
}

func (h *Handler) reportOverview(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	h.reportPage(c, r, "report_overview", "overview", "Divergence report", "", charts.NewOverview(r.rep))
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
	v, ok := charts.NewQuestionView(r.rep, key, r.analysis.Input.Positions, statusQuo)
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
	h.reportPage(c, r, "report_heatmap", "heatmap", "Heatmap of positions", "", charts.NewHeatmap(r.rep, c.Query("sort")))
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
	v, ok := charts.NewMemberView(r.rep, code, r.analysis.Input.Positions)
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

// reportJSON answers the full report as JSON, for further analysis. Like
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
	a, err := h.store.LoadAnalysis(ctx, cons, cons.Round)
	if err != nil {
		h.log.Error("request failed", "route", c.FullPath(), "err", fmt.Errorf("load analysis of consultation %s: %w", cons.Key, err))
		c.JSON(http.StatusInternalServerError, gin.H{"error": "Something went wrong on our side; please try again."})
		return
	}
	h.recordDownload(c, cons, "report.json", false)
	c.JSON(http.StatusOK, consensus.Analyze(a.Input))
}
