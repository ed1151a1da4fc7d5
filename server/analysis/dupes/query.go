package dupes

import (
	"container/heap"
	"math"
	"sort"
	"strings"

	"github.com/backlogai/backlogai/server/domain"
)

// Query returns up to k indexed issues most similar to is, best first. The
// issue itself (same Key) is never returned, so an indexed issue can be
// queried with its current, possibly unsaved, text.
//
// Similarity is the cosine of the two issues' BM25F term vectors: a term's
// component is its weight (idf, lowered for terms in a large share of the
// project's issues) times its saturated, length-normalised frequency with
// the summary counting SummaryWeight times a description word; it is then
// lowered by how far apart the issues were created (Options.TimeWeight).
// It is symmetric: A's similarity to B is B's to A, whichever is queried.
// It is 1 for the same text filed together and 0 for nothing in common.
// Candidates are sorted by it (ties by key); Band puts it in words (see
// Options.Band), and a likely duplicate also needs MinLikelyEvidence
// shared words. Done marks resolved candidates: work already done.
func (x *Index) Query(is domain.Issue, k int) []domain.Candidate {
	return x.QueryExcluding(is, k, nil)
}

// QueryExcluding is Query leaving out every candidate whose key skip
// reports true (an issue's parent, sub-tasks, epic or linked issues): the k
// results are the best of the others, not a shortened list.
func (x *Index) QueryExcluding(is domain.Issue, k int, skip func(key string) bool) []domain.Candidate {
	a := x.analyse(is.Summary, is.Description)
	x.mu.RLock()
	defer x.mu.RUnlock()
	exclude := int32(-1)
	if id, ok := x.byKey[is.Key]; ok && is.Key != "" {
		exclude = id
	}
	q := x.queryFromAnalysedLocked(a)
	q.created = unixOf(is.Created)
	return x.searchLocked(q, exclude, k, skip)
}

// QueryText is Query for free text: its first line is read as the summary,
// the rest as the description (the layout of domain.Issue.Text).
func (x *Index) QueryText(s string, k int) []domain.Candidate {
	summary, description, _ := strings.Cut(s, "\n")
	return x.Query(domain.Issue{Summary: summary, Description: description}, k)
}

// QueryKey returns up to k issues most similar to the indexed issue key,
// excluding itself. It fails with domain.ErrNotFound when key is not
// indexed.
func (x *Index) QueryKey(key string, k int) ([]domain.Candidate, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	id, ok := x.byKey[key]
	if !ok {
		return nil, errNotIndexed(key)
	}
	d := &x.docs[id]
	q := x.newQueryLocked(d.terms, d.tfs, x.lens[id])
	q.created = d.created
	return x.searchLocked(q, id, k, nil), nil
}

// Similarity returns the similarity of two indexed issues (0 when either
// is not indexed); it equals what QueryKey reports for the pair.
func (x *Index) Similarity(a, b string) float64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ia, ok1 := x.byKey[a]
	ib, ok2 := x.byKey[b]
	if !ok1 || !ok2 {
		return 0
	}
	d := &x.docs[ia]
	q := x.newQueryLocked(d.terms, d.tfs, x.lens[ia])
	q.created = d.created
	return x.exactLocked(q, ib)
}

// Evidence returns how many non-boilerplate words two indexed issues share
// (0 when either is not indexed), as counted for MinLikelyEvidence.
func (x *Index) Evidence(a, b string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ia, ok1 := x.byKey[a]
	ib, ok2 := x.byKey[b]
	if !ok1 || !ok2 {
		return 0
	}
	d := &x.docs[ia]
	_, n := x.sharedLocked(x.newQueryLocked(d.terms, d.tfs, x.lens[ia]), ib)
	return n
}

// query is a prepared query: its terms with their weights.
type query struct {
	terms []qterm // known terms, weightiest first
	all   []qterm // every term, known or not, sorted by id (unknown: -1)
	norm  float64 // length of the query's term vector
	// created is the query issue's creation time (unix seconds, 0: unknown).
	created int64
}

