package dupes

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// benchIssues is a deterministic synthetic backlog: a 20,000-word Zipf
// vocabulary, summaries of 7-13 words, descriptions of 40-80.
func benchIssues(n int) []domain.Issue {
	g := newGenerator(rand.New(rand.NewSource(1)), 20000)
	issues := make([]domain.Issue, n)
	for i := range issues {
		issues[i] = g.issue(fmt.Sprintf("BENCH-%d", i+1))
	}
	return issues
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkBuild100k measures building an index of 100,000 issues (target
// under 10 s per op) and the heap it holds (MB/100k).
func BenchmarkBuild100k(b *testing.B) {
	issues := benchIssues(100_000)
	var x *Index
	var heap float64
	for b.Loop() {
		x = nil
		before := heapInUse()
		x = New(DefaultOptions())
		for _, is := range issues {
			x.Add(is)
		}
		b.StopTimer()
		heap = float64(heapInUse()-before) / (1 << 20)
		b.StartTimer()
	}
	b.ReportMetric(heap, "MB/100k")
	if x.Len() != len(issues) {
		b.Fatalf("Len = %d, want %d", x.Len(), len(issues))
	}
}

// BenchmarkQuery100k measures Query latency over a 100,000-issue index
// with unseen issues of the same distribution (target p99 under 5 ms). Each
// op is one query; p50 and p99 are measured per query.
func BenchmarkQuery100k(b *testing.B) {
	x := New(DefaultOptions())
	for _, is := range benchIssues(100_000) {
		x.Add(is)
	}
	g := newGenerator(rand.New(rand.NewSource(2)), 20000)
	queries := make([]domain.Issue, 1000)
	for i := range queries {
		queries[i] = g.issue("")
	}
	lat := make([]time.Duration, 0, 1<<16)
	i := 0
	for b.Loop() {
		start := time.Now()
		cs := x.Query(queries[i%len(queries)], 10)
		lat = append(lat, time.Since(start))
		if len(cs) == 0 {
			b.Fatal("no candidates")
		}
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkQueryKey100k is QueryKey on indexed issues (no text analysis).
func BenchmarkQueryKey100k(b *testing.B) {
	x := New(DefaultOptions())
	for _, is := range benchIssues(100_000) {
		x.Add(is)
	}
	i := 0
	for b.Loop() {
		if _, err := x.QueryKey(fmt.Sprintf("BENCH-%d", 1+i*7919%100_000), 10); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkUpdate100k measures replacing one issue in a 100,000-issue index.
func BenchmarkUpdate100k(b *testing.B) {
	x := New(DefaultOptions())
	for _, is := range benchIssues(100_000) {
		x.Add(is)
	}
	g := newGenerator(rand.New(rand.NewSource(3)), 20000)
	i := 0
	for b.Loop() {
		x.Update(g.issue(fmt.Sprintf("BENCH-%d", 1+i*7919%100_000)))
		i++
	}
}
