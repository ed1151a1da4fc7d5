// Package dupes finds possible duplicates among a project's issues. It keeps
// an in-memory inverted index over summaries and descriptions, updated one
// issue at a time. Each issue is a vector of BM25F term weights (the text
// part of REP, Sun et al. 2011: a summary term counts more than one in the
// description, term frequency saturates, each field is normalised by its
// length); the similarity of two issues is the cosine of their vectors,
// lowered by how far apart they were filed, so it is one symmetric number
// per pair and candidate lists are sorted by it.
//
// Terms come from server/analysis/text (identifier-aware tokens with
// camelCase split, stop words dropped, Porter stems), plus whole version
// numbers and hyphenated keys ("3.4.0", "CVE-2022-40149", "HADOOP-17796");
// version and time-stamp fragments ("v2", "787z") and URL boilerplate
// (scheme, host, leading path) are dropped, and only the top frames of each
// pasted stack trace are read. Boilerplate is learned per project: template
// lines found in many issues are skipped (Learn) and terms in a large share
// of the issues lose their weight. On the Hadoop duplicate pairs this
// reaches recall@1/5/10 of 0.66/0.85/0.90 (REP: 0.41/0.60/0.65); see
// docs/evaluation.md.
//
// Memory: a term dictionary, and per term a posting list of int32 doc ids
// with a one-byte quantised BM25F saturation, so that the first retrieval
// pass is one multiply-add per posting; the shortlist it yields is then
// scored exactly. Each doc keeps its sorted term ids and frequencies (for
// removal, QueryKey, exact scores and explanations). Removal zeroes the
// doc's impacts (a tombstone); once a quarter of the doc ids are dead the
// postings are compacted.
//
// An Index is safe for concurrent use: queries share a read lock, Add,
// Update and Remove take the write lock (text analysis happens before it),
// so it suits one writer (the webhook worker) with many readers.
package dupes

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// Options tune the ranking. Start from DefaultOptions; New treats the zero
// value as DefaultOptions.
type Options struct {
	// SummaryWeight and DescriptionWeight are the BM25F field weights.
	SummaryWeight     float64
	DescriptionWeight float64
	// SummaryB and DescriptionB are the per-field length normalisation
	// (0: none, 1: full).
	SummaryB     float64
	DescriptionB float64
	// K1 is the term-frequency saturation.
	K1 float64
	// MaxFieldTerms caps the terms read from one field: pasted logs and
	// stack traces beyond it add noise and memory, not evidence.
	MaxFieldTerms int
	// MaxQueryTerms caps the distinct query terms used to retrieve
	// candidates, keeping the weightiest, so a huge query stays fast.
	MaxQueryTerms int
	// Bigrams adds adjacent term pairs within a field as extra terms. Off
	// by default: on the Hadoop pairs it lowered recall@10 from 0.79 to
	// 0.74 and doubles the postings.
	Bigrams bool
	// ExactTerms adds version numbers and hyphenated keys (CVE ids, issue
	// keys) as whole terms, besides the words they split into.
	ExactTerms bool
	// MaxFrames keeps only the first frames of each stack trace in a
	// description (0 keeps all): the frames below are test-runner and
	// framework boilerplate shared by unrelated failures.
	MaxFrames int
	// CommonShare is the share of the project's issues above which a term
	// counts as boilerplate: its weight falls linearly to near zero at
	// twice the share (0: off). See Index.weight.
	CommonShare float64
	// BoilerplateLines is the share of issues (at least 3) whose
	// descriptions must hold the same line (compared without case, digits
	// and punctuation) or the same line label ("Expected:") for Learn to
	// ignore it: template headings and labels such as "Steps to
	// reproduce", "Actual:" or "Discussed in the last planning" (0: off).
	BoilerplateLines float64
	// TimeWeight and TimeScale make creation-time proximity part of the
	// similarity: the text cosine is multiplied by
	// 1 - TimeWeight·(1 - exp(-days apart/TimeScale)), so two issues filed
	// years apart keep 1-TimeWeight of it (TimeWeight 0: off; unknown
	// creation times: no change). Duplicates are mostly filed close
	// together; on the Hadoop pairs this helped in every cross-validation
	// fold.
	TimeWeight float64
	TimeScale  float64 // days
	// LikelyThreshold is the Similarity at or above which a candidate is a
	// "likely duplicate" (Near, and the issue is flagged);
	// RelatedThreshold the one for "related". Chosen by cross-validation
	// on the Hadoop pairs for precision (see server/eval.Duplicates and
	// docs/evaluation.md).
	LikelyThreshold  float64
	RelatedThreshold float64
	// SharedTerms is how many shared words a candidate shows.
	SharedTerms int
}

