package framework

import (
	"math/rand/v2"
	"testing"

	"github.com/backlogai/backlogai/server/analysis/score"
	"github.com/backlogai/backlogai/server/domain"
)

// BenchmarkReframe10k is the framework part of a switch on a 10k-issue
// backlog: every issue's framework score, the percentile normalisation and
// the MoSCoW ranking (score.Rank), without re-analysing the issues.
func BenchmarkReframe10k(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 10_000
	facts := make([]Facts, n)
	inputs := make([]map[string]float64, n)
	for i := range facts {
		for k := range facts[i].Pillars {
			facts[i].Pillars[k] = 10 * r.Float64()
		}
		facts[i].Points, facts[i].HasPoints, facts[i].Quality = float64(1+r.IntN(8)), r.IntN(2) == 0, r.IntN(100)
		if i%4 == 0 {
			inputs[i] = map[string]float64{"reach": float64(r.IntN(5000)), "impact": 2, "confidence": 80}
		}
	}
	cfg := &domain.FrameworkConfig{Name: RICE}
	items := make([]score.Result, n)
	raws := make([]float64, n)
	for b.Loop() {
		for i := range facts {
			fs := Compute(cfg, inputs[i], nil, facts[i])
			raws[i] = fs.Raw
			items[i] = score.Result{Key: "P-" + string(rune('A'+i%26)), Points: facts[i].Points, PointsSource: "issue"}
		}
		norm := NewNormaliser(raws)
		for i := range items {
			items[i].Score.Total = norm.Percentile(raws[i])
		}
		score.Rank(items, domain.DefaultStrategy())
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/switch")
}
