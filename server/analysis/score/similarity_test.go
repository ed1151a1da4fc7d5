package score

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func bestOf(ix *simIndex, summary, desc string) match {
	toks := appendTokens(nil, summary)
	n := len(toks)
	toks = appendTokens(toks, desc)
	return ix.best(toks, n)
}

func TestSimilarity(t *testing.T) {
	ix := newSimIndex("Planning that small teams love", []string{
		"Self-serve onboarding for mid-market teams",
		"Offline sync in the mobile app",
	})
	long := strings.Repeat("The quarterly audit export needs new columns for the finance department. ", 8)
	tests := []struct {
		name          string
		summary, desc string
		wantDoc       int // -1: no match
		wantSim       float64
	}{
		{"identical text", "Self-serve onboarding for mid-market teams", "", 1, 1},
		{"inflections stem alike", "Onboarded team", "", 1, 2 / math.Sqrt(2*6)},
		{"case and punctuation ignored", "OFFLINE-SYNC (mobile)!", "", 2, 3 / math.Sqrt(3*4)},
		{"disjoint", "Rename the preferences heading", "", -1, 0},
		{"stop words and story filler ignored", "As a user, I want to be able to do it so that", "", -1, 0},
		{"summary on target despite a long description", "Offline sync", long, 2, 2 / math.Sqrt(2*4)},
		{"vision", "Planning for small teams", "", 0, 3 / math.Sqrt(3*4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := bestOf(ix, tc.summary, tc.desc)
			if m.doc != tc.wantDoc {
				t.Fatalf("best doc = %d (sim %.3f), want %d", m.doc, m.sim, tc.wantDoc)
			}
			if math.Abs(m.sim-tc.wantSim) > 1e-9 {
				t.Errorf("sim = %.4f, want %.4f", m.sim, tc.wantSim)
			}
		})
	}
}

func TestSimilarityBounds(t *testing.T) {
	// A vocabulary beyond the stack buffer, and a text beyond the word set.
	var obj, issue strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&obj, "topic%c%c ", 'a'+i%26, 'a'+i/26)
	}
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&issue, "word%c%c%c ", 'a'+i%26, 'a'+(i/26)%26, 'a'+i/676)
	}
	issue.WriteString(obj.String())
	ix := newSimIndex("", []string{obj.String()})
	if len(ix.vocab) <= 128 {
		t.Fatalf("vocabulary has %d terms, want > 128 to leave the stack buffer", len(ix.vocab))
	}
	m := bestOf(ix, "", issue.String())
	if m.doc != 0 || m.sim <= 0 || m.sim > 1 {
		t.Errorf("match = %+v, want doc 0 with 0 < sim <= 1", m)
	}
	if !newSimIndex(" ", []string{"", "\t"}).empty() {
		t.Error("blank strategy text should leave the index empty")
	}
}

func TestWordSet(t *testing.T) {
	var s wordSet
	if got := s.add("sync"); got != 1 {
		t.Errorf("first add = %d, want 1", got)
	}
	if got := s.add("sync"); got != 2 {
		t.Errorf("second add = %d, want 2", got)
	}
	for i := 0; i < 1000; i++ {
		s.add(fmt.Sprint("w", i))
	}
	if s.n > len(s.keys)*3/4 {
		t.Errorf("set holds %d keys, want at most %d", s.n, len(s.keys)*3/4)
	}
	if got := s.add("sync"); got != 3 {
		t.Errorf("add after filling = %d, want 3 (known words still count)", got)
	}
}

func TestClip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"short", "short"},
		{"  spaces   collapse  ", "spaces collapse"},
		{"Cut churn of enterprise accounts with better reporting", "Cut churn of enterprise…"},
		{"Überlangeswortohneleerzeichenüberhauptundnochmehr", "Überlangeswortohneleerze…"}, // 25 bytes, not runes,
	}
	for _, tc := range tests {
		if got := clip(tc.in, 25); got != tc.want {
			t.Errorf("clip(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