// DefaultOptions returns the ranking settings. The BM25F constants are the
// textbook ones (k1 1.2, b 0.75 for the long field, a lighter 0.5 for the
// summary) with the summary weighted three times a description word; none
// of them moved recall on the Hadoop pairs by more than noise, so they were
// not tuned. CommonShare, BoilerplateLines and the thresholds were chosen
// by cross-validation over groups of the Hadoop pairs (server/eval).
func DefaultOptions() Options {
	return Options{
		SummaryWeight:     3,
		DescriptionWeight: 1,
		SummaryB:          0.5,
		DescriptionB:      0.75,
		K1:                1.2,
		MaxFieldTerms:     1000,
		MaxQueryTerms:     64,
		Bigrams:           false,
		ExactTerms:        true,
		MaxFrames:         3,
		TimeWeight:        0.5,
		TimeScale:         365,
		CommonShare:       0.2,
		BoilerplateLines:  0.01,
		LikelyThreshold:   0.6,
		RelatedThreshold:  0.35,
		SharedTerms:       5,
	}
}

// Index is an inverted index over issues keyed by issue key.
type Index struct {
	opt Options

	mu    sync.RWMutex
	dict  map[string]int32 // term → id
	terms []termInfo       // by term id
	docs  []doc            // by doc id; removed docs stay until compaction
	byKey map[string]int32 // live docs only
	lens  []fieldLens      // by doc id
	alive []bool           // by doc id
	live  int
	dead  int
	sumS  float64 // total summary length of live docs
	sumD  float64

	// norms holds each doc's BM25F length normalisation per field,
	// 1/(1-b+b·len/avg). It is computed with the averages in normAvg and
	// refreshed, with the postings' impacts, when the live averages drift
	// by more than normDrift.
	norms   []fieldNorms
	normAvg [2]float64

	// vnorm caches each doc's term-vector length for the first retrieval
	// pass, recomputed when the live count drifts by vecNormDrift from
	// vnormLive (the reported similarity is always exact).
	vnorm     []float32
	vnormLive int

	// boiler holds the description lines Learn found in a large share of
	// the project's issues (normalised, see lineKey); read without the lock.
	boiler atomic.Pointer[map[string]struct{}]

	pool sync.Pool // *scratch
}

// termInfo is a term's dictionary entry and posting list. Postings are in
// ascending doc id order (ids only grow; compaction keeps the order).
type termInfo struct {
	word string // readable form shown to people
	df   int32  // live docs containing the term
	docs []int32
	// imp is the posting's BM25F saturation tf/(k1+tf) quantised to
	// 1..255, 0 for a removed doc, so the scoring loop is one multiply-add
	// per posting.
	imp []uint8
}

// tf packs a term's frequency in the summary and in the description.
type tf struct{ s, d uint8 }

type fieldLens struct{ s, d uint16 }

type fieldNorms struct{ s, d float32 }

// normDrift is the relative change of an average field length that makes
// the index recompute all length norms: ranking moves by less than that.
const normDrift = 0.02

// vecNormDrift is the relative change of the live count that refreshes the
// cached vector lengths; they only order the first retrieval pass, the
// reported similarity is computed exactly.
const vecNormDrift = 0.05

type doc struct {
	key     string
	summary string
	done    bool
	created int64   // unix seconds, 0 when unknown
	terms   []int32 // sorted term ids
	tfs     []tf    // parallel to terms
}

// New returns an empty index.
func New(opt Options) *Index {
	if opt == (Options{}) {
		opt = DefaultOptions()
	}
	return &Index{
		opt:   opt,
		dict:  make(map[string]int32),
		byKey: make(map[string]int32),
	}
}

// Len returns the number of indexed issues.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// Options returns the options the index was built with.
func (x *Index) Options() Options { return x.opt }

// Add indexes an issue by its Key, replacing any earlier version of it.
func (x *Index) Add(is domain.Issue) {
	a := x.analyse(is.Summary, is.Description)
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, ok := x.byKey[is.Key]; ok {
		x.removeLocked(id)
	}
	x.addLocked(is.Key, is.Summary, is.StatusCat == domain.StatusDone, unixOf(is.Created), a)
	x.maybeCompactLocked()
}

