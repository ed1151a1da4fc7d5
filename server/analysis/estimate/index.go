package estimate

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
	"sync"

	"github.com/backlogai/backlogai/server/analysis/text"
	"github.com/backlogai/backlogai/server/domain"
)

// doc is one estimated past issue.
type doc struct {
	key     string
	summary string
	points  float64
	terms   []int32   // term ids, ascending
	tf      []float32 // sublinear term frequency, parallel to terms
	words   int       // distinct word terms (not type or component)
	dead    bool
}

// posting is one document's normalised TF-IDF weight for a term.
type posting struct {
	doc int32
	w   float32
}

// index is an inverted TF-IDF index over docs with cosine similarity.
type index struct {
	vocab map[string]int32
	df    []int32   // live documents per term
	idf   []float64 // frozen between reweights; 0 = not yet set
	docs  []doc     // in creation order, oldest first
	post  [][]posting
	byKey map[string]int
	live  int
	// weighted is true once postings exist; weightedAt is the live count
	// at the last full weighting.
	weighted   bool
	weightedAt int
	scratch    sync.Pool // *accumulator
}

type accumulator struct {
	acc     []float64
	touched []int32
}

func (x *index) init() {
	x.vocab = map[string]int32{}
	x.byKey = map[string]int{}
}

// Pseudo-term prefixes: the text pipeline never emits a NUL byte, so these
// cannot collide with words.
const (
	typeTerm      = "\x00type:"
	componentTerm = "\x00component:"
)

