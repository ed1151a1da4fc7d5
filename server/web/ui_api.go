package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// The UI-only API: what the pages need beyond the shared API (health
// charts, instant re-ranking, linking duplicates, re-rendering the glance).

type healthResponse struct {
	// Open, ScoreHistogram and Moscow count the open issues the backlog
	// ranks: sub-tasks follow their parents there and are left out here
	// too (OpenSubtasks says how many), so the tabs agree.
	Open              int                `json:"open"`
	OpenSubtasks      int                `json:"openSubtasks"`
	ScoreHistogram    [10]int            `json:"scoreHistogram"`
	Moscow            map[string]int     `json:"moscow"`
	InvestPassRate    map[string]float64 `json:"investPassRate"`
	QualityOverTime   []qualityPeriod    `json:"qualityOverTime"`
	DuplicateClusters []dupCluster       `json:"duplicateClusters"`
	Stale             []staleItem        `json:"stale"`
}

type qualityPeriod struct {
	Period     string  `json:"period"`
	AvgQuality float64 `json:"avgQuality"`
	N          int     `json:"n"`
}

type dupCluster struct {
	// Keys are the cluster's first keys (at most healthClusterKeys);
	// Size counts them all.
	Keys       []string `json:"keys"`
	Size       int      `json:"size"`
	Similarity float64  `json:"similarity"`
}

type staleItem struct {
	Key             string `json:"key"`
	Summary         string `json:"summary"`
	DaysSinceUpdate int    `json:"daysSinceUpdate"`
}

// Limits of the health lists.
const (
	healthMonths      = 12
	healthMaxClusters = 25
	healthMaxStale    = 50
	healthClusterKeys = 20
)

