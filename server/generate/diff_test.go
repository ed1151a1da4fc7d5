package generate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func apply(ops []DiffOp) (string, string) {
	var a, b strings.Builder
	for _, op := range ops {
		switch op.Op {
		case "equal":
			a.WriteString(op.Text)
			b.WriteString(op.Text)
		case "delete":
			a.WriteString(op.Text)
		case "insert":
			b.WriteString(op.Text)
		}
	}
	return a.String(), b.String()
}

func TestDiff(t *testing.T) {
	tests := []struct {
		a, b string
		want []DiffOp
	}{
		{"", "", []DiffOp{}},
		{"same text", "same text", []DiffOp{{"equal", "same text"}}},
		{"", "new", []DiffOp{{"insert", "new"}}},
		{"As a user I want fast search", "As a shopper I want search results within 2 seconds",
			[]DiffOp{{"equal", "As a "}, {"delete", "user"}, {"insert", "shopper"}, {"equal", " I want "}, {"delete", "fast "},
				{"equal", "search"}, {"insert", " results within 2 seconds"}}},
		{"Export and email reports.", "Export reports.",
			[]DiffOp{{"equal", "Export "}, {"delete", "and email "}, {"equal", "reports."}}},
	}
	for _, tc := range tests {
		got := Diff(tc.a, tc.b)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Diff(%q, %q) (-want +got):\n%s", tc.a, tc.b, diff)
		}
	}
}

// TestDiffReconstructs: on random edits, the ops always rebuild both
// texts and never hold two neighbouring runs of one kind.
func TestDiffReconstructs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"as", "a", "shopper", "I", "want", "to", "save", "my", "cart", ",", "so", "that", "buy", "later", ".", "\n", "  "}
	gen := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteString(" ")
		}
		return b.String()
	}
	for i := 0; i < 300; i++ {
		a, b := gen(rng.IntN(40)), gen(rng.IntN(40))
		ops := Diff(a, b)
		ga, gb := apply(ops)
		if ga != a || gb != b {
			t.Fatalf("Diff(%q, %q) rebuilds %q, %q", a, b, ga, gb)
		}
		for j := 1; j < len(ops); j++ {
			if ops[j].Op == ops[j-1].Op {
				t.Fatalf("uncoalesced ops %v", ops)
			}
		}
	}
}

func TestDiffFallsBackOnHugeDistance(t *testing.T) {
	a := strings.Repeat("alpha ", 2000)
	b := strings.Repeat("beta ", 2000)
	ops := Diff(a, b)
	ga, gb := apply(ops)
	if ga != a || gb != b || len(ops) != 2 {
		t.Errorf("fallback diff has %d ops", len(ops))
	}
}

func BenchmarkDiff(b *testing.B) {
	a := strings.Repeat("As a shopper, I want to save my cart so that I can buy later. ", 40)
	c := strings.ReplaceAll(a, "save", "keep")
	for b.Loop() {
		Diff(a, c)
	}
}
