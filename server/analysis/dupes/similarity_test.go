package dupes

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// TestSimilaritySymmetric: A's similarity to B is B's to A, bit for bit,
// whether queried by key, by text or through Similarity, and lists are
// sorted by it.
func TestSimilaritySymmetric(t *testing.T) {
	issues := corpus()
	for i := range issues {
		issues[i].Created = time.Date(2025, 1, 1+3*i, 0, 0, 0, 0, time.UTC)
	}
	x := newIndex(issues)
	got := map[[2]string]float64{}
	for _, is := range issues {
		cs, err := x.QueryKey(is.Key, 10)
		if err != nil {
			t.Fatal(err)
		}
		byText := x.Query(is, 10)
		if !slices.EqualFunc(cs, byText, func(a, b domain.Candidate) bool { return a.Key == b.Key && a.Similarity == b.Similarity }) {
			t.Errorf("%s: QueryKey %v and Query %v differ", is.Key, cs, byText)
		}
		for i, c := range cs {
			got[[2]string{is.Key, c.Key}] = c.Similarity
			if i > 0 && c.Similarity > cs[i-1].Similarity {
				t.Errorf("%s: candidates not sorted by similarity: %+v", is.Key, cs)
			}
			if s := x.Similarity(is.Key, c.Key); s != c.Similarity {
				t.Errorf("Similarity(%s, %s) = %v, list says %v", is.Key, c.Key, s, c.Similarity)
			}
		}
	}
	if len(got) < 10 {
		t.Fatalf("only %d pairs scored", len(got))
	}
	for p, s := range got {
		back, ok := got[[2]string{p[1], p[0]}]
		if !ok {
			t.Errorf("%s lists %s (%.3f) but not the reverse", p[0], p[1], s)
		} else if back != s {
			t.Errorf("%s→%s %v but %s→%s %v", p[0], p[1], s, p[1], p[0], back)
		}
	}
}

func TestQueryExcluding(t *testing.T) {
	x := newIndex(corpus())
	skip := func(k string) bool { return k == "P-6" }
	cs := x.QueryExcluding(corpus()[0], 3, skip)
	if len(cs) == 0 || slices.Contains(keys(cs), "P-6") {
		t.Fatalf("QueryExcluding(P-1 without P-6) = %v", keys(cs))
	}
	if all := x.Query(corpus()[0], 3); len(all) == 0 || all[0].Key != "P-6" {
		t.Fatalf("Query(P-1) = %v, want P-6 first", keys(all))
	}
}

func TestBandsAndDone(t *testing.T) {
	o := DefaultOptions()
	tests := []struct {
		sim  float64
		want string
	}{
		{1, domain.BandLikely}, {o.LikelyThreshold, domain.BandLikely}, {o.LikelyThreshold - 0.01, domain.BandRelated},
		{o.RelatedThreshold, domain.BandRelated}, {o.RelatedThreshold - 0.01, ""}, {0, ""},
	}
	for _, tt := range tests {
		if got := o.Band(tt.sim); got != tt.want {
			t.Errorf("Band(%.2f) = %q, want %q", tt.sim, got, tt.want)
		}
	}
	issues := corpus()
	issues[5].StatusCat = domain.StatusDone // P-6
	x := newIndex(issues)
	cs, _ := x.QueryKey("P-1", 2)
	if len(cs) == 0 || cs[0].Key != "P-6" || !cs[0].Done {
		t.Fatalf("P-1's candidates %+v: want done P-6 first, marked Done", cs)
	}
	if len(cs) > 1 && cs[1].Done {
		t.Errorf("open %s marked Done", cs[1].Key)
	}
}

// bugTemplate is a project whose bugs (a fifth of its issues) all follow
// one template, the rest being stories without it.
func bugTemplate() []domain.Issue {
	subjects := []string{
		"Search results page is empty for accented queries",
		"Invoice PDF renders the wrong currency symbol",
		"Password reset email never arrives for SSO users",
		"Cart badge count stays at zero after adding items",
		"Order export times out for large date ranges",
		"Profile photo upload rejects PNG files",
		"Coupon field accepts expired coupon codes",
		"Shipping estimate ignores the postal code",
		"Wishlist loses items after logout",
		"Tax line missing on the receipt for Canada",
		"Dark mode toggle resets on every visit",
		"Address autocomplete suggests other countries",
	}
	var out []domain.Issue
	for i, s := range subjects {
		out = append(out, domain.Issue{Key: fmt.Sprintf("B-%d", i+1), Type: domain.TypeBug, Summary: s,
			Description: "Steps to reproduce:\n1. Open the app\n2. " + s + "\nExpected result: it works\nActual result: it does not\nEnvironment: production, latest browser\nDiscussed in the last planning meeting."})
	}
	for i := range 48 {
		out = append(out, domain.Issue{Key: fmt.Sprintf("S-%d", i+1), Type: domain.TypeStory,
			Summary:     fmt.Sprintf("As a merchant I want report %s so that I can plan stock", words[i%len(words)]+" "+words[(i*7+3)%len(words)]),
			Description: "The report lists " + words[(i*5+1)%len(words)] + " per " + words[(i*3+2)%len(words)] + "."})
	}
	return out
}

