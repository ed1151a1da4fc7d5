package dupes

import (
	"math/rand"
	"strings"

	"github.com/backlogai/backlogai/server/domain"
)

// generator makes deterministic synthetic issues: words drawn from a
// vocabulary with a Zipf distribution (as in natural text), summaries of
// about 10 words and descriptions of about 60.
type generator struct {
	r     *rand.Rand
	zipf  *rand.Zipf
	vocab []string
}

// newGenerator returns a generator drawing with r from a vocabulary that
// depends only on vocabSize, so generators with different seeds share it.
func newGenerator(r *rand.Rand, vocabSize int) *generator {
	vr := rand.New(rand.NewSource(int64(vocabSize)))
	const (
		cons   = "bcdfghklmnprstvz"
		vowels = "aeiou"
	)
	seen := make(map[string]bool, vocabSize)
	vocab := make([]string, 0, vocabSize)
	for len(vocab) < vocabSize {
		var b strings.Builder
		for range 2 + vr.Intn(3) {
			b.WriteByte(cons[vr.Intn(len(cons))])
			b.WriteByte(vowels[vr.Intn(len(vowels))])
			if vr.Intn(3) == 0 {
				b.WriteByte(cons[vr.Intn(len(cons))])
			}
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	return &generator{r: r, zipf: rand.NewZipf(r, 1.1, 2, uint64(vocabSize-1)), vocab: vocab}
}

func (g *generator) words(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.vocab[g.zipf.Uint64()])
	}
	return b.String()
}

func (g *generator) issue(key string) domain.Issue {
	return domain.Issue{
		Key:         key,
		Summary:     g.words(7 + g.r.Intn(7)),
		Description: g.words(40 + g.r.Intn(41)),
	}
}
