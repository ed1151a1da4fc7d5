package research

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/analysis/text"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// Source is a dated web source a draft may cite.
type Source struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Date    string `json:"date,omitempty"`
	Snippet string `json:"snippet,omitempty"`
}

// Signal is one finding and the source it came from (index into
// Findings.Sources).
type Signal struct {
	Text   string `json:"text"`
	Source int    `json:"source"`
}

// CompetitorFeature is something a named competitor offers.
type CompetitorFeature struct {
	Competitor string `json:"competitor"`
	Feature    string `json:"feature"`
	Source     int    `json:"source"`
}

// SimilarIssue is an existing issue of the project close to the request.
type SimilarIssue struct {
	Key        string  `json:"key"`
	Summary    string  `json:"summary"`
	Similarity float64 `json:"similarity"`
	Votes      int     `json:"votes"`
	Status     string  `json:"status,omitempty"`
	Done       bool    `json:"done,omitempty"`
}

// Findings is what research found for one request.
type Findings struct {
	Queries            []string            `json:"queries,omitempty"`
	Trends             []Signal            `json:"trends,omitempty"`
	CompetitorFeatures []CompetitorFeature `json:"competitorFeatures,omitempty"`
	Differentiators    []Signal            `json:"differentiators,omitempty"`
	PainPoints         []Signal            `json:"painPoints,omitempty"`
	Sources            []Source            `json:"sources,omitempty"`
	Similar            []SimilarIssue      `json:"similar,omitempty"`
	// Searches counts paid searches made, Cached the queries answered
	// from the cache.
	Searches int `json:"searches"`
	Cached   int `json:"cached"`
	// Notices explain what research could not do (quota spent, provider
	// failing), for the run's notice.
	Notices []string `json:"notices,omitempty"`
}

// Empty reports findings with nothing for a prompt.
func (f *Findings) Empty() bool {
	return len(f.Sources) == 0 && len(f.Similar) == 0
}

// Request is what research is about.
type Request struct {
	Context     string
	Objective   string
	Persona     string
	Segment     string
	Competitors []string
}

// Queries are the web searches for a request, at most max: the objective
// in its segment this year, the persona's problems with it, and the
// competitors on it.
func Queries(r Request, max int, now time.Time) []string {
	kw := keywords(r.Objective, 6)
	if len(kw) == 0 {
		kw = keywords(r.Context, 6)
	}
	if len(kw) == 0 {
		return nil
	}
	topic := strings.Join(kw, " ")
	var out []string
	add := func(q string) {
		q = strings.Join(strings.Fields(q), " ")
		if q != "" && !slices.Contains(out, q) && len(out) < max {
			out = append(out, q)
		}
	}
	seg := strings.Join(keywords(r.Segment, 3), " ")
	add(topic + " " + seg + " trends " + fmt.Sprint(now.Year()))
	persona := strings.Join(keywords(r.Persona, 2), " ")
	add(persona + " " + topic + " problems")
	var comps []string
	for _, c := range r.Competitors {
		if c = strings.TrimSpace(c); c != "" && len(comps) < 2 {
			comps = append(comps, c)
		}
	}
	if len(comps) > 0 {
		add(strings.Join(comps, " vs ") + " " + topic + " features")
	}
	return out
}

// keywords are the first n distinct content words of s, lowercased.
func keywords(s string, n int) []string {
	var out []string
	text.Each(s, func(term, word string) {
		if len(out) < n && !slices.Contains(out, word) && !text.IsNumber(word) {
			out = append(out, word)
		}
	})
	return out
}

// ProviderSerpAPI names the web provider in the cache.
const ProviderSerpAPI = "serpapi"

// Web runs web research for one tenant.
type Web struct {
	Serp *SerpAPI
	// Store is the tenant's view: cache and quota counters.
	Store *store.TenantStore
	// Quota is the tenant's searches per month.
	Quota int
	// TTL is how long answers are cached (default 7 days).
	TTL time.Duration
	// MaxQueries bounds the searches of one request (default 3).
	MaxQueries int
	Now        func() time.Time
	Logger     *slog.Logger
}

// Research runs the request's queries (from the cache when it can) and
// turns the answers into findings. It fails only when the context ends;
// provider failures and a spent quota become notices.
func (w *Web) Research(ctx context.Context, r Request) (Findings, error) {
	var f Findings
	max := w.MaxQueries
	if max <= 0 {
		max = 3
	}
	ttl := w.TTL
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	period := domain.UsagePeriod(now())
	ex := newExtractor(r.Competitors)
	quotaSpent, failed := false, false
	for _, q := range Queries(r, max, now()) {
		f.Queries = append(f.Queries, q)
		raw, _, hit, err := w.Store.CachedResearch(ctx, ProviderSerpAPI, q)
		if err != nil {
			return f, err
		}
		var res SerpResult
		if hit && json.Unmarshal(raw, &res) == nil {
			f.Cached++
			ex.add(&res)
			continue
		}
		if quotaSpent || failed {
			continue
		}
		ok, err := w.Store.TakeSearch(ctx, period, w.Quota)
		if err != nil {
			return f, err
		}
		if !ok {
			quotaSpent = true
			f.Notices = append(f.Notices, fmt.Sprintf("This month's research quota (%d searches) is used up, so drafts use cached research and your project only.", w.Quota))
			continue
		}
		got, err := w.Serp.Search(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return f, ctx.Err()
			}
			// A failed search is not charged, and never cached.
			if rerr := w.Store.ReturnSearch(ctx, period); rerr != nil {
				log.Error("return search", "err", rerr)
			}
			log.Warn("web research failed", "err", err)
			failed = true
			msg := "Web research failed, so drafts are grounded in your project only."
			if errors.Is(err, domain.ErrUnauthorized) {
				msg = "The research provider refused the API key, so drafts are grounded in your project only. An admin can check the key in Settings."
			}
			f.Notices = append(f.Notices, msg)
			continue
		}
		f.Searches++
		if got.Empty() {
			continue // charged, but an empty answer is never cached
		}
		if b, err := json.Marshal(got); err == nil {
			if err := w.Store.CacheResearch(ctx, ProviderSerpAPI, q, b, ttl); err != nil {
				log.Error("cache research", "err", err)
			}
		}
		ex.add(got)
	}
	ex.into(&f)
	return f, nil
}

// Extract turns search answers into findings (no I/O).
func Extract(competitors []string, results ...*SerpResult) Findings {
	ex := newExtractor(competitors)
	for _, r := range results {
		ex.add(r)
	}
	var f Findings
	ex.into(&f)
	return f
}