type qterm struct {
	id  int32
	w   float64 // term weight (idf × boilerplate factor)
	sat float64 // the query's saturated frequency of the term
}

// idf is the BM25 inverse document frequency in its non-negative form.
func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// weight is a term's weight: its idf, times a factor that falls from 1 to
// near zero as the share of the project's issues holding the term rises
// from CommonShare to twice that. Template words ("reproduce", "expected",
// "planning") are in a large share of one project's issues and carry no
// evidence there, though they may in another project: the share is learned
// from the index itself, never listed by hand.
func (x *Index) weight(df int) float64 {
	w := idf(x.live, df)
	s0 := x.opt.CommonShare
	if s0 <= 0 || x.live < minCommonDocs || df < minCommonDocs {
		return w
	}
	share := float64(df) / float64(x.live)
	switch {
	case share <= s0:
		return w
	case share >= 2*s0:
		return w * commonFloor
	}
	return w * (1 - (1-commonFloor)*(share-s0)/s0)
}

const (
	// minCommonDocs is the number of issues (and of issues holding a term)
	// below which shares are too noisy to call a term boilerplate.
	minCommonDocs = 8
	// commonFloor is the weight factor left to a boilerplate term.
	commonFloor = 0.05
)

func (x *Index) queryFromAnalysedLocked(a analysed) query {
	ids := make([]int32, len(a.terms))
	for i, term := range a.terms {
		tid, ok := x.dict[term]
		if !ok {
			tid = -1 // unknown: no postings, but part of the query's length
		}
		ids[i] = tid
	}
	return x.newQueryLocked(ids, a.tfs, fieldLens{s: clampU16(a.lenS), d: clampU16(a.lenD)})
}

// newQueryLocked weighs the query terms (id -1 for terms not in the index)
// and computes the length of the query's vector over all of them.
func (x *Index) newQueryLocked(ids []int32, tfs []tf, l fieldLens) query {
	q := query{all: make([]qterm, 0, len(ids))}
	n := x.norm(l)
	for i, tid := range ids {
		df := 0
		if tid >= 0 {
			df = int(x.terms[tid].df)
		}
		qt := qterm{id: tid, w: x.weight(df), sat: x.saturate(tfs[i], n)}
		q.all = append(q.all, qt)
		if df > 0 {
			q.terms = append(q.terms, qt)
		}
	}
	// Summed in term id order, as vecNormLocked does, so that an indexed
	// issue's length is the same bit for bit either way.
	sort.Slice(q.all, func(i, j int) bool { return q.all[i].id < q.all[j].id })
	for _, qt := range q.all {
		q.norm += sq(qt.w * qt.sat)
	}
	q.norm = math.Sqrt(q.norm)
	// Retrieve with the weightiest terms when the query is too long; the
	// final similarity still uses all of them.
	sort.Slice(q.terms, func(i, j int) bool { return q.terms[i].w*q.terms[i].sat > q.terms[j].w*q.terms[j].sat })
	if o := &x.opt; o.MaxQueryTerms > 0 && len(q.terms) > o.MaxQueryTerms {
		q.terms = q.terms[:o.MaxQueryTerms]
	}
	return q
}

func sq(v float64) float64 { return v * v }

// saturate is BM25F's per-term document factor tf/(k1+tf) for field
// frequencies t under length norms n.
func (x *Index) saturate(t tf, n fieldNorms) float64 {
	f := x.opt.SummaryWeight*float64(t.s)*float64(n.s) + x.opt.DescriptionWeight*float64(t.d)*float64(n.d)
	return f / (x.opt.K1 + f)
}

