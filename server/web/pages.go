package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/tools"
)

// Glance states.
const (
	stateInactive = "inactive" // the project was never activated
	statePending  = "pending"  // the issue is not analysed yet
	stateAnalysed = "analysed"
)

type glancePageView struct {
	pageMeta
	IssueKey   string
	ProjectKey string
	Panel      panelView
}

// panelView is the glance's content; the page renders it server-side and
// /api/issues/:issue/panel renders it again after an action.
type panelView struct {
	State      string
	IssueKey   string
	ProjectKey string
	Scan       *backlog.Progress
	ScanPct    int
	JiraURL    string
	A          *analysisView
	// Version is the stored analysis's version; the glance polls for a
	// newer one.
	Version string
}

type analysisView struct {
	Summary       string
	Score         int
	Moscow        string
	Computed      string
	Override      *overrideView
	Quality       int
	Pillars       []pillarView
	UrgencyBonus  string
	Urgency       []evidenceView
	WhyNow        string
	WhyThis       string
	WhyUs         string
	ClassBasis    string // why the computed class ("In the top 15 % of this backlog …")
	Letters       []letterView
	Other         []findingView // findings outside INVEST
	JudgedAsStory bool
	Duplicates    []duplicateView
	Estimate      estimateView
	Flags         []string
	// Framework explains the score under RICE, WSJF, ICE or custom
	// criteria (nil with the five pillars).
	Framework *frameworkView

	// KnownDuplicates are the issues already linked as duplicates: never
	// proposed again, shown with whether their work is already done.
	KnownDuplicates []duplicateView

	// IsStory: only stories are offered Split (bugs, tasks, epics and
	// sub-tasks are not split into stories).
	IsStory bool
	// Done: the issue is resolved; it shows doneClass and no class basis
	// or improve/split actions.
	Done bool
}

type overrideView struct {
	Moscow    string
	Reason    string
	AccountID string
	At        string
}

type pillarView struct {
	Name     string
	Title    string
	Value    string
	Pct      int
	Weight   string
	Share    int // weight share in percent
	Evidence []evidenceView
}

type evidenceView struct {
	Detail string
	Delta  string
	Sign   string // "up", "down", ""
}

type letterView struct {
	Letter   string
	Name     string
	State    string // pass, warn, fail, na
	Findings []findingView
}

type findingView struct {
	Code     string
	Severity string
	Message  string
	Fix      string
	Source   string
	Hint     bool // a note that claims no defect
	Excerpt  *excerpt
	// Question is what the PM answers to fix the finding (nil: none).
	Question *generate.Question
}

type duplicateView struct {
	Key         string
	Summary     string
	Similarity  int
	SharedTerms []string
	Near        bool
	Band        string // "likely duplicate", "related" or ""
	Done        bool   // the other issue is resolved: already done
	Linked      bool
}

type estimateView struct {
	Method     string
	Points     string // the suggestion; empty unless Method is "neighbours"
	Low, High  string // its 80 % interval
	Coverage   int    // the share the interval held on the team's history
	Confidence int
	Level      string
	Reason     string // why there is no number ("insufficient")
	Own        string // the issue's own story points, if any
	Neighbours []neighbourView
}

type neighbourView struct {
	Key        string
	Summary    string
	Points     string
	Similarity int
}

// investNames are the INVEST letters in order with their names.
var investNames = [6][2]string{
	{"I", "Independent"}, {"N", "Negotiable"}, {"V", "Valuable"}, {"E", "Estimable"}, {"S", "Small"}, {"T", "Testable"},
}

