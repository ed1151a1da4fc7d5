package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/analysis/dupes"
	"github.com/backlogai/backlogai/server/analysis/text"
	"github.com/backlogai/backlogai/server/domain"
)

// Duplicates measures the duplicate index on DIR/duplicates: every issue of
// hadoop_issues.csv is indexed (after learning the project's boilerplate
// lines, as a scan does), then for each labelled pair the later-created
// issue is the query (as when a reporter files a new issue that already
// exists) and the earlier one must appear among the top k candidates,
// ranked against all other issues. A pairs row listing several ids in a
// cell counts each pair; rows listing a pair in both directions count
// twice, with the same query. Malformed rows are skipped and counted, never
// fatal.
//
// Beside the figures it reports baselines (plain TF-IDF cosine, random),
// the flag's precision and false-flag rate, and a grouped cross-validation
// of the learned-boilerplate settings and of the flag threshold (see
// crossValidate).
func Duplicates(dir string) (*DuplicatesResult, error) {
	d, err := loadDuplicates(dir)
	if err != nil {
		return nil, err
	}
	return d.evaluate(), nil
}

// DuplicatesResult is recall@k over known duplicate pairs, with baselines,
// the flag's precision and the cross-validation behind the settings.
type DuplicatesResult struct {
	Issues     int     `json:"issues"`
	Pairs      int     `json:"pairs"` // scored pairs (rows × ids in their cells)
	RecallAt1  float64 `json:"recall_at_1"`
	RecallAt5  float64 `json:"recall_at_5"`
	RecallAt10 float64 `json:"recall_at_10"`
	// Skipped counts input rows left out, by reason (issues and pairs).
	Skipped map[string]int `json:"skipped,omitempty"`

	Baselines []RecallRow `json:"baselines"`

	// The flag: an issue is flagged when its best candidate reaches
	// Threshold ("likely duplicate"). Precision is over the labelled
	// query issues whose flag fired: the share whose best candidate is a
	// labelled duplicate. FalseFlagRate is the share of issues with no
	// labelled duplicate (and not resolved as Duplicate) that are flagged.
	Threshold     float64 `json:"threshold"`
	FlagFired     int     `json:"flag_fired"`
	FlagPrecision float64 `json:"flag_precision"`
	FlagQueries   int     `json:"flag_queries"`
	FalseFlagRate float64 `json:"false_flag_rate"`
	NoDupIssues   int     `json:"no_dup_issues"`
	RelatedBand   float64 `json:"related_threshold"`
	RelatedFired  int     `json:"related_fired"`
	RelatedPrec   float64 `json:"related_precision"`
	// RelatedFalseRate is the share of issues with no labelled duplicate
	// whose best candidate is at least "related".
	RelatedFalseRate float64 `json:"related_false_rate"`
	RandomFlagPrec   float64 `json:"random_flag_precision"` // best candidate at random

	Folds []DuplicatesFold `json:"folds"`
	// Curve is the flag's precision and false-flag rate at each threshold
	// of the grid, for the default setting on all pairs.
	Curve []ThresholdRow `json:"curve"`
}

// ThresholdRow is the flag at one threshold.
type ThresholdRow struct {
	Threshold     float64 `json:"threshold"`
	Fired         int     `json:"fired"`
	Precision     float64 `json:"precision"`
	FalseFlagRate float64 `json:"false_flag_rate"`
}

// RecallRow is one method's recall@1/5/10 on the same pairs.
type RecallRow struct {
	Method     string  `json:"method"`
	RecallAt1  float64 `json:"recall_at_1"`
	RecallAt5  float64 `json:"recall_at_5"`
	RecallAt10 float64 `json:"recall_at_10"`
}

// DuplicatesFold is one held-out group of pairs: the settings chosen on the
// other folds and what they score on this one.
type DuplicatesFold struct {
	Pairs      int     `json:"pairs"`
	Setting    string  `json:"setting"`
	RecallAt1  float64 `json:"recall_at_1"`
	RecallAt5  float64 `json:"recall_at_5"`
	RecallAt10 float64 `json:"recall_at_10"`
	Threshold  float64 `json:"threshold"`
	Fired      int     `json:"fired"`
	Precision  float64 `json:"precision"`
	// Related is the "related" band's threshold chosen the same way.
	Related      float64 `json:"related_threshold"`
	RelatedFired int     `json:"related_fired"`
	RelatedPrec  float64 `json:"related_precision"`
}