// Update is Add: the issue's previous text is forgotten, its new text
// indexed.
func (x *Index) Update(is domain.Issue) { x.Add(is) }

// Remove forgets the issue with the given key. It reports whether the key
// was indexed.
func (x *Index) Remove(key string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	id, ok := x.byKey[key]
	if !ok {
		return false
	}
	x.removeLocked(id)
	x.maybeCompactLocked()
	return true
}

func (x *Index) addLocked(key, summary string, done bool, created int64, a analysed) {
	id := int32(len(x.docs))
	d := doc{key: strings.Clone(key), summary: strings.Clone(summary), done: done, created: created, terms: make([]int32, len(a.terms)), tfs: make([]tf, len(a.terms))}
	for i, term := range a.terms {
		tid, ok := x.dict[term]
		if !ok {
			tid = int32(len(x.terms))
			x.dict[strings.Clone(term)] = tid
			x.terms = append(x.terms, termInfo{word: strings.Clone(a.words[i])})
		} else if w := a.words[i]; w != "" && (len(w) < len(x.terms[tid].word) || x.terms[tid].word == "") {
			x.terms[tid].word = strings.Clone(w)
		}
		t := &x.terms[tid]
		t.df++
		t.docs = append(t.docs, id)
		t.imp = append(t.imp, 0) // set below, once the doc's norms are known
		d.terms[i] = tid
		d.tfs[i] = a.tfs[i]
	}
	sortTerms(d.terms, d.tfs)
	x.docs = append(x.docs, d)
	l := fieldLens{s: clampU16(a.lenS), d: clampU16(a.lenD)}
	x.lens = append(x.lens, l)
	n := x.norm(l)
	x.norms = append(x.norms, n)
	for i, tid := range d.terms {
		t := &x.terms[tid]
		t.imp[len(t.imp)-1] = x.impact(d.tfs[i], n)
	}
	x.alive = append(x.alive, true)
	x.byKey[d.key] = id
	x.live++
	x.sumS += float64(a.lenS)
	x.sumD += float64(a.lenD)
	x.vnorm = append(x.vnorm, 0)
	x.refreshNormsLocked()
	x.vnorm[id] = float32(x.vecNormLocked(id))
	x.refreshVecNormsLocked()
}

// refreshVecNormsLocked recomputes the cached vector lengths once the live
// count has drifted (idf and term shares move with it). It walks the
// postings with their quantised saturations, one weight per term and one
// multiply-add per posting: the cache only orders the first retrieval pass.
func (x *Index) refreshVecNormsLocked() {
	if x.vnormLive >= 0 && math.Abs(float64(x.live-x.vnormLive)) <= vecNormDrift*float64(x.vnormLive) {
		return
	}
	x.vnormLive = x.live
	acc := make([]float64, len(x.docs))
	for tid := range x.terms {
		t := &x.terms[tid]
		if t.df <= 0 {
			continue
		}
		w := x.weight(int(t.df)) / 255
		w2 := w * w
		for j, id := range t.docs {
			v := float64(t.imp[j])
			acc[id] += w2 * v * v
		}
	}
	for id, v := range acc {
		x.vnorm[id] = float32(math.Sqrt(v))
	}
}

// impact quantises a posting's saturation to 1..255.
func (x *Index) impact(t tf, n fieldNorms) uint8 {
	return uint8(max(1, math.Round(255*x.saturate(t, n))))
}

// posting returns the index of doc id in term tid's postings, or -1.
func (x *Index) posting(tid, id int32) int {
	docs := x.terms[tid].docs
	j := sort.Search(len(docs), func(j int) bool { return docs[j] >= id })
	if j < len(docs) && docs[j] == id {
		return j
	}
	return -1
}

// norm returns a doc's length normalisation under the current normAvg.
func (x *Index) norm(l fieldLens) fieldNorms {
	f := func(n uint16, b, avg float64) float32 {
		if avg <= 0 {
			return 1
		}
		return float32(1 / (1 - b + b*float64(n)/avg))
	}
	return fieldNorms{s: f(l.s, x.opt.SummaryB, x.normAvg[0]), d: f(l.d, x.opt.DescriptionB, x.normAvg[1])}
}