var words = []string{"sales", "returns", "refunds", "visitors", "margins", "suppliers", "warehouses", "regions", "weeks", "brands", "categories", "channels", "coupons"}

// TestLearnedBoilerplate: template lines and words shared by most issues of
// the project carry no weight once learned, so two unrelated bugs written
// from the same template are not similar; without learning they are.
func TestLearnedBoilerplate(t *testing.T) {
	issues := bugTemplate()[:12+48]
	build := func(o Options) *Index {
		x := New(o)
		x.Learn(issues)
		for _, is := range issues {
			x.Add(is)
		}
		return x
	}
	off := DefaultOptions()
	off.CommonShare, off.BoilerplateLines = 0, 0
	learned := build(DefaultOptions())
	plain := build(off)
	if n := learned.BoilerplateLines(); n < 4 {
		t.Errorf("learned %d boilerplate lines, want the template's (at least 4)", n)
	}
	worstLearned, worstPlain := 0.0, 0.0
	for _, is := range issues[:12] {
		if cs, _ := learned.QueryKey(is.Key, 1); len(cs) > 0 {
			worstLearned = max(worstLearned, cs[0].Similarity)
			for _, w := range cs[0].SharedTerms {
				if slices.Contains([]string{"step", "reproduc", "expect", "actual", "environ", "discuss", "plan"}, w) {
					t.Errorf("%s→%s shares template word %q", is.Key, cs[0].Key, w)
				}
			}
		}
		if cs, _ := plain.QueryKey(is.Key, 1); len(cs) > 0 {
			worstPlain = max(worstPlain, cs[0].Similarity)
		}
	}
	// Mean similarity over all pairs of (unrelated) bugs.
	mean := func(x *Index) float64 {
		s, n := 0.0, 0
		for i := range 12 {
			for j := range i {
				s += x.Similarity(issues[i].Key, issues[j].Key)
				n++
			}
		}
		return s / float64(n)
	}
	ml, mp := mean(learned), mean(plain)
	t.Logf("unrelated bugs: best candidate at most %.3f learned (%.3f without); mean pair similarity %.3f (%.3f without)", worstLearned, worstPlain, ml, mp)
	if worstLearned >= DefaultOptions().RelatedThreshold {
		t.Errorf("with learned boilerplate unrelated bugs reach %.2f, want below the related band %.2f", worstLearned, DefaultOptions().RelatedThreshold)
	}
	if ml > mp/3 {
		t.Errorf("mean similarity of unrelated bugs %.3f learned, %.3f without: the template still counts", ml, mp)
	}
	// A real duplicate still stands out.
	dup := domain.Issue{Key: "B-99", Summary: "Password reset mail is not delivered to SSO accounts", Description: issues[2].Description}
	if cs := learned.Query(dup, 1); len(cs) == 0 || cs[0].Key != "B-3" {
		t.Errorf("duplicate of B-3 found %v", keys(cs))
	}
}

func TestCommonTermWeight(t *testing.T) {
	x := New(DefaultOptions())
	x.live = 100
	s0 := x.opt.CommonShare
	rare, edge, half, common := x.weight(2), x.weight(int(100*s0)), x.weight(int(150*s0)), x.weight(int(200*s0))
	if edge != idf(100, int(100*s0)) {
		t.Errorf("a term at the share threshold is down-weighted: %v", edge)
	}
	if !(rare > edge && half < edge && common < half) || common > 0.06*idf(100, int(200*s0)) {
		t.Errorf("weights rare %.3f, at threshold %.3f, 1.5× %.3f, 2× %.3f", rare, edge, half, common)
	}
	x.live = 5 // too few issues to call anything boilerplate
	if x.weight(5) != idf(5, 5) {
		t.Error("a tiny project down-weights common terms")
	}
}

func TestTimeFactor(t *testing.T) {
	x := New(DefaultOptions())
	day := int64(86400)
	if f := x.timeFactor(1000*day, 1000*day); f != 1 {
		t.Errorf("same day: %v", f)
	}
	if a, b := x.timeFactor(1000*day, 1030*day), x.timeFactor(1030*day, 1000*day); a != b || a >= 1 || a < 0.9 {
		t.Errorf("30 days apart: %v / %v", a, b)
	}
	if f := x.timeFactor(1000*day, 4000*day); math.Abs(f-(1-x.opt.TimeWeight)) > 0.01 {
		t.Errorf("years apart: %v, want about %v", f, 1-x.opt.TimeWeight)
	}
	if f := x.timeFactor(0, 1000*day); f != 1 {
		t.Errorf("unknown creation time: %v", f)
	}
}