// dupData is the loaded data set.
type dupData struct {
	issues  []domain.Issue
	byKey   map[string]*domain.Issue
	dupRes  map[string]bool // resolved as Duplicate
	pairs   []labelledPair
	inPair  map[string]bool
	skipped map[string]int
}

// labelledPair is one scored pair: query is the later-created side.
type labelledPair struct{ query, target string }

func loadDuplicates(dir string) (*dupData, error) {
	issues, dupRes, skipped, err := readHadoopIssues(filepath.Join(dir, "duplicates", "hadoop_issues.csv"))
	if err != nil {
		return nil, fmt.Errorf("eval duplicates: %w", err)
	}
	rows, err := readPairs(filepath.Join(dir, "duplicates", "hadoop_pairs.csv"), skipped)
	if err != nil {
		return nil, fmt.Errorf("eval duplicates: %w", err)
	}
	d := &dupData{issues: issues, byKey: make(map[string]*domain.Issue, len(issues)), dupRes: dupRes, inPair: make(map[string]bool), skipped: skipped}
	for i := range issues {
		d.byKey[issues[i].Key] = &issues[i]
	}
	for _, p := range rows {
		a, b := d.byKey[p[0]], d.byKey[p[1]]
		switch {
		case a == nil || b == nil:
			skipped["pair: id not among the issues"]++
			continue
		case a.Key == b.Key:
			skipped["pair: an issue paired with itself"]++
			continue
		}
		q, t := a, b
		if b.Created.After(a.Created) || b.Created.Equal(a.Created) && b.Key > a.Key {
			q, t = b, a
		}
		d.pairs = append(d.pairs, labelledPair{query: q.Key, target: t.Key})
		d.inPair[q.Key], d.inPair[t.Key] = true, true
	}
	return d, nil
}

// maxK is the deepest rank measured.
const maxK = 10

// dupSetting is one candidate configuration: the learned boilerplate and
// the creation-time signal.
type dupSetting struct {
	commonShare, lines   float64
	timeWeight, timeDays float64
}

func (s dupSetting) String() string {
	f := func(v float64) string {
		if v == 0 {
			return "off"
		}
		return fmt.Sprintf("%g", v)
	}
	t := "off"
	if s.timeWeight > 0 {
		t = fmt.Sprintf("%g/%gd", s.timeWeight, s.timeDays)
	}
	return "common " + f(s.commonShare) + ", lines " + f(s.lines) + ", time " + t
}

func (s dupSetting) options() dupes.Options {
	o := dupes.DefaultOptions()
	o.CommonShare, o.BoilerplateLines = s.commonShare, s.lines
	o.TimeWeight, o.TimeScale = s.timeWeight, s.timeDays
	return o
}

func (s dupSetting) is(o dupes.Options) bool {
	return s.commonShare == o.CommonShare && s.lines == o.BoilerplateLines &&
		s.timeWeight == o.TimeWeight && (s.timeWeight == 0 || s.timeDays == o.TimeScale)
}

// dupSettings is the grid the cross-validation chooses from, simplest
// first (ties keep the simpler setting); the product's defaults are one of
// them.
var dupSettings = func() []dupSetting {
	var out []dupSetting
	for _, tm := range [][2]float64{{0, 0}, {0.25, 90}, {0.25, 365}, {0.5, 90}, {0.5, 365}} {
		for _, c := range []float64{0, 0.2} {
			for _, l := range []float64{0, 0.01} {
				out = append(out, dupSetting{c, l, tm[0], tm[1]})
			}
		}
	}
	return out
}()

// runResult is one setting's outcome over all pairs and all issues.
type runResult struct {
	opt   dupes.Options
	ranks []int              // per pair: 1-based rank of the target, 0 beyond maxK
	top   map[string]topCand // per issue: its best candidate
	all   bool               // top holds every issue, not only those in pairs
}