func (u *ui) glancePage(c echo.Context) error {
	issueKey, projectKey := c.QueryParam("issueKey"), c.QueryParam("projectKey")
	if !validKey(issueKey) || !strings.Contains(issueKey, "-") {
		return BadRequest("This page needs a valid issueKey.")
	}
	if projectKey == "" {
		projectKey = projectOfIssue(issueKey)
	}
	if !validKey(projectKey) || projectOfIssue(issueKey) != projectKey {
		return BadRequest("The issue does not belong to that project.")
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	ts := u.s.Store.Tenant(t)
	// The page depends only on the stored analysis (and the tenant's URL).
	// While the tenant's data version has not moved, the page in memory is
	// current: no database read. The version is read before anything else
	// so that a page is never recorded as newer than what it shows.
	now := u.s.Now()
	cacheKey := strconv.FormatInt(t.ID, 10) + "|" + projectKey + "|" + issueKey + "|" + t.DisplayURLOrBase()
	dv, dvErr := ts.DataVersion(ctx)
	if dvErr == nil {
		if page, hit := u.pages.fresh(cacheKey, dv, now); hit {
			return c.HTMLBlob(http.StatusOK, page)
		}
	}
	// Something of the tenant changed: the issue's own version decides.
	ver, active, ok, err := ts.ResultVersion(ctx, issueKey)
	cacheable := err == nil && ok && active
	if cacheable {
		if page, hit := u.pages.revalidate(cacheKey, ver, dv, dvErr == nil, now); hit {
			return c.HTMLBlob(http.StatusOK, page)
		}
	}
	p, err := u.panelFor(ctx, t, projectKey, issueKey)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := u.assets.Render(&buf, "glance.html", glancePageView{pageMeta: u.meta("BacklogAI · "+issueKey, "glance.js"),
		IssueKey: issueKey, ProjectKey: projectKey, Panel: p}); err != nil {
		return err
	}
	// The panel read the version again: the page is cached only as what
	// it shows.
	if cacheable && p.State == stateAnalysed && p.Version == ver {
		u.pages.put(cacheKey, &cachedPage{page: bytes.Clone(buf.Bytes()), issue: ver, data: dv, checked: dvErr == nil, at: now})
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// panelFor reads what the glance shows for one issue.
func (u *ui) panelFor(ctx context.Context, t *domain.Tenant, projectKey, issueKey string) (panelView, error) {
	pv := panelView{State: stateInactive, IssueKey: issueKey, ProjectKey: projectKey, JiraURL: t.DisplayURLOrBase()}
	ts := u.s.Store.Tenant(t)
	p, err := ts.Project(ctx, projectKey)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return pv, err
	}
	if p == nil || !p.Active {
		return pv, nil
	}
	// The version is read first: should the analysis change in between,
	// the glance sees a newer version and renders once more.
	if ver, _, ok, err := ts.ResultVersion(ctx, issueKey); err != nil {
		return pv, err
	} else if ok {
		pv.Version = ver
	}
	r, err := ts.Result(ctx, issueKey)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return pv, err
	}
	if r == nil || r.Analysis == nil {
		pv.State = statePending
		if pv.Scan = u.progress(ctx, t, projectKey); pv.Scan != nil && pv.Scan.Total > 0 {
			pv.ScanPct = min(100, (pv.Scan.Done+pv.Scan.Written)*100/(3*pv.Scan.Total))
		}
		return pv, nil
	}
	pv.State = stateAnalysed
	pv.A = analysisViewOf(&r.Issue, r.Analysis)
	return pv, nil
}

func analysisViewOf(is *domain.Issue, a *domain.Analysis) *analysisView {
	v := &analysisView{Summary: is.Summary, Score: int(math.Floor(a.Score.Total)), Moscow: string(a.Score.Moscow),
		Computed: string(a.Score.Computed), Quality: a.Check.Quality, WhyNow: a.Score.WhyNow, WhyThis: a.Score.WhyThis,
		WhyUs: a.Score.WhyUs, ClassBasis: a.Score.ClassBasis, JudgedAsStory: a.Check.JudgedAsStory, Flags: a.Flags,
		IsStory: is.Type == domain.TypeStory}
	v.Framework = frameworkViewOf(a.Score.Framework)
	if !is.Open() {
		v.Done, v.Moscow, v.ClassBasis = true, doneClass, "Resolved: done issues are not ranked."
	}
	if o := a.Score.Override; o != nil {
		v.Override = &overrideView{Moscow: string(o.Moscow), Reason: o.Reason, AccountID: o.AccountID}
		if !o.At.IsZero() {
			v.Override.At = o.At.UTC().Format("2 Jan 2006")
		}
	}
	var sumW float64
	for _, p := range a.Score.Pillars {
		sumW += max(p.Weight, 0)
	}
	for _, n := range domain.Pillars {
		pv := pillarView{Name: string(n), Title: score.PillarTitle(n), Value: "–"}
		for _, p := range a.Score.Pillars {
			if p.Name != n {
				continue
			}
			pv.Value = fmtNum(p.Value)
			pv.Pct = int(math.Round(math.Max(0, math.Min(10, p.Value)) * 10))
			pv.Weight = fmtNum(p.Weight)
			if sumW > 0 {
				pv.Share = int(math.Round(100 * max(p.Weight, 0) / sumW))
			}
			for _, e := range p.Evidence {
				pv.Evidence = append(pv.Evidence, evidenceOf(e))
			}
		}
		v.Pillars = append(v.Pillars, pv)
	}
	if a.Score.UrgencyBonus != 0 {
		v.UrgencyBonus = signedNum(a.Score.UrgencyBonus)
	}
	for _, e := range a.Score.Urgency {
		v.Urgency = append(v.Urgency, evidenceOf(e))
	}
	byLetter := map[string][]findingView{}
	for _, f := range a.Check.Findings {
		fv := findingView{Code: f.Code, Severity: string(f.Severity), Message: f.Message, Fix: f.Fix, Source: f.Source, Hint: f.Hint}
		if q, ok := generate.QuestionFor(f, a.Check.Story, is.Summary, is.Description); ok && q.Answerable {
			fv.Question = &q
		}
		if f.Span != nil {
			text := is.Summary
			if f.Span.Field == domain.FieldDescription {
				text = is.Description
			}
			fv.Excerpt = excerptOf(text, string(f.Span.Field), f.Span.Start, f.Span.End)
		}
		if f.Letter == "" {
			v.Other = append(v.Other, fv)
		} else {
			byLetter[f.Letter] = append(byLetter[f.Letter], fv)
		}
	}
	for _, l := range investNames {
		st := a.Check.Letters[l[0]]
		if st == "" {
			st = "pass"
		}
		v.Letters = append(v.Letters, letterView{Letter: l[0], Name: l[1], State: st, Findings: byLetter[l[0]]})
	}
	linked := map[string]bool{}
	for _, l := range is.Links {
		if l.Kind == domain.LinkDuplicates || l.Kind == domain.LinkDuplicatedBy {
			linked[l.OtherKey] = true
			v.KnownDuplicates = append(v.KnownDuplicates, duplicateView{Key: l.OtherKey, Summary: l.OtherTitle, Done: l.OtherDone, Linked: true})
		}
	}
	for _, d := range a.Duplicates {
		if d.Band == "" || linked[d.Key] {
			continue // below the related band (an older result), or already listed as linked
		}
		v.Duplicates = append(v.Duplicates, duplicateView{Key: d.Key, Summary: d.Summary, Similarity: int(math.Round(d.Similarity * 100)),
			SharedTerms: d.SharedTerms, Near: d.Near, Band: d.Band, Done: d.Done, Linked: linked[d.Key]})
	}
	e := a.Estimate
	v.Estimate = estimateView{Method: e.Method, Confidence: int(math.Round(e.Confidence * 100)), Level: e.Level,
		Reason: e.Reason, Coverage: int(math.Round(e.Coverage * 100))}
	if e.Method == "neighbours" {
		v.Estimate.Points, v.Estimate.Low, v.Estimate.High = fmtNum(e.Points), fmtNum(e.Low), fmtNum(e.High)
	}
	if is.StoryPoints != nil {
		v.Estimate.Own = fmtNum(*is.StoryPoints)
	}
	for _, n := range e.Neighbours {
		v.Estimate.Neighbours = append(v.Estimate.Neighbours, neighbourView{Key: n.Key, Summary: n.Summary, Points: fmtNum(n.Points),
			Similarity: int(math.Round(n.Similarity * 100))})
	}
	return v
}

func evidenceOf(e domain.Evidence) evidenceView {
	ev := evidenceView{Detail: e.Detail, Delta: signedNum(e.Delta)}
	if ev.Detail == "" {
		ev.Detail = e.Signal
	}
	switch {
	case e.Delta > 0:
		ev.Sign = "up"
	case e.Delta < 0:
		ev.Sign = "down"
	}
	return ev
}

// fmtNum prints at most one decimal, without a trailing ".0".
func fmtNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func signedNum(v float64) string {
	s := fmtNum(v)
	if v > 0 {
		return "+" + s
	}
	if v < 0 {
		return "−" + strings.TrimPrefix(s, "-")
	}
	return s
}

// excerpt is text around a finding's span, split so the template can mark
// the exact words.
type excerpt struct {
	Field string
	Pre   string
	Mark  string
	Post  string
	// Cut says text was left out before Pre or after Post.
	CutStart, CutEnd bool
}

// excerptContext is how many bytes of context an excerpt of a long text
// keeps on each side of the span.
const excerptContext = 90

// excerptOf splits text at the half-open byte range [start, end), the
// offsets the checks report. Offsets inside a multi-byte character move
// outward to its boundaries, offsets out of range are clamped, so the
// result is always valid UTF-8 when text is. Long texts keep some context
// around the span, cut at spaces.
func excerptOf(text, field string, start, end int) *excerpt {
	start = max(0, min(start, len(text)))
	end = max(start, min(end, len(text)))
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	x := &excerpt{Field: field, Mark: text[start:end]}
	from, to := 0, len(text)
	if start > excerptContext {
		from = start - excerptContext
		if i := strings.IndexAny(text[from:start], " \n"); i >= 0 {
			from += i + 1
		}
		for from < start && !utf8.RuneStart(text[from]) {
			from++
		}
		x.CutStart = from > 0
	}
	if len(text)-end > excerptContext {
		to = end + excerptContext
		if i := strings.LastIndexAny(text[end:to], " \n"); i > 0 {
			to = end + i
		}
		for to > end && to < len(text) && !utf8.RuneStart(text[to]) {
			to--
		}
		x.CutEnd = to < len(text)
	}
	x.Pre, x.Post = text[from:start], text[end:to]
	return x
}

// Project page.

type projectPageView struct {
	pageMeta
	ProjectKey string
	Active     bool
	Scan       *backlog.Progress
	// Skeleton rows reserve the backlog table's height until the script
	// draws the rows (from Data, or once the first scan brings some).
	Skeleton []int
	Pillars  []pillarInfo
	// Data is the page's initial state for its script, the first backlog
	// page included: the rows are drawn only by the script (backlog.js).
	Data projectData
}

type pillarInfo struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

type projectData struct {
	ProjectKey string            `json:"projectKey"`
	ProjectID  string            `json:"projectId"`
	Active     bool              `json:"active"`
	Scan       *backlog.Progress `json:"scan,omitempty"`
	Backlog    *backlogJSON      `json:"backlog,omitempty"`
	Strategy   domain.Strategy   `json:"strategy"`
	Pillars    []pillarInfo      `json:"pillars"`
	PageSize   int               `json:"pageSize"`
	JiraURL    string            `json:"jiraUrl"`
	// MCPURL is the app's MCP endpoint, from its base URL: under Forge the
	// page's own origin is Custom UI's, not the app's.
	MCPURL string `json:"mcpUrl"`
}

type backlogJSON struct {
	Rows   []backlogRow `json:"rows"`
	Total  int64        `json:"total"`
	Offset int          `json:"offset"`
}

// backlogPageSize is the backlog table's page.
const backlogPageSize = 50

// skeletonRows is how many placeholder rows the table shows at most.
const skeletonRows = 10

func (u *ui) projectPage(c echo.Context) error {
	key, pid := c.QueryParam("projectKey"), c.QueryParam("projectId")
	if !validKey(key) {
		return BadRequest("This page needs a valid projectKey.")
	}
	if _, err := strconv.ParseUint(pid, 10, 64); pid != "" && err != nil {
		return BadRequest("This page needs a numeric projectId.")
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	ts := u.s.Store.Tenant(t)
	v := projectPageView{pageMeta: u.meta("BacklogAI · "+key, "project.js"), ProjectKey: key}
	st := domain.DefaultStrategy()
	p, err := ts.Project(ctx, key)
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return err
	default:
		v.Active, st = p.Active, p.Strategy
	}
	var first *backlogJSON
	v.Skeleton = make([]int, skeletonRows)
	if v.Active {
		v.Scan = u.progress(ctx, t, key)
		rows, total, err := ts.Backlog(ctx, key, store.BacklogQuery{OpenOnly: true, Limit: backlogPageSize})
		if err != nil {
			return err
		}
		first = &backlogJSON{Rows: backlogRows(rows), Total: total}
		if err := u.s.rollUpEpics(ctx, ts, key, first.Rows); err != nil {
			return err
		}
		v.Skeleton = v.Skeleton[:min(skeletonRows, len(first.Rows))]
	}
	for _, n := range domain.Pillars {
		v.Pillars = append(v.Pillars, pillarInfo{Name: string(n), Title: score.PillarTitle(n)})
	}
	v.Data = projectData{ProjectKey: key, ProjectID: pid, Active: v.Active, Scan: v.Scan, Backlog: first, Strategy: st, Pillars: v.Pillars,
		PageSize: backlogPageSize, JiraURL: t.DisplayURLOrBase(), MCPURL: strings.TrimRight(u.s.Config.BaseURL, "/") + "/mcp"}
	return u.render(c, "project.html", v)
}

// doneClass is the class a resolved issue shows instead of a MoSCoW class:
// done work is not ranked, though its score is kept.
const doneClass = string(domain.MoscowDone)

// rowMoscow is a backlog row's class, doneClass for a resolved issue.
func rowMoscow(r store.BacklogRow) string {
	if !r.Open {
		return doneClass
	}
	return r.Moscow
}

func backlogRows(rows []store.BacklogRow) []backlogRow {
	out := make([]backlogRow, len(rows))
	for i, r := range rows {
		out[i] = backlogRow{BacklogRow: tools.BacklogRowOf(r), Suggested: suggestedOf(r)}
		out[i].Moscow = rowMoscow(r)
	}
	return out
}

// acknowledgeWebhook validates a webhook body and acknowledges it (a
// server without the sync service, such as in unit tests).
func acknowledgeWebhook(c echo.Context, raw []byte) error {
	var body struct {
		WebhookEvent string `json:"webhookEvent"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.WebhookEvent == "" {
		return BadRequest("webhook body must be JSON with a webhookEvent")
	}
	return c.NoContent(http.StatusNoContent)
}

// me tells the iframe who it is talking as.
func (s *Server) me(c echo.Context) error {
	id := identity(c)
	return c.JSON(http.StatusOK, map[string]string{"accountId": id.AccountID, "baseUrl": id.Tenant.DisplayURLOrBase()})
}
