package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/charts"
	"concord/models"
)

// coverage shows who has answered what in the current round: the figures
// and the reminder cover every question; the grid shows a page of the
// questions at a time (see charts.GridColumns), every member on each.
// The grid comes from the report cache's analysis of the round, so that a
// view does not read every position again.
func (h *Handler) coverage(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a, err := h.reports.analyse(ctx, h.store, cons, cons.Round)
	if err != nil {
		h.fail(c, err)
		return
	}
	grid := a.coverageGrid()
	d := gin.H{"Consultation": cons, "Grid": grid, "Reminder": buildReminder(grid),
		"Page": coveragePage(grid, charts.ParsePage(c.Query("page")), c.Request.URL.Path, c.Request.URL.Query())}
	if cons.RequireApproval {
		list, err := h.store.ApprovalStatus(ctx, cons)
		if err != nil {
			h.fail(c, err)
			return
		}
		d["Approval"] = approvalByMember(list)
	}
	h.page(c, http.StatusOK, "coverage", "Coverage — "+cons.Title, d)
}

// coverageGridPage is one page of the coverage grid: some of the
// questions, for every member.
type coverageGridPage struct {
	Pager       charts.Pager
	Questions   []models.Question
	Rows        []models.CoverageRow // Answered holds the page's questions only; Count covers all
	PerQuestion []int
}

// coveragePage cuts page `page` out of the grid: as many questions as
// charts.GridColumns gives for the roster.
func coveragePage(g models.CoverageGrid, page int, base string, query url.Values) coverageGridPage {
	qs := g.Questions
	pager := charts.NewPager(len(qs), charts.GridColumns(len(g.Rows)), page, func(from, to int) string {
		return "Q" + strconv.Itoa(qs[from].Number) + "–Q" + strconv.Itoa(qs[to-1].Number)
	}, base, query)
	p := coverageGridPage{Pager: pager, Questions: qs[pager.From:pager.To], PerQuestion: g.PerQuestion[pager.From:pager.To],
		Rows: make([]models.CoverageRow, len(g.Rows))}
	for i, row := range g.Rows {
		row.Answered = row.Answered[pager.From:pager.To]
		p.Rows[i] = row
	}
	return p
}

// reminder is the list of members still missing answers on the coverage
// page, ready to paste into a reminder: one "CODE Name" per line, in
// roster order.
type reminder struct {
	Members []reminderMember
	Text    string
}

type reminderMember struct {
	Member  models.Member
	Missing int // questions not answered
}

// buildReminder lists the members of a coverage grid who have not answered
// every question (a withdrawn answer counts as not answered: the grid is
// built from the current positions, which skip withdrawn revisions).
func buildReminder(g models.CoverageGrid) reminder {
	var r reminder
	var b strings.Builder
	for _, row := range g.Rows {
		if missing := len(g.Questions) - row.Count; missing > 0 {
			r.Members = append(r.Members, reminderMember{Member: row.Member, Missing: missing})
			b.WriteString(row.Member.Code + " " + row.Member.Name + "\n")
		}
	}
	r.Text = b.String()
	return r
}

// approvalSummary is where the members stand with national approval, for
// the coverage page: each member's status by member code, and how many
// members are in each status.
type approvalSummary struct {
	ByMember map[string]models.MemberApproval
	// Members per status.
	Approved, Awaiting, Returned, NotStarted int
}

// approvalByMember keys the members' approval statuses by member code and
// counts them per status.
func approvalByMember(list []models.MemberApproval) approvalSummary {
	out := approvalSummary{ByMember: make(map[string]models.MemberApproval, len(list))}
	for _, a := range list {
		out.ByMember[a.Member.Code] = a
		switch a.Status {
		case models.ApprovalApproved:
			out.Approved++
		case models.ApprovalAwaiting:
			out.Awaiting++
		case models.ApprovalReturned:
			out.Returned++
		default:
			out.NotStarted++
		}
	}
	return out
}