type topCand struct {
	key string
	sim float64
	// strong: the two share enough words to be flagged at all
	// (dupes.MinLikelyEvidence).
	strong bool
}

// run indexes every issue under opt and queries every pair, and every
// issue's best candidate (all: every issue; otherwise those in a pair).
func (d *dupData) run(opt dupes.Options, all bool) runResult {
	idx := dupes.New(opt)
	idx.Learn(d.issues)
	for i := range d.issues {
		idx.Add(d.issues[i])
	}
	r := runResult{opt: opt, ranks: make([]int, len(d.pairs)), top: make(map[string]topCand, len(d.issues)), all: all}
	for i, p := range d.pairs {
		cands, err := idx.QueryKey(p.query, maxK)
		if err != nil {
			continue // cannot happen: every pair's issues were indexed
		}
		for j, c := range cands {
			if c.Key == p.target {
				r.ranks[i] = j + 1
				break
			}
		}
	}
	for i := range d.issues {
		k := d.issues[i].Key
		if !all && !d.inPair[k] {
			continue
		}
		if cands, err := idx.QueryKey(k, 1); err == nil && len(cands) > 0 {
			r.top[k] = topCand{cands[0].Key, cands[0].Similarity, idx.Evidence(k, cands[0].Key) >= dupes.MinLikelyEvidence}
		}
	}
	return r
}