// health aggregates the project's open, analysed issues for the charts;
// quality over time covers every analysed issue by the month it was
// created, the last twelve months that have any.
func (u *ui) health(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	now := u.s.Now()
	var out healthResponse
	err = u.rows.with(c.Request().Context(), u.s.Store.Tenant(identity(c).Tenant), key, func(rows map[string]*store.ProjectRow) error {
		out = healthOf(rows, now)
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func healthOf(rows map[string]*store.ProjectRow, now time.Time) healthResponse {
	out := healthResponse{Moscow: map[string]int{"Must": 0, "Should": 0, "Could": 0, "Won't": 0},
		InvestPassRate: map[string]float64{}, QualityOverTime: []qualityPeriod{}, DuplicateClusters: []dupCluster{}, Stale: []staleItem{}}
	var pass, seen [6]int
	months := map[string]*qualityPeriod{}
	// Union-find over near-duplicate pairs of open issues.
	parent := map[string]string{}
	var find func(string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok || p == k {
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	best := map[[2]string]float64{}
	for _, k := range sortedKeys(rows) {
		r := rows[k]
		if !r.Analysed {
			continue
		}
		// An issue without an applicable story check has no quality: it
		// is left out of the average rather than counted as 100.
		if !r.Created.IsZero() && r.Quality >= 0 {
			m := r.Created.UTC().Format("2006-01")
			q := months[m]
			if q == nil {
				q = &qualityPeriod{Period: m}
				months[m] = q
			}
			q.AvgQuality += float64(r.Quality)
			q.N++
		}
		if !r.Open {
			continue
		}
		if r.Type == string(domain.TypeSubtask) {
			out.OpenSubtasks++
		} else {
			out.Open++
			out.ScoreHistogram[min(9, max(0, int(r.Score)/10))]++
			if _, ok := out.Moscow[string(r.Moscow)]; ok {
				out.Moscow[string(r.Moscow)]++
			}
		}
		for i, l := range investNames {
			if st, ok := r.Letters[l[0]]; ok && st != domain.LetterNotApplicable {
				seen[i]++
				if st == "pass" {
					pass[i]++
				}
			}
		}
		for _, f := range r.Flags {
			if f == domain.FlagStale {
				out.Stale = append(out.Stale, staleItem{Key: r.Key, Summary: r.Summary, DaysSinceUpdate: daysBetween(r.Updated, now)})
			}
		}
		for _, d := range r.Near {
			o, ok := rows[d.Key]
			if !ok || !o.Open || !o.Analysed || d.Key == r.Key {
				continue
			}
			a, b := find(r.Key), find(d.Key)
			if a != b {
				parent[a] = b
			}
			pair := [2]string{min(r.Key, d.Key), max(r.Key, d.Key)}
			best[pair] = max(best[pair], d.Similarity)
		}
	}
	for i, l := range investNames {
		if seen[i] > 0 {
			out.InvestPassRate[l[0]] = math.Round(1000*float64(pass[i])/float64(seen[i])) / 1000
		}
	}
	periods := sortedKeys(months)
	if len(periods) > healthMonths {
		periods = periods[len(periods)-healthMonths:]
	}
	for _, m := range periods {
		q := months[m]
		q.AvgQuality = math.Round(10*q.AvgQuality/float64(q.N)) / 10
		out.QualityOverTime = append(out.QualityOverTime, *q)
	}
	clusters := map[string]*dupCluster{}
	members := map[string]map[string]bool{}
	for pair, sim := range best {
		root := find(pair[0])
		cl := clusters[root]
		if cl == nil {
			cl = &dupCluster{}
			clusters[root], members[root] = cl, map[string]bool{}
		}
		cl.Similarity = max(cl.Similarity, math.Round(sim*100)/100)
		members[root][pair[0]], members[root][pair[1]] = true, true
	}
	for root, cl := range clusters {
		cl.Keys = sortedKeys(members[root])
		cl.Size = len(cl.Keys)
		if len(cl.Keys) > healthClusterKeys {
			cl.Keys = cl.Keys[:healthClusterKeys]
		}
		out.DuplicateClusters = append(out.DuplicateClusters, *cl)
	}
	sort.Slice(out.DuplicateClusters, func(i, j int) bool {
		a, b := out.DuplicateClusters[i], out.DuplicateClusters[j]
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		if a.Similarity != b.Similarity {
			return a.Similarity > b.Similarity
		}
		return a.Keys[0] < b.Keys[0]
	})
	if len(out.DuplicateClusters) > healthMaxClusters {
		out.DuplicateClusters = out.DuplicateClusters[:healthMaxClusters]
	}
	sort.Slice(out.Stale, func(i, j int) bool {
		if out.Stale[i].DaysSinceUpdate != out.Stale[j].DaysSinceUpdate {
			return out.Stale[i].DaysSinceUpdate > out.Stale[j].DaysSinceUpdate
		}
		return out.Stale[i].Key < out.Stale[j].Key
	})
	if len(out.Stale) > healthMaxStale {
		out.Stale = out.Stale[:healthMaxStale]
	}
	return out
}

// rerankRequest holds the Strategy tab's unsaved settings; only weights
// are required, the rest default to the saved strategy.
type rerankRequest struct {
	Weights          *[5]float64        `json:"weights"`
	Mode             *domain.MoscowMode `json:"mode,omitempty"`
	Thresholds       *[3]float64        `json:"thresholds,omitempty"`
	Shares           *[3]float64        `json:"shares,omitempty"`
	Capacity         *float64           `json:"capacity,omitempty"`
	CapacitySprints  *int               `json:"capacitySprints,omitempty"`
	Vision           *string            `json:"vision,omitempty"`
	Objectives       *[]string          `json:"objectives,omitempty"`
	Competitors      *[]string          `json:"competitors,omitempty"`
	CommercialLabels *[]string          `json:"commercialLabels,omitempty"`
	SplitThreshold   *float64           `json:"splitThreshold,omitempty"`
	QualityBar       *int               `json:"qualityBar,omitempty"`
	StaleDays        *int               `json:"staleDays,omitempty"`
	// Framework, when present, previews another framework ({"name":
	// "pillars"} previews the pillars).
	Framework *domain.FrameworkConfig `json:"framework,omitempty"`
	Limit     int                     `json:"limit,omitempty"`
}

// apply overlays the request on the saved strategy.
func (req *rerankRequest) apply(st *domain.Strategy) {
	st.Weights = *req.Weights
	if req.Mode != nil {
		st.Mode = *req.Mode
	} else if req.Thresholds != nil {
		st.Mode = domain.MoscowThresholds // thresholds alone mean threshold mode
	}
	set := func(dst *[3]float64, v *[3]float64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&st.Thresholds, req.Thresholds)
	set(&st.Shares, req.Shares)
	if req.Capacity != nil {
		st.Capacity = *req.Capacity
	}
	if req.CapacitySprints != nil {
		st.CapacitySprints = *req.CapacitySprints
	}
	if req.Vision != nil {
		st.Vision = *req.Vision
	}
	for _, f := range []struct{ dst, v *[]string }{{&st.Objectives, req.Objectives}, {&st.Competitors, req.Competitors}, {&st.CommercialLabels, req.CommercialLabels}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if req.Framework != nil {
		st.Framework = req.Framework
	}
	if req.SplitThreshold != nil {
		st.SplitThreshold = *req.SplitThreshold
	}
	if req.QualityBar != nil {
		st.QualityBar = *req.QualityBar
	}
	if req.StaleDays != nil {
		st.StaleDays = *req.StaleDays
	}
}

type rerankRow struct {
	backlogRow
	Rank         int `json:"rank"`
	PreviousRank int `json:"previousRank"`
}

const (
	rerankDefaultLimit = 20
	rerankMaxLimit     = 100
)

// rerank previews the ranking of the project's open issues under unsaved
// settings, without saving anything. With the analysis service it runs
// exactly the scoring a save runs (vision, objectives, competitors and
// labels included), so that the preview's order is the backlog's order
// after saving; without it (tests of the page alone) it reweights the
// stored pillar values.
func (u *ui) rerank(c echo.Context) error {
	key, err := projectParam(c)
	if err != nil {
		return err
	}
	var req rerankRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Weights == nil {
		return BadRequest("weights are required: five numbers, one per pillar")
	}
	ctx := c.Request().Context()
	t := identity(c).Tenant
	ts := u.s.Store.Tenant(t)
	st := domain.DefaultStrategy()
	if p, err := ts.Project(ctx, key); err == nil {
		st = p.Strategy
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	req.apply(&st)
	if msg := validateStrategy(&st); msg != "" {
		return BadRequest(msg)
	}
	limit := req.Limit
	if limit <= 0 {
		limit = rerankDefaultLimit
	}
	limit = min(limit, rerankMaxLimit)
	var out []rerankRow
	var total int
	var summary score.Summary
	err = u.rows.with(ctx, ts, key, func(rows map[string]*store.ProjectRow) error {
		if u.s.Backlog == nil {
			out, total, summary = rerankRows(rows, st, limit)
			return nil
		}
		model, unlock, err := u.s.Backlog.Model(ctx, t, key)
		if err != nil {
			return err
		}
		defer unlock()
		overrides, err := ts.Overrides(ctx, nil)
		if err != nil {
			return err
		}
		all, sum := model.Preview(st, overrides)
		out, total = previewRows(rows, all, limit)
		summary = sum
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rows": out, "total": total, "summary": summary})
}

// ranked reports whether a row takes a place in the ranked backlog list
// (sub-tasks follow their parents and are listed only on request).
func ranked(r *store.ProjectRow) bool {
	return r.Open && r.Analysed && r.Type != string(domain.TypeSubtask)
}

// previousRanks numbers the ranked rows by stored score: the backlog's
// order before the change.
func previousRanks(rows map[string]*store.ProjectRow) map[string]int {
	open := make([]*store.ProjectRow, 0, len(rows))
	for _, r := range rows {
		if ranked(r) {
			open = append(open, r)
		}
	}
	sort.Slice(open, func(i, j int) bool {
		if open[i].Score != open[j].Score {
			return open[i].Score > open[j].Score
		}
		return score.CompareKeys(open[i].Key, open[j].Key) < 0
	})
	prev := make(map[string]int, len(open))
	for i, r := range open {
		prev[r.Key] = i + 1
	}
	return prev
}

// previewRows shows the first limit analyses (in rank order) that the
// backlog list shows by default, and how many it shows.
func previewRows(rows map[string]*store.ProjectRow, all []domain.Analysis, limit int) ([]rerankRow, int) {
	prev := previousRanks(rows)
	out := make([]rerankRow, 0, min(limit, len(all)))
	n := 0
	for _, a := range all {
		r := rows[a.IssueKey]
		if r != nil && r.Type == string(domain.TypeSubtask) {
			continue
		}
		n++
		if len(out) == limit {
			continue
		}
		row := backlogRow{Key: a.IssueKey, Score: int(math.Floor(a.Score.Total)), Moscow: string(a.Score.Moscow),
			Quality: a.Check.Quality, Flags: a.Flags}
		if r != nil {
			row.Summary, row.Type, row.Estimate = r.Summary, r.Type, r.Estimate
		}
		if row.Flags == nil {
			row.Flags = []string{}
		}
		out = append(out, rerankRow{backlogRow: row, Rank: n, PreviousRank: prev[a.IssueKey]})
	}
	return out, n
}

// rerankRows ranks the open analysed rows under st from their stored
// pillar values and returns the first limit of them with their former rank.
func rerankRows(rows map[string]*store.ProjectRow, st domain.Strategy, limit int) ([]rerankRow, int, score.Summary) {
	prev := previousRanks(rows)
	open := make([]*store.ProjectRow, 0, len(prev))
	for _, r := range rows {
		if r.Open && r.Analysed {
			open = append(open, r)
		}
	}
	items := make([]score.Result, len(open))
	pillars := make([]domain.PillarScore, 5*len(open))
	for i, r := range open {
		ps := pillars[5*i : 5*i+5 : 5*i+5]
		for k, n := range domain.Pillars {
			ps[k] = domain.PillarScore{Name: n, Value: r.Pillars[k]}
		}
		items[i] = score.Result{Key: r.Key, Score: domain.Score{Pillars: ps, UrgencyBonus: r.UrgencyBonus, Override: r.Override},
			Follows: r.Type == string(domain.TypeSubtask)}
		if r.Estimate != nil && r.PointsSource != "" {
			items[i].Points, items[i].PointsSource = *r.Estimate, r.PointsSource
		}
	}
	summary := score.Rerank(items, st)
	byKey := make(map[string]*store.ProjectRow, len(open))
	for _, r := range open {
		byKey[r.Key] = r
	}
	out := make([]rerankRow, 0, min(limit, len(items)))
	n := 0
	for _, it := range items {
		if it.Follows {
			continue
		}
		n++
		if len(out) == limit {
			continue
		}
		r := byKey[it.Key]
		flags := r.Flags
		if flags == nil {
			flags = []string{}
		}
		row := rerankRow{backlogRow: backlogRow{Key: r.Key, Summary: r.Summary, Type: r.Type, Score: int(math.Floor(it.Score.Total)),
			Moscow: string(it.Score.Moscow), Quality: r.Quality, Estimate: r.Estimate, Flags: flags}, Rank: n, PreviousRank: prev[r.Key]}
		if r.PointsSource == "suggestion" {
			row.Suggested = &suggestedRange{}
		}
		out = append(out, row)
	}
	return out, n, summary
}

type linkDuplicateRequest struct {
	Other string `json:"other"`
}

// linkDuplicate records in Jira that the issue duplicates another one of
// the same project (a "Duplicate" link), after the person confirmed it.
func (u *ui) linkDuplicate(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	var req linkDuplicateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	other := strings.TrimSpace(req.Other)
	if !validKey(other) || !strings.Contains(other, "-") {
		return BadRequest("other must be an issue key such as SHOP-12")
	}
	if other == key {
		return BadRequest("An issue cannot duplicate itself.")
	}
	if projectOfIssue(other) != projectOfIssue(key) {
		return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: "Only issues of the same project can be linked here."}
	}
	if u.s.Backlog == nil {
		return &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "Linking is not available on this server."}
	}
	if err := u.s.requirePermission(c, projectOfIssue(key), access.LinkIssues); err != nil {
		return err
	}
	id := identity(c)
	client, err := u.s.Backlog.ForUser(c.Request().Context(), id.Tenant, id.AccountID) // linked as the person
	if err != nil {
		return err
	}
	if err := client.CreateLink(c.Request().Context(), "Duplicate", key, other); err != nil {
		return err
	}
	u.s.log(c).Info("duplicate linked", "issue", key, "other", other)
	// Re-analyse both now, so that the glance the person re-renders shows
	// the link (and no stale near-duplicate warning). The link is made:
	// a failure here only delays that until the webhook arrives.
	refreshed := true
	if err := u.s.Backlog.Refresh(c.Request().Context(), id.Tenant, projectOfIssue(key), key, other); err != nil {
		refreshed = false
		u.s.log(c).Warn("re-analysis after linking failed", "issue", key, "err", err)
	}
	return c.JSON(http.StatusCreated, map[string]any{"key": key, "duplicates": other, "linked": true, "refreshed": refreshed})
}

// panel re-renders the glance's content (after an action, or while the
// issue waits for its first analysis).
func (u *ui) panel(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	p, err := u.panelFor(c.Request().Context(), identity(c).Tenant, projectOfIssue(key), key)
	if err != nil {
		return err
	}
	var buf strings.Builder
	if err := u.assets.Render(&buf, "glance-panel", p); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"state": p.State, "scan": p.Scan, "version": p.Version, "html": buf.String()})
}

// version answers the version of the issue's stored analysis (one small
// indexed query, no decoding): the open glance polls it and re-renders
// only when it changed. An issue without an analysis has version "".
func (u *ui) version(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	ver, active, ok, err := u.s.Store.Tenant(identity(c).Tenant).ResultVersion(c.Request().Context(), key)
	if err != nil {
		return err
	}
	if !ok || !active {
		ver = ""
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"version": ver})
}

// rollUpEpics sets each epic row's roll-up of its open, analysed children:
// how many, their mean score and how many are Must.
func (u *ui) rollUpEpics(ctx context.Context, ts *store.TenantStore, project string, rows []backlogRow) error {
	epics := map[string]*epicRollUp{}
	for i := range rows {
		if rows[i].Type == string(domain.TypeEpic) {
			rows[i].RollUp = &epicRollUp{}
			epics[rows[i].Key] = rows[i].RollUp
		}
	}
	if len(epics) == 0 {
		return nil
	}
	sums := map[string]float64{}
	err := u.rows.with(ctx, ts, project, func(all map[string]*store.ProjectRow) error {
		for _, r := range all {
			e := epics[r.EpicKey]
			if e == nil || !r.Open || !r.Analysed {
				continue
			}
			e.Open++
			sums[r.EpicKey] += r.Score
			if r.Moscow == domain.MoscowMust {
				e.Must++
			}
		}
		return nil
	})
	for k, e := range epics {
		if e.Open > 0 {
			e.MeanScore = int(math.Floor(sums[k] / float64(e.Open)))
		}
	}
	return err
}
