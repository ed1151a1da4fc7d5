package score

import (
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// BenchmarkScore scores one realistic issue per op, cycling through a
// deterministic backlog of 10,000 (target: well under 50 µs/op).
func BenchmarkScore(b *testing.B) {
	ins := genBacklog(10000, 1)
	sc := NewScorer(testStrategy())
	var bytes int64
	for _, in := range ins {
		bytes += int64(len(in.Issue.Summary) + len(in.Issue.Description))
	}
	b.SetBytes(bytes / int64(len(ins)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = sc.Score(ins[i%len(ins)], testNow)
		i++
	}
}

// BenchmarkScoreBacklog10k scores a whole 10,000-issue backlog per op and
// ranks it in capacity mode.
func BenchmarkScoreBacklog10k(b *testing.B) {
	ins := genBacklog(10000, 1)
	s := testStrategy()
	s.Mode, s.Capacity = domain.MoscowCapacity, 2000
	b.ReportAllocs()
	for b.Loop() {
		sc := NewScorer(s)
		res := make([]Result, len(ins))
		for i, in := range ins {
			res[i] = sc.Score(in, testNow)
		}
		Rank(res, s)
	}
}

// BenchmarkRerank10k is a weight slider move: reweight stored scores of
// 10,000 issues and rank them again.
func BenchmarkRerank10k(b *testing.B) {
	ins := genBacklog(10000, 1)
	s := testStrategy()
	sc := NewScorer(s)
	res := make([]Result, len(ins))
	for i, in := range ins {
		res[i] = sc.Score(in, testNow)
	}
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		k++
		s.Weights = [5]float64{float64(1 + k%5), 1, 2, 1, float64(1 + k%3)}
		Rerank(res, s)
	}
}

// BenchmarkScoreLongText scores issues whose descriptions are about 2 KB,
// the long tail of real backlogs.
func BenchmarkScoreLongText(b *testing.B) {
	ins := genBacklog(1000, 2)
	var bytes int64
	for i := range ins {
		iss := *ins[i].Issue
		for len(iss.Description) < 2000 {
			iss.Description += "\n" + ins[(i+len(iss.Description))%len(ins)].Issue.Description
		}
		ins[i].Issue = &iss
		bytes += int64(len(iss.Summary) + len(iss.Description))
	}
	sc := NewScorer(testStrategy())
	b.SetBytes(bytes / int64(len(ins)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = sc.Score(ins[i%len(ins)], testNow)
		i++
	}
}
