package handlers

import (
	"strings"

	"concord/models"
)

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