// vecNormLocked is the length of doc id's term vector under the current
// weights.
func (x *Index) vecNormLocked(id int32) float64 {
	d := &x.docs[id]
	n := x.norms[id]
	s := 0.0
	for i, tid := range d.terms {
		s += sq(x.weight(int(x.terms[tid].df)) * x.saturate(d.tfs[i], n))
	}
	return math.Sqrt(s)
}

// exactLocked is the cosine of query q and doc id, from unquantised
// frequencies.
func (x *Index) exactLocked(q query, id int32) float64 {
	d := &x.docs[id]
	n := x.norms[id]
	dot := 0.0
	i, j := 0, 0
	for i < len(q.all) && j < len(d.terms) {
		switch a, b := q.all[i].id, d.terms[j]; {
		case a < b:
			i++
		case a > b:
			j++
		default:
			qt := q.all[i]
			// sat·sat first, so that the product is the same bit for bit
			// whichever issue is the query.
			dot += qt.w * qt.w * (qt.sat * x.saturate(d.tfs[j], n))
			i++
			j++
		}
	}
	den := q.norm * x.vecNormLocked(id)
	if dot <= 0 || den <= 0 {
		return 0
	}
	return min(1, dot/den) * x.timeFactor(q.created, d.created)
}

// timeFactor is the creation-time part of the similarity (see
// Options.TimeWeight): 1 for issues filed together, falling towards
// 1-TimeWeight as they are filed further apart.
func (x *Index) timeFactor(a, b int64) float64 {
	w, scale := x.opt.TimeWeight, x.opt.TimeScale
	if w <= 0 || scale <= 0 || a == 0 || b == 0 {
		return 1
	}
	days := math.Abs(float64(a-b)) / 86400
	return 1 - w*(1-math.Exp(-days/scale))
}

// scratch is per-query working memory, pooled.
type scratch struct {
	acc []float32 // by doc id, zero between queries
}

// shortlist is how many docs, per requested candidate, the quantised first
// pass hands to the exact cosine (at least minShortlist).
const (
	shortlist    = 4
	minShortlist = 16
)

func (x *Index) searchLocked(q query, exclude int32, k int, skip func(string) bool) []domain.Candidate {
	if k <= 0 || len(q.terms) == 0 || q.norm == 0 {
		return nil
	}
	sc, _ := x.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	if len(sc.acc) < len(x.docs) {
		sc.acc = make([]float32, len(x.docs)+len(x.docs)/4)
	}
	acc := sc.acc[:len(x.docs)]

	// Term at a time over every posting: one multiply-add each, removed
	// docs adding 0. A 100k-issue index answers in about a millisecond
	// without the bookkeeping of dynamic pruning.
	for _, qt := range q.terms {
		t := &x.terms[qt.id]
		w := float32(qt.w * qt.w * qt.sat / 255)
		imp := t.imp[:len(t.docs)]
		for j, id := range t.docs {
			acc[id] += w * float32(imp[j])
		}
	}
	if exclude >= 0 {
		acc[exclude] = 0
	}
	// First pass: the quantised dot product over the cached vector length
	// (refreshed as the index drifts) picks a shortlist; the exact cosine
	// then orders it, so the reported similarity is exact and symmetric.
	m := max(k*shortlist, minShortlist)
	h := topK{k: m}
	for id, v := range acc {
		if v <= 0 {
			continue
		}
		if vn := x.vnorm[id]; vn > 0 {
			v /= vn
		}
		if len(h.ids) == m && v < h.scores[0] {
			continue // the time factor is at most 1
		}
		v *= float32(x.timeFactor(q.created, x.docs[id].created))
		if (len(h.ids) < m || v >= h.scores[0]) && (skip == nil || !skip(x.docs[id].key)) {
			h.offer(int32(id), v)
		}
	}
	clear(acc)
	x.pool.Put(sc)

	type scored struct {
		id  int32
		sim float64
	}
	ss := make([]scored, 0, len(h.ids))
	for _, id := range h.ids {
		if s := x.exactLocked(q, id); s > 0 {
			ss = append(ss, scored{id, s})
		}
	}
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].sim != ss[j].sim {
			return ss[i].sim > ss[j].sim
		}
		return x.docs[ss[i].id].key < x.docs[ss[j].id].key
	})
	ss = ss[:min(k, len(ss))]
	out := make([]domain.Candidate, len(ss))
	for i, s := range ss {
		d := &x.docs[s.id]
		shared, evidence := x.sharedLocked(q, s.id)
		band := x.opt.Band(s.sim)
		if band == domain.BandLikely && evidence < MinLikelyEvidence {
			// Two one-line issues sharing one word ("Better emails", "Have
			// a better dashboard") have a high cosine and no evidence.
			band = domain.BandRelated
		}
		out[i] = domain.Candidate{
			Key:         d.key,
			Summary:     d.summary,
			Similarity:  s.sim,
			SharedTerms: shared,
			Near:        band == domain.BandLikely,
			Band:        band,
			Done:        d.done,
		}
	}
	return out
}