// termCounts weighs the terms of an issue: summary terms count
// SummaryWeight, description terms (the first MaxDescriptionTerms) count 1,
// and the issue type and each component count 1 as pseudo-terms.
func termCounts(is *domain.Issue, o Options) map[string]float64 {
	c := map[string]float64{}
	text.Each(is.Summary, func(term, _ string) { c[term] += o.SummaryWeight })
	n := 0
	text.Each(is.Description, func(term, _ string) {
		if n < o.MaxDescriptionTerms {
			c[term]++
			n++
		}
	})
	if is.Type != "" {
		c[typeTerm+string(is.Type)]++
	}
	for _, comp := range is.Components {
		c[componentTerm+lowerASCII(comp)]++
	}
	return c
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// tfWeight damps repeated terms: the tenth mention is not ten times the
// evidence of the first.
func tfWeight(c float64) float64 { return 1 + math.Log(c) }

// newDoc tokenises an issue, adding unseen terms to the vocabulary.
func (x *index) newDoc(is *domain.Issue, o Options) doc {
	d := doc{key: is.Key, summary: is.Summary, points: *is.StoryPoints}
	counts := termCounts(is, o)
	type tc struct {
		id int32
		c  float64
	}
	// New terms get ids in sorted order, so that ids (and with them the
	// order of float sums) never depend on map iteration order.
	words := make([]string, 0, len(counts))
	for t := range counts {
		words = append(words, t)
	}
	slices.Sort(words)
	ts := make([]tc, 0, len(counts))
	for _, t := range words {
		c := counts[t]
		if isWord(t) {
			d.words++
		}
		id, ok := x.vocab[t]
		if !ok {
			id = int32(len(x.df))
			x.vocab[t] = id
			x.df = append(x.df, 0)
			x.idf = append(x.idf, 0)
			x.post = append(x.post, nil)
		}
		ts = append(ts, tc{id, c})
	}
	slices.SortFunc(ts, func(a, b tc) int { return cmp.Compare(a.id, b.id) })
	d.terms = make([]int32, len(ts))
	d.tf = make([]float32, len(ts))
	for i, t := range ts {
		d.terms[i], d.tf[i] = t.id, float32(tfWeight(t.c))
	}
	return d
}

func (x *index) idfOf(df int32) float64 {
	return math.Log(float64(x.live+1)/float64(df+1)) + 1
}

// append adds d as the newest document.
func (x *index) append(d doc) {
	i := len(x.docs)
	x.docs = append(x.docs, d)
	x.byKey[d.key] = i
	x.live++
	for _, id := range d.terms {
		x.df[id]++
		if x.idf[id] == 0 {
			x.idf[id] = x.idfOf(x.df[id])
		}
	}
	if x.weighted {
		x.insertPostings(i)
	}
}

// remove marks document i dead and drops its postings.
func (x *index) remove(i int) {
	d := &x.docs[i]
	if x.weighted {
		x.dropPostings(i)
	}
	for _, id := range d.terms {
		x.df[id]--
	}
	if j, ok := x.byKey[d.key]; ok && j == i {
		delete(x.byKey, d.key)
	}
	d.dead, d.terms, d.tf = true, nil, nil
	x.live--
}

// replace swaps document i for d, keeping its place in time.
func (x *index) replace(i int, d doc) {
	x.remove(i)
	x.docs[i] = d
	x.byKey[d.key] = i
	x.live++
	for _, id := range d.terms {
		x.df[id]++
		if x.idf[id] == 0 {
			x.idf[id] = x.idfOf(x.df[id])
		}
	}
	if x.weighted {
		x.insertPostings(i)
	}
}

func (x *index) insertPostings(i int) {
	d := &x.docs[i]
	var norm float64
	for j, id := range d.terms {
		v := float64(d.tf[j]) * x.idf[id]
		norm += v * v
	}
	if norm == 0 {
		return
	}
	inv := 1 / math.Sqrt(norm)
	for j, id := range d.terms {
		x.post[id] = append(x.post[id], posting{doc: int32(i), w: float32(float64(d.tf[j]) * x.idf[id] * inv)})
	}
}

func (x *index) dropPostings(i int) {
	for _, id := range x.docs[i].terms {
		x.post[id] = slices.DeleteFunc(x.post[id], func(p posting) bool { return p.doc == int32(i) })
	}
}

// compact drops dead documents. Postings must be rebuilt afterwards.
func (x *index) compact() {
	if x.live == len(x.docs) {
		return
	}
	x.docs = slices.DeleteFunc(x.docs, func(d doc) bool { return d.dead })
	clear(x.byKey)
	for i, d := range x.docs {
		x.byKey[d.key] = i
	}
	x.weighted = false
}

// reweight recomputes IDF from the live documents and rebuilds postings.
func (x *index) reweight() {
	for id, df := range x.df {
		x.idf[id] = x.idfOf(df)
	}
	for id := range x.post {
		x.post[id] = x.post[id][:0]
	}
	for i := range x.docs {
		if !x.docs[i].dead {
			x.insertPostings(i)
		}
	}
	x.weighted = true
	x.weightedAt = x.live
}

// query is a normalised query vector over known terms.
type query struct {
	terms []int32
	w     []float64
	words int // known word terms: how much text there is to compare
}

// query vectorises an issue. Terms the history never saw count towards
// the norm (a text full of new words is less similar to everything) but
// cannot match.
func (x *index) query(is *domain.Issue, o Options) query {
	counts := termCounts(is, o)
	var q query
	var norm float64
	type tw struct {
		id int32
		w  float64
	}
	known := make([]tw, 0, len(counts))
	// Summing in sorted order keeps the norm bit-for-bit reproducible.
	words := make([]string, 0, len(counts))
	for t := range counts {
		words = append(words, t)
	}
	slices.Sort(words)
	for _, t := range words {
		c := counts[t]
		id, ok := x.vocab[t]
		idf := x.idfOf(0)
		if ok {
			idf = x.idf[id]
		}
		w := tfWeight(c) * idf
		norm += w * w
		if ok {
			known = append(known, tw{id, w})
			if isWord(t) {
				q.words++
			}
		}
	}
	if norm == 0 {
		return q
	}
	slices.SortFunc(known, func(a, b tw) int { return cmp.Compare(a.id, b.id) })
	inv := 1 / math.Sqrt(norm)
	for _, k := range known {
		q.terms = append(q.terms, k.id)
		q.w = append(q.w, k.w*inv)
	}
	return q
}

// cand is a neighbour candidate.
type cand struct {
	doc int32
	sim float64
}

// better orders candidates: more similar first, then newer first.
func better(a, b cand) bool {
	if a.sim != b.sim {
		return a.sim > b.sim
	}
	return a.doc > b.doc
}

// candHeap is a min-heap on better, holding the best k seen so far.
type candHeap []cand

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h candHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(v any)        { *h = append(*h, v.(cand)) }
func (h *candHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// docQuery is the query vector of document i itself, for estimating it
// from the documents before it.
func (x *index) docQuery(i int) query {
	d := &x.docs[i]
	q := query{terms: d.terms, w: make([]float64, len(d.terms)), words: d.words}
	var norm float64
	for j, id := range d.terms {
		q.w[j] = float64(d.tf[j]) * x.idf[id]
		norm += q.w[j] * q.w[j]
	}
	if norm == 0 {
		return query{}
	}
	inv := 1 / math.Sqrt(norm)
	for j := range q.w {
		q.w[j] *= inv
	}
	return q
}

// nearest returns up to k live documents before position before with
// cosine similarity above minSim, best first, skipping the document keyed
// exclude.
func (x *index) nearest(q query, exclude string, k int, minSim float64, before int) []cand {
	if len(q.terms) == 0 {
		return nil
	}
	a, _ := x.scratch.Get().(*accumulator)
	if a == nil {
		a = &accumulator{}
	}
	if len(a.acc) < len(x.docs) {
		a.acc = make([]float64, len(x.docs))
	}
	a.touched = a.touched[:0]
	for j, id := range q.terms {
		qw := q.w[j]
		for _, p := range x.post[id] {
			if a.acc[p.doc] == 0 {
				a.touched = append(a.touched, p.doc)
			}
			a.acc[p.doc] += qw * float64(p.w)
		}
	}
	skip := int32(-1)
	if i, ok := x.byKey[exclude]; ok && exclude != "" {
		skip = int32(i)
	}
	h := make(candHeap, 0, k+1)
	for _, di := range a.touched {
		s := a.acc[di]
		a.acc[di] = 0
		if s <= minSim || di == skip || int(di) >= before {
			continue
		}
		c := cand{doc: di, sim: min(s, 1)}
		if len(h) < k {
			heap.Push(&h, c)
		} else if better(c, h[0]) {
			h[0] = c
			heap.Fix(&h, 0)
		}
	}
	x.scratch.Put(a)
	out := []cand(h)
	slices.SortFunc(out, func(a, b cand) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	return out
}

// isWord reports whether a term is a word, not a type or component
// pseudo-term.
func isWord(t string) bool { return t != "" && t[0] != 0 }