// refreshNormsLocked recomputes the length norms when the average field
// lengths have drifted.
func (x *Index) refreshNormsLocked() {
	if x.live == 0 {
		return
	}
	avgS, avgD := x.sumS/float64(x.live), x.sumD/float64(x.live)
	drift := func(now, then float64) bool {
		return math.Abs(now-then) > normDrift*math.Max(then, 1e-9)
	}
	if !drift(avgS, x.normAvg[0]) && !drift(avgD, x.normAvg[1]) {
		return
	}
	x.normAvg = [2]float64{avgS, avgD}
	for id, l := range x.lens {
		x.norms[id] = x.norm(l)
	}
	// Term frequencies live with the docs. Visiting terms in id order, a
	// live doc's next term is always the one being visited, so a cursor
	// per doc finds it without searching.
	cur := make([]int32, len(x.docs))
	for tid := range x.terms {
		t := &x.terms[tid]
		for j, id := range t.docs {
			if x.alive[id] {
				t.imp[j] = x.impact(x.docs[id].tfs[cur[id]], x.norms[id])
				cur[id]++
			}
		}
	}
}

func (x *Index) removeLocked(id int32) {
	d := &x.docs[id]
	for _, tid := range d.terms {
		x.terms[tid].df--
		if j := x.posting(tid, id); j >= 0 {
			x.terms[tid].imp[j] = 0
		}
	}
	delete(x.byKey, d.key)
	x.alive[id] = false
	x.live--
	x.dead++
	x.sumS -= float64(x.lens[id].s)
	x.sumD -= float64(x.lens[id].d)
	x.refreshNormsLocked()
	x.refreshVecNormsLocked()
	// The postings still name the doc until compaction; its own data can go.
	d.terms, d.tfs, d.summary = nil, nil, ""
}

// maybeCompactLocked rebuilds the postings without removed docs once they
// make up a quarter of the doc ids, keeping removal amortised O(1) and
// memory bounded.
func (x *Index) maybeCompactLocked() {
	if x.dead < 64 || x.dead*4 < len(x.docs) {
		return
	}
	remap := make([]int32, len(x.docs))
	n := int32(0)
	for id := range x.docs {
		if x.alive[id] {
			remap[id] = n
			x.docs[n] = x.docs[id]
			x.lens[n] = x.lens[id]
			x.norms[n] = x.norms[id]
			x.vnorm[n] = x.vnorm[id]
			x.alive[n] = true
			x.byKey[x.docs[n].key] = n
			n++
		} else {
			remap[id] = -1
		}
	}
	clear(x.docs[n:])
	x.docs, x.lens, x.norms, x.alive, x.vnorm = x.docs[:n], x.lens[:n], x.norms[:n], x.alive[:n], x.vnorm[:n]
	for tid := range x.terms {
		t := &x.terms[tid]
		j := 0
		for i, id := range t.docs {
			if r := remap[id]; r >= 0 {
				t.docs[j], t.imp[j] = r, t.imp[i]
				j++
			}
		}
		t.docs, t.imp = t.docs[:j], t.imp[:j]
		if cap(t.docs) > 2*j+8 {
			t.docs = slices.Clone(t.docs)
			t.imp = slices.Clone(t.imp)
		}
	}
	x.dead = 0
}

func unixOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func clampU16(n int) uint16 {
	if n > math.MaxUint16 {
		return math.MaxUint16
	}
	return uint16(n)
}

// sortTerms sorts ids ascending, keeping tfs parallel.
func sortTerms(ids []int32, tfs []tf) {
	sort.Sort(byTerm{ids, tfs})
}

type byTerm struct {
	ids []int32
	tfs []tf
}

func (b byTerm) Len() int           { return len(b.ids) }
func (b byTerm) Less(i, j int) bool { return b.ids[i] < b.ids[j] }
func (b byTerm) Swap(i, j int) {
	b.ids[i], b.ids[j] = b.ids[j], b.ids[i]
	b.tfs[i], b.tfs[j] = b.tfs[j], b.tfs[i]
}

// lookup returns the tf of term tid in doc d, if present.
func (d *doc) lookup(tid int32) (tf, bool) {
	lo, hi := 0, len(d.terms)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if d.terms[m] < tid {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(d.terms) && d.terms[lo] == tid {
		return d.tfs[lo], true
	}
	return tf{}, false
}

// errNotIndexed wraps domain.ErrNotFound for QueryKey.
func errNotIndexed(key string) error {
	return fmt.Errorf("dupes query %s: %w", key, domain.ErrNotFound)
}