// MinLikelyEvidence is the number of shared, non-boilerplate words a
// "likely duplicate" needs, whatever its similarity.
const MinLikelyEvidence = 2

// Band names a similarity: domain.BandLikely at or above LikelyThreshold,
// domain.BandRelated at or above RelatedThreshold, "" below.
func (o Options) Band(sim float64) string {
	switch {
	case sim >= o.LikelyThreshold:
		return domain.BandLikely
	case sim >= o.RelatedThreshold:
		return domain.BandRelated
	}
	return ""
}

// sharedLocked returns the readable words of the terms contributing most
// to doc id's score, strongest first.
//
// It also returns how many of the shared words are evidence: not
// boilerplate (see weight).
func (x *Index) sharedLocked(q query, id int32) ([]string, int) {
	type contrib struct {
		word string
		v    float64
	}
	d := &x.docs[id]
	n := x.norms[id]
	var cs []contrib
	evidence := 0
	for _, qt := range q.terms {
		t, ok := d.lookup(qt.id)
		if !ok {
			continue
		}
		w := x.terms[qt.id].word
		if w == "" { // bigram
			continue
		}
		cs = append(cs, contrib{w, qt.w * qt.w * qt.sat * x.saturate(t, n)})
		if qt.w >= 0.5*idf(x.live, int(x.terms[qt.id].df)) {
			evidence++
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].v != cs[j].v {
			return cs[i].v > cs[j].v
		}
		return cs[i].word < cs[j].word
	})
	limit := min(len(cs), x.opt.SharedTerms)
	words := make([]string, 0, limit)
	for _, c := range cs[:limit] {
		words = append(words, c.word)
	}
	return words, evidence
}

// topK keeps the k best (score, id) pairs in a min-heap; ties prefer the
// lower (older) doc id so results are deterministic.
type topK struct {
	k      int
	ids    []int32
	scores []float32
}

func (h *topK) Len() int { return len(h.ids) }
func (h *topK) Less(i, j int) bool {
	if h.scores[i] != h.scores[j] {
		return h.scores[i] < h.scores[j]
	}
	return h.ids[i] > h.ids[j]
}
func (h *topK) Swap(i, j int) {
	h.ids[i], h.ids[j] = h.ids[j], h.ids[i]
	h.scores[i], h.scores[j] = h.scores[j], h.scores[i]
}
func (h *topK) Push(v any) { panic("unused") }
func (h *topK) Pop() any   { panic("unused") }

func (h *topK) offer(id int32, s float32) {
	if len(h.ids) < h.k {
		h.ids = append(h.ids, id)
		h.scores = append(h.scores, s)
		if len(h.ids) == h.k {
			heap.Init(h)
		}
		return
	}
	if s < h.scores[0] || s == h.scores[0] && id > h.ids[0] {
		return
	}
	h.ids[0], h.scores[0] = id, s
	heap.Fix(h, 0)
}