// recall returns recall@1/5/10 over the pairs selected by in (nil: all).
func recall(ranks []int, in func(i int) bool) (r1, r5, r10 float64, n int) {
	var hits [3]int
	for i, rank := range ranks {
		if in != nil && !in(i) {
			continue
		}
		n++
		for j, k := range [3]int{1, 5, 10} {
			if rank > 0 && rank <= k {
				hits[j]++
			}
		}
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	f := float64(n)
	return float64(hits[0]) / f, float64(hits[1]) / f, float64(hits[2]) / f, n
}

// dupFolds is the number of cross-validation folds.
const dupFolds = 5

func (d *dupData) evaluate() *DuplicatesResult {
	res := &DuplicatesResult{Issues: len(d.issues), Pairs: len(d.pairs), Skipped: d.skipped}
	if len(d.skipped) == 0 {
		res.Skipped = nil
	}
	def := dupes.DefaultOptions()
	runs := make([]runResult, len(dupSettings))
	defIdx := -1
	for i, s := range dupSettings {
		isDef := s.is(def)
		runs[i] = d.run(s.options(), isDef)
		if isDef {
			defIdx = i
		}
	}
	var main runResult
	if defIdx >= 0 {
		main = runs[defIdx]
	} else {
		main = d.run(def, true)
	}
	res.RecallAt1, res.RecallAt5, res.RecallAt10, _ = recall(main.ranks, nil)

	// Baselines on the same pairs.
	noLearn := d.run(dupSetting{timeWeight: def.TimeWeight, timeDays: def.TimeScale}.options(), false)
	noCommon := d.run(dupSetting{lines: def.BoilerplateLines, timeWeight: def.TimeWeight, timeDays: def.TimeScale}.options(), false)
	textOnly := d.run(dupSetting{}.options(), false)
	row := func(name string, ranks []int) RecallRow {
		r1, r5, r10, _ := recall(ranks, nil)
		return RecallRow{name, r1, r5, r10}
	}
	res.Baselines = append(res.Baselines,
		row("same without common-term down-weighting", noCommon.ranks),
		row("same without learned boilerplate", noLearn.ranks),
		row("same, text only (no boilerplate, no time)", textOnly.ranks),
		row("plain TF-IDF cosine (summary + description)", d.tfidfRanks()))
	if n := float64(len(d.issues) - 1); n > 0 {
		res.Baselines = append(res.Baselines, RecallRow{"random", 1 / n, 5 / n, 10 / n})
	}

	// The flag, at the default threshold, over all labelled query issues.
	dupOf := d.labelledDuplicates()
	res.Threshold, res.RelatedBand = def.LikelyThreshold, def.RelatedThreshold
	queries := sortedKeys(dupOf)
	res.FlagQueries = len(queries)
	res.FlagFired, res.FlagPrecision = flagPrecision(main.top, dupOf, queries, def.LikelyThreshold, true)
	res.RelatedFired, res.RelatedPrec = flagPrecision(main.top, dupOf, queries, def.RelatedThreshold, false)
	var noDup []string
	for _, is := range d.issues {
		if !d.dupRes[is.Key] && !d.inPair[is.Key] {
			noDup = append(noDup, is.Key)
		}
	}
	res.NoDupIssues = len(noDup)
	res.FalseFlagRate = firedShare(main.top, noDup, def.LikelyThreshold, true)
	res.RelatedFalseRate = firedShare(main.top, noDup, def.RelatedThreshold, false)
	for _, th := range thresholdGrid {
		fired, prec := flagPrecision(main.top, dupOf, queries, th, true)
		res.Curve = append(res.Curve, ThresholdRow{th, fired, prec, firedShare(main.top, noDup, th, true)})
	}
	// A random best candidate is a labelled duplicate with probability
	// (labelled duplicates) / (issues - 1).
	if n := len(d.issues) - 1; n > 0 && len(queries) > 0 {
		s := 0.0
		for _, q := range queries {
			s += float64(len(dupOf[q])) / float64(n)
		}
		res.RandomFlagPrec = s / float64(len(queries))
	}

	res.Folds = d.crossValidate(runs, noDup, dupOf)
	return res
}

// firedShare is the share of keys whose best candidate reaches threshold.
func firedShare(top map[string]topCand, keys []string, threshold float64, likely bool) float64 {
	if len(keys) == 0 {
		return 0
	}
	n := 0
	for _, k := range keys {
		if c, ok := top[k]; ok && c.sim >= threshold && (c.strong || !likely) {
			n++
		}
	}
	return float64(n) / float64(len(keys))
}

// flagPrecision counts the queries whose best candidate reaches threshold
// (and, for the likely band, shares enough words) and the share of those
// whose best candidate is a labelled duplicate.
func flagPrecision(top map[string]topCand, dupOf map[string]map[string]bool, queries []string, threshold float64, likely bool) (int, float64) {
	fired, right := 0, 0
	for _, q := range queries {
		c, ok := top[q]
		if !ok || c.sim < threshold || likely && !c.strong {
			continue
		}
		fired++
		if dupOf[q][c.key] {
			right++
		}
	}
	if fired == 0 {
		return 0, 0
	}
	return fired, float64(right) / float64(fired)
}

// labelledDuplicates maps each issue of a pair to all its labelled
// duplicates (both directions: the flag fires on either side).
func (d *dupData) labelledDuplicates() map[string]map[string]bool {
	m := make(map[string]map[string]bool)
	add := func(a, b string) {
		if m[a] == nil {
			m[a] = make(map[string]bool)
		}
		m[a][b] = true
	}
	for _, p := range d.pairs {
		add(p.query, p.target)
		add(p.target, p.query)
	}
	return m
}

// thresholdGrid is the flag thresholds the cross-validation chooses from.
var thresholdGrid = []float64{0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8}

// The bands' thresholds are chosen, on the training folds, as the lowest
// threshold of thresholdGrid meeting two product rules fixed beforehand: a
// "likely duplicate" flag is right about three times in four (precision
// over labelled issues) and fires on at most one in twenty issues that have
// no labelled duplicate; a "related" candidate is a labelled duplicate at
// least half the time and shows on at most one issue in four without one.
const (
	likelyPrecision  = 0.75
	likelyFalseRate  = 0.05
	relatedPrecision = 0.5
	relatedFalseRate = 0.25
)

// crossValidate groups the pairs into connected components (so that both
// directions of a pair, and chains of duplicates, stay in one fold), deals
// the groups into dupFolds folds in id order, and for each fold chooses the
// setting with the best mean recall@1/5/10 on the other folds and the flag
// threshold (lowest reaching flagTargetPrecision on the other folds'
// query issues), then scores both on the held-out fold.
func (d *dupData) crossValidate(runs []runResult, noDup []string, dupOf map[string]map[string]bool) []DuplicatesFold {
	fold := d.pairFolds()
	// A query issue belongs to the fold of its pairs.
	issueFold := make(map[string]int)
	for i, p := range d.pairs {
		issueFold[p.query], issueFold[p.target] = fold[i], fold[i]
	}
	out := make([]DuplicatesFold, dupFolds)
	for f := range dupFolds {
		best, bestScore := 0, -1.0
		for i, r := range runs {
			r1, r5, r10, _ := recall(r.ranks, func(j int) bool { return fold[j] != f })
			if s := r1 + r5 + r10; s > bestScore+1e-12 {
				best, bestScore = i, s
			}
		}
		r1, r5, r10, n := recall(runs[best].ranks, func(j int) bool { return fold[j] == f })
		var train, test []string
		for _, q := range sortedKeys(dupOf) {
			if issueFold[q] == f {
				test = append(test, q)
			} else {
				train = append(train, q)
			}
		}
		// Issues without a labelled duplicate are dealt into folds by
		// position.
		var trainNoDup []string
		for i, k := range noDup {
			if i%dupFolds != f {
				trainNoDup = append(trainNoDup, k)
			}
		}
		if !runs[best].all {
			runs[best] = d.run(runs[best].opt, true)
		}
		top := runs[best].top
		choose := func(precision, falseRate float64, likely bool) float64 {
			for _, t := range thresholdGrid {
				fired, p := flagPrecision(top, dupOf, train, t, likely)
				if fired > 0 && p >= precision && firedShare(top, trainNoDup, t, likely) <= falseRate {
					return t
				}
			}
			return thresholdGrid[len(thresholdGrid)-1]
		}
		th, rel := choose(likelyPrecision, likelyFalseRate, true), choose(relatedPrecision, relatedFalseRate, false)
		fired, prec := flagPrecision(top, dupOf, test, th, true)
		rfired, rprec := flagPrecision(top, dupOf, test, rel, false)
		out[f] = DuplicatesFold{Pairs: n, Setting: dupSettings[best].String(), RecallAt1: r1, RecallAt5: r5, RecallAt10: r10,
			Threshold: th, Fired: fired, Precision: prec, Related: rel, RelatedFired: rfired, RelatedPrec: rprec}
	}
	return out
}

// pairFolds assigns each pair a fold by connected component.
func (d *dupData) pairFolds() []int {
	parent := make(map[string]string)
	var find func(string) string
	find = func(a string) string {
		if p, ok := parent[a]; ok && p != a {
			r := find(p)
			parent[a] = r
			return r
		}
		parent[a] = a
		return a
	}
	for _, p := range d.pairs {
		a, b := find(p.query), find(p.target)
		if a != b {
			parent[max(a, b)] = min(a, b)
		}
	}
	roots := make(map[string]bool)
	for _, p := range d.pairs {
		roots[find(p.query)] = true
	}
	order := sortedKeys(roots)
	foldOf := make(map[string]int, len(order))
	for i, r := range order {
		foldOf[r] = i % dupFolds
	}
	out := make([]int, len(d.pairs))
	for i, p := range d.pairs {
		out[i] = foldOf[find(p.query)]
	}
	return out
}

// tfidfRanks is the plain baseline: cosine of log-tf × idf vectors of the
// summary and description terms, no fields, no boilerplate handling.
func (d *dupData) tfidfRanks() []int {
	vecs := make(map[string]map[string]float64, len(d.issues))
	df := make(map[string]int)
	for _, is := range d.issues {
		tf := make(map[string]float64)
		for _, term := range text.Terms(is.Summary + "\n" + is.Description) {
			tf[term]++
		}
		for t := range tf {
			df[t]++
		}
		vecs[is.Key] = tf
	}
	n := float64(len(d.issues))
	for _, v := range vecs {
		norm := 0.0
		for _, t := range sortedKeys(v) {
			w := (1 + math.Log(v[t])) * math.Log(n/float64(df[t]))
			v[t] = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for t := range v {
			if norm > 0 {
				v[t] /= norm
			}
		}
	}
	ranks := make([]int, len(d.pairs))
	for i, p := range d.pairs {
		// Sum in term order: map order would make near ties flip between runs.
		q := vecs[p.query]
		qterms := sortedKeys(q)
		type sc struct {
			key string
			s   float64
		}
		var all []sc
		for _, is := range d.issues {
			if is.Key == p.query {
				continue
			}
			s := 0.0
			v := vecs[is.Key]
			for _, t := range qterms {
				s += q[t] * v[t]
			}
			all = append(all, sc{is.Key, s})
		}
		sort.Slice(all, func(a, b int) bool {
			if all[a].s != all[b].s {
				return all[a].s > all[b].s
			}
			return all[a].key < all[b].key
		})
		for j := 0; j < maxK && j < len(all); j++ {
			if all[j].key == p.target {
				ranks[i] = j + 1
			}
		}
	}
	return ranks
}

// writeText prints the duplicates part of the report.
func (d *DuplicatesResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "Duplicates (%d issues, %d labelled pairs)\n", d.Issues, d.Pairs)
	fmt.Fprintf(w, "  %-48s %6s %6s %6s\n", "method", "R@1", "R@5", "R@10")
	fmt.Fprintf(w, "  %-48s %6.3f %6.3f %6.3f\n", "BacklogAI", d.RecallAt1, d.RecallAt5, d.RecallAt10)
	for _, b := range d.Baselines {
		fmt.Fprintf(w, "  %-48s %6.3f %6.3f %6.3f\n", b.Method, b.RecallAt1, b.RecallAt5, b.RecallAt10)
	}
	fmt.Fprintf(w, "  flag (likely duplicate, similarity >= %.2f): fired on %d of %d labelled issues, precision %.3f (random best candidate %.4f); false-flag rate %.3f on %d issues with no labelled duplicate\n",
		d.Threshold, d.FlagFired, d.FlagQueries, d.FlagPrecision, d.RandomFlagPrec, d.FalseFlagRate, d.NoDupIssues)
	fmt.Fprintf(w, "  related band (similarity >= %.2f): fired on %d, precision %.3f; shown on %.3f of issues with no labelled duplicate\n", d.RelatedBand, d.RelatedFired, d.RelatedPrec, d.RelatedFalseRate)
	fmt.Fprintf(w, "  cross-validation (%d folds by groups of pairs; setting and threshold chosen on the other folds):\n", len(d.Folds))
	for i, f := range d.Folds {
		fmt.Fprintf(w, "    fold %d: %3d pairs  R@1 %.3f R@5 %.3f R@10 %.3f  [%s]  likely >= %.2f: %d fired, precision %.3f; related >= %.2f: %d, %.3f\n",
			i+1, f.Pairs, f.RecallAt1, f.RecallAt5, f.RecallAt10, f.Setting, f.Threshold, f.Fired, f.Precision, f.Related, f.RelatedFired, f.RelatedPrec)
	}
	if len(d.Folds) > 0 {
		var n, lf, lr, rf, rr int
		var h [3]float64
		for _, f := range d.Folds {
			n += f.Pairs
			h[0] += f.RecallAt1 * float64(f.Pairs)
			h[1] += f.RecallAt5 * float64(f.Pairs)
			h[2] += f.RecallAt10 * float64(f.Pairs)
			lf += f.Fired
			lr += int(math.Round(f.Precision * float64(f.Fired)))
			rf += f.RelatedFired
			rr += int(math.Round(f.RelatedPrec * float64(f.RelatedFired)))
		}
		if n > 0 {
			fmt.Fprintf(w, "    held out, pooled: R@1 %.3f R@5 %.3f R@10 %.3f; likely flags right %d of %d; related right %d of %d\n",
				h[0]/float64(n), h[1]/float64(n), h[2]/float64(n), lr, lf, rr, rf)
		}
	}
	fmt.Fprintf(w, "  likely-duplicate flag by threshold (default setting, all pairs): threshold fired precision false-flag-rate\n")
	for _, c := range d.Curve {
		fmt.Fprintf(w, "    %.2f %3d %.3f %.3f\n", c.Threshold, c.Fired, c.Precision, c.FalseFlagRate)
	}
	if len(d.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped rows:")
		for _, k := range sortedKeys(d.Skipped) {
			fmt.Fprintf(w, " %s: %d;", k, d.Skipped[k])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// hadoopTime is the layout of the Created column ("30/Sep/21 17:20").
const hadoopTime = "02/Jan/06 15:04"

// readHadoopIssues reads the GitBugs export. Descriptions are quoted and
// span lines; encoding/csv handles that. A record with the wrong number of
// fields, an unreadable quote, or an empty or repeated id is skipped and
// counted in skipped by reason; an unreadable creation time keeps the
// issue (with a zero time) and is counted too. Only a missing file, header
// or column is an error. dupRes holds the issues resolved as Duplicate.
func readHadoopIssues(path string) (issues []domain.Issue, dupRes map[string]bool, skipped map[string]int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read issues: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read issues %s: header: %w", path, err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, name := range []string{"Summary", "Issue id", "Priority", "Created", "Description"} {
		if _, ok := col[name]; !ok {
			return nil, nil, nil, fmt.Errorf("read issues %s: missing column %q", path, name)
		}
	}
	resCol, hasRes := col["Resolution"]
	skipped = make(map[string]int)
	dupRes = make(map[string]bool)
	seen := make(map[string]bool)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				skipped["issue: unreadable CSV record"]++
				continue
			}
			return nil, nil, nil, fmt.Errorf("read issues %s: %w", path, err)
		}
		if len(rec) != len(header) {
			skipped["issue: wrong number of fields"]++
			continue
		}
		id := strings.TrimSpace(rec[col["Issue id"]])
		switch {
		case id == "":
			skipped["issue: empty id"]++
			continue
		case seen[id]:
			skipped["issue: repeated id"]++
			continue
		}
		seen[id] = true
		created, err := time.Parse(hadoopTime, strings.TrimSpace(rec[col["Created"]]))
		if err != nil {
			skipped["issue: unreadable Created (kept, ordered by id)"]++
			created = time.Time{}
		}
		if hasRes && rec[resCol] == "Duplicate" {
			dupRes[id] = true
		}
		issues = append(issues, domain.Issue{
			ID:          id,
			Key:         id,
			ProjectKey:  "HADOOP",
			Type:        domain.TypeBug,
			Summary:     rec[col["Summary"]],
			Description: rec[col["Description"]],
			Priority:    rec[col["Priority"]],
			Created:     created,
		})
	}
	return issues, dupRes, skipped, nil
}

