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

// reportPage renders one report page; tab marks the sub-navigation entry.
func (h *Handler) reportPage(c *gin.Context, r *report, page, tab, title string, v any) {
	h.page(c, http.StatusOK, page, title+" — "+r.cons.Title, gin.H{
		"Consultation": r.cons, "Tab": tab, "Heading": title, "Now": h.store.Now(),
		"Responding": charts.Responding(r.rep), "Total": r.rep.MembersTotal, "V": v,
	})
}

func (h *Handler) reportOverview(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	h.reportPage(c, r, "report_overview", "overview", "Divergence report", charts.NewOverview(r.rep))
}

func (h *Handler) reportQuestion(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	v, ok := charts.NewQuestionView(r.rep, c.Param("qkey"), r.analysis.Input.Positions)
	if !ok {
		h.errorPage(c, http.StatusNotFound, "This consultation has no question with that key. It may have been removed, or the address may be mistyped.")
		return
	}
	h.reportPage(c, r, "report_question", "overview", fmt.Sprintf("Question %d of %d", v.Number, v.Count), v)
}

func (h *Handler) reportHeatmap(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	h.reportPage(c, r, "report_heatmap", "heatmap", "Heatmap of positions", charts.NewHeatmap(r.rep, c.Query("sort")))
}

func (h *Handler) reportMap(c *gin.Context) {
	r, ok := h.loadReport(c)
	if !ok {
		return
	}
	h.reportPage(c, r, "report_map", "map", "Opinion map", charts.NewMapView(r.rep))
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
	h.reportPage(c, r, "report_member", "members", v.Member.Name, v)
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
