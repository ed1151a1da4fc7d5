package estimate_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/analysis/estimate"
	"github.com/backlogai/backlogai/server/domain"
)

// synthetic makes n issues that look like a team's backlog: Zipf-distributed
// words, 50 topics whose words hint at the size, points on a Fibonacci
// scale. The seed makes it reproducible.
func synthetic(n int, seed uint64) []domain.Issue {
	r := rand.New(rand.NewPCG(seed, 42))
	const vocab = 5000
	syll := []string{"ba", "ko", "ri", "tu", "me", "sa", "lo", "ne", "vi", "da", "pu", "ge", "zo", "fa", "hi", "ju"}
	word := func(i int) string {
		var b strings.Builder
		for i++; i > 0; i /= len(syll) {
			b.WriteString(syll[i%len(syll)])
		}
		b.WriteString("x") // never a stop word or a number
		return b.String()
	}
	zipf := rand.NewZipf(r, 1.1, 2, vocab-1)
	scale := []float64{1, 2, 3, 5, 8, 13}
	out := make([]domain.Issue, n)
	for i := range out {
		topic := r.IntN(50)
		sentence := func(k int) string {
			ws := make([]string, k)
			for j := range ws {
				if r.IntN(3) == 0 {
					ws[j] = word(vocab + topic*10 + r.IntN(10)) // topic words
				} else {
					ws[j] = word(int(zipf.Uint64()))
				}
			}
			return strings.Join(ws, " ")
		}
		p := scale[min(len(scale)-1, max(0, topic%len(scale)+r.IntN(3)-1))]
		out[i] = domain.Issue{
			Key:         fmt.Sprintf("SYN-%d-%d", seed, i),
			Summary:     sentence(6 + r.IntN(5)),
			Description: sentence(40 + r.IntN(80)),
			StoryPoints: &p,
		}
	}
	return out
}

func BenchmarkTrain10k(b *testing.B) {
	h := synthetic(10000, 1)
	b.ReportAllocs()
	for b.Loop() {
		estimate.Train(h, estimate.DefaultOptions())
	}
}

func BenchmarkEstimate10k(b *testing.B) {
	m := estimate.Train(synthetic(10000, 1), estimate.DefaultOptions())
	qs := synthetic(256, 2)
	m.Estimate(&qs[0]) // calibrate once; BenchmarkCalibrate10k measures it
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Estimate(&qs[i%len(qs)])
		i++
	}
}

func BenchmarkAdd10k(b *testing.B) {
	m := estimate.Train(synthetic(10000, 1), estimate.DefaultOptions())
	qs := synthetic(256, 2)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Updates of known keys: the webhook case; no growth, so no
		// periodic re-weighting muddies the figure.
		is := qs[i%len(qs)]
		is.Key = fmt.Sprintf("SYN-1-%d", i%10000)
		m.Add(&is)
		i++
	}
}

// BenchmarkCalibrate10k is the one-off cost the first Estimate after Train
// (or after the history moved by a tenth) pays: CalibrationSize issues
// predicted from the issues before them.
func BenchmarkCalibrate10k(b *testing.B) {
	h := synthetic(10000, 1)
	q := synthetic(1, 2)[0]
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		m := estimate.Train(h, estimate.DefaultOptions())
		b.StartTimer()
		m.Estimate(&q)
	}
}