// readPairs reads (Issue id, Duplicate id) rows. A cell may list several
// ids ("13547000, 13396667"): each combination is a pair. An unquoted list
// spreads over extra fields; those are read as more duplicate ids. Rows
// with an empty side are skipped and counted in skipped.
func readPairs(path string, skipped map[string]int) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read pairs: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read pairs %s: header: %w", path, err)
	}
	if len(header) < 2 || strings.TrimSpace(header[0]) != "Issue id" {
		return nil, fmt.Errorf("read pairs %s: missing header \"Issue id,Duplicate id\"", path)
	}
	var pairs [][2]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				skipped["pair: unreadable CSV record"]++
				continue
			}
			return nil, fmt.Errorf("read pairs %s: %w", path, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) < 2 {
			skipped["pair: fewer than two cells"]++
			continue
		}
		left := splitIDs(rec[0])
		right := splitIDs(strings.Join(rec[1:], ","))
		if len(left) == 0 || len(right) == 0 {
			skipped["pair: empty id cell"]++
			continue
		}
		for _, a := range left {
			for _, b := range right {
				pairs = append(pairs, [2]string{a, b})
			}
		}
	}
	return pairs, nil
}

// splitIDs splits a cell listing ids separated by commas, semicolons or
// spaces, dropping empty parts and repeats.
func splitIDs(cell string) []string {
	parts := strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	var out []string
	for _, p := range parts {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