func TestStripURLsAndNoise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"see https://issues.apache.org/jira/browse/HADOOP-17796 for details", "see  HADOOP-17796  for details"},
		{"docs at www.example.com/guide/install.html.", "docs at  install.html "},
		{"(https://github.com/apache/hadoop/pull/1234)", "( 1234 )"},
		{"no links here", "no links here"},
	}
	for _, tt := range tests {
		if got := stripURLs(tt.in); got != tt.want {
			t.Errorf("stripURLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	x := New(DefaultOptions())
	a := x.analyse("NameNode crash at 10:58:12.787Z in v2 getFileStatus", "https://issues.apache.org/jira/browse/HDFS-1")
	for _, bad := range []string{"787z", "v2", "http", "apach", "issu", "jira", "brows", "org"} {
		if slices.Contains(a.terms, bad) {
			t.Errorf("term %q kept from %v", bad, a.terms)
		}
	}
	for _, good := range []string{"namenod", "file", "statu", "getfilestatu", "#hdfs-1"} {
		if !slices.Contains(a.terms, good) {
			t.Errorf("term %q missing from %v", good, a.terms)
		}
	}
}

func TestLineKey(t *testing.T) {
	for in, want := range map[string]string{
		"*Steps to Reproduce:*\n": "steps to reproduce",
		"  1. Open the app":       "open the app",
		"----":                    "",
		"Ünd noch":                "ünd noch",
	} {
		if got := lineKey(in); got != want {
			t.Errorf("lineKey(%q) = %q, want %q", in, got, want)
		}
	}
	if strings.Contains(lineKey("a\tb"), "\t") {
		t.Error("tab kept")
	}
}

// TestOneSharedWordIsNotLikely: two one-line issues sharing a single word
// have a high cosine but are at most "related".
func TestOneSharedWordIsNotLikely(t *testing.T) {
	issues := append(corpus(),
		domain.Issue{Key: "V-1", Summary: "Better emails"},
		domain.Issue{Key: "V-2", Summary: "Have a better dashboard"})
	// In this small corpus the pair scores about 0.36; lower the band so
	// that similarity alone would call it likely.
	o := DefaultOptions()
	o.LikelyThreshold = 0.3
	x := New(o)
	for _, is := range issues {
		x.Add(is)
	}
	cs, _ := x.QueryKey("V-1", 1)
	if len(cs) != 1 || cs[0].Key != "V-2" {
		t.Fatalf("V-1's candidates %v, want V-2", keys(cs))
	}
	c := cs[0]
	if c.Similarity < o.LikelyThreshold {
		t.Fatalf("similarity %.2f: the test no longer reaches the likely band", c.Similarity)
	}
	if c.Near || c.Band != domain.BandRelated || x.Evidence("V-1", "V-2") != 1 {
		t.Errorf("V-1 → V-2 at %.2f sharing %v: near %v band %q evidence %d, want related", c.Similarity, c.SharedTerms, c.Near, c.Band, x.Evidence("V-1", "V-2"))
	}
	// The planted duplicates share several words and stay likely.
	if cs, _ := x.QueryKey("P-1", 1); len(cs) == 0 || cs[0].Key != "P-6" || x.Evidence("P-1", "P-6") < MinLikelyEvidence {
		t.Errorf("P-1 → %v, evidence %d", keys(cs), x.Evidence("P-1", "P-6"))
	}
}

func TestLearnedLabels(t *testing.T) {
	tests := []struct {
		line, label string
		ok          bool
	}{
		{"Expected: no charge on the skipped date", "Expected", true},
		{"*Environment*: production", "*Environment*", true},
		{"Expected:", "", false}, // nothing after the label
		{"see https://example.com/x", "", false},
		{"this line has far too many words before: a colon", "", false},
	}
	for _, tt := range tests {
		if l, ok := labelOf(tt.line); l != tt.label || ok != tt.ok {
			t.Errorf("labelOf(%q) = %q, %v; want %q, %v", tt.line, l, ok, tt.label, tt.ok)
		}
	}
	issues := bugTemplate()[:12]
	for i := range issues {
		issues[i].Description = fmt.Sprintf("Expected: the %s works\nActual: item %d fails", issues[i].Summary, i)
	}
	x := New(DefaultOptions())
	x.Learn(issues)
	a := x.analyse("", "Expected: totals match\nCustom: value kept")
	if slices.Contains(a.terms, "expect") || !slices.Contains(a.terms, "total") || !slices.Contains(a.terms, "custom") {
		t.Errorf("terms %v: want the learned label dropped, its text and unknown labels kept", a.terms)
	}
}
