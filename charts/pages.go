package charts

import (
	"fmt"
	"net/url"
	"strconv"
)

// Large consultations are shown a page at a time: the overview's ranking
// by pages of [RankPageSize] questions (most divided first, across pages),
// the members' answers by pages of [RankPageSize] questions in
// questionnaire order, and the grids (heatmap, coverage) by pages of
// [GridColumns] questions. A report of up to a page shows no pager and is
// the same as before pages existed.

// RankPageSize is the number of questions on a page of the overview's
// ranking and of a member's answers.
const RankPageSize = 50

// gridCells is the number of cells a page of a grid (members × questions)
// aims at: 32 members × 50 questions fit on one page; a larger roster
// gets fewer questions per page.
const gridCells = 1600

// GridColumns is the number of questions per page of a members ×
// questions grid: as many as keep the page near 1,600 cells, from 10 to
// 50.
func GridColumns(members int) int {
	if members <= 0 {
		return RankPageSize
	}
	return min(max(gridCells/members, 10), RankPageSize)
}

// Pager is one page of a list of Total items shown Size at a time: the
// items From (inclusive) to To (exclusive), 0-based, of page Page (1 …
// Pages).
type Pager struct {
	Page, Pages, Size, Total int
	From, To                 int
	// Links lead to every page, in order; empty when there is one page.
	Links []PageLink
	// Prev and Next are the addresses of the neighbouring pages ("" at
	// either end).
	Prev, Next string
}

// PageLink is one entry of a pager: the page's number, the questions it
// shows ("Q1–Q50" or "1–50") and its address.
type PageLink struct {
	Page    int
	Label   string
	Href    string
	Current bool
}

// NewPager returns page `page` of total items shown size at a time; a page
// before the first is the first, one after the last the last. label names
// the items of a page from its 0-based bounds (nil: "1–50"); base is the
// page's address and query its query parameters, to which page=N is added
// (page 1 leaves it out, so that the first page keeps its address).
func NewPager(total, size, page int, label func(from, to int) string, base string, query url.Values) Pager {
	size = max(size, 1)
	p := Pager{Size: size, Total: total, Pages: max((total+size-1)/size, 1)}
	p.Page = min(max(page, 1), p.Pages)
	p.From = min((p.Page-1)*size, total)
	p.To = min(p.From+size, total)
	if label == nil {
		label = func(from, to int) string { return fmt.Sprintf("%d–%d", from+1, to) }
	}
	if p.Pages <= 1 {
		return p
	}
	href := func(n int) string {
		q := url.Values{}
		for k, v := range query {
			if k != "page" {
				q[k] = v
			}
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	for n := 1; n <= p.Pages; n++ {
		from := (n - 1) * size
		p.Links = append(p.Links, PageLink{Page: n, Label: label(from, min(from+size, total)), Href: href(n), Current: n == p.Page})
	}
	if p.Page > 1 {
		p.Prev = href(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = href(p.Page + 1)
	}
	return p
}

// Paged reports whether there is more than one page.
func (p Pager) Paged() bool { return p.Pages > 1 }

// ParsePage reads a page number as given in an address (?page=N): a whole
// number from 1; anything else is page 1. A number past the last page is
// brought back by [NewPager].
func ParsePage(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return n
}
