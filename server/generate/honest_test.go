package generate

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
)

// demoProject reads every issue of the emulator's demo project SHOP
// through the Jira client, as the app sees them, and the project model
// over them.
func demoProject(t *testing.T) ([]domain.Issue, *analysis.Project) {
	t.Helper()
	e := newEnv(t, nil)
	var issues []domain.Issue
	if err := e.jira.Scan(context.Background(), "SHOP", jira.ScanOptions{}, func(p jira.Page) error {
		issues = append(issues, p.Issues...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(issues) != 310 {
		t.Fatalf("%d demo issues, want 310", len(issues))
	}
	return issues, analysis.NewProject(domain.DefaultStrategy(), issues, e.clock.Now)
}

// newSentences are the lines and sentences of out that are not in orig:
// what the deterministic mode wrote, as opposed to what it kept.
func newSentences(orig, out string) []string {
	var ns []string
	for _, line := range strings.Split(out, "\n") {
		for _, s := range strings.SplitAfter(line, ". ") {
			if s = strings.TrimSpace(s); s != "" && !strings.Contains(orig, strings.TrimSuffix(s, ".")) {
				ns = append(ns, s)
			}
		}
	}
	return ns
}

// TestDeterministicImproveOverTheDemo: for every demo issue, an offered
// improvement never lowers the quality, has no placeholders and no
// grammar problem in what it wrote; otherwise the issue's text is
// returned unchanged with a question for every finding that is not a
// keep-as-is hint. DETERMINISTIC_REPORT=1 prints the shares.
func TestDeterministicImproveOverTheDemo(t *testing.T) {
	issues, p := demoProject(t)
	var stories, offered, raised, questions, grammar int
	for _, is := range issues {
		before := p.AnalyseIssue(is, analysis.ExtraInput{})
		if before.Check.JudgedAsStory {
			stories++
		}
		imp := improveProposal(is, p.AnalyseIssue, before.Check)
		asked := 0
		for _, f := range before.Check.Findings {
			if !(f.Hint && f.Code == "conjunction") {
				asked++
			}
		}
		if len(imp.Questions) != asked {
			t.Errorf("%s: %d questions for %d findings: %+v", is.Key, len(imp.Questions), asked, imp.Questions)
		}
		for _, q := range imp.Questions {
			if !strings.HasSuffix(q.Text, "?") || strings.Contains(q.Text, "''") {
				t.Errorf("%s: question %q", is.Key, q.Text)
			}
			if probs := grammarProblems(q.Text); len(probs) > 0 {
				grammar++
				t.Errorf("%s: question %q: %v", is.Key, q.Text, probs)
			}
			questions++
		}
		if !imp.Offered {
			if imp.Summary != is.Summary || imp.Description != is.Description || len(imp.Changes) != 0 {
				t.Errorf("%s: not offered, yet text or changes differ: %+v", is.Key, imp)
			}
			continue
		}
		offered++
		after := is
		after.Summary, after.Description = imp.Summary, TextDoc(imp.Description).PlainText()
		q := p.AnalyseIssue(after, analysis.ExtraInput{}).Check.Quality
		if q < before.Check.Quality {
			t.Errorf("%s: quality %d → %d after %v", is.Key, before.Check.Quality, q, imp.Changes)
		}
		if q > before.Check.Quality {
			raised++
		}
		if os.Getenv("DETERMINISTIC_REPORT") != "" {
			t.Logf("%s improve %d → %d: %v\n%s\n%s", is.Key, before.Check.Quality, q, imp.Changes, imp.Summary, imp.Description)
		}
		for _, s := range append(newSentences(is.Summary, imp.Summary), newSentences(is.Description, imp.Description)...) {
			if probs := grammarProblems(s); len(probs) > 0 {
				grammar++
				t.Errorf("%s: %q: %v", is.Key, s, probs)
			}
		}
	}
	if offered == 0 || raised == 0 {
		t.Errorf("improve offered on %d issues, raised quality on %d: the rules fix nothing", offered, raised)
	}
	if os.Getenv("DETERMINISTIC_REPORT") != "" {
		t.Logf("improve: %d issues (%d judged as stories); offered on %d (%.1f%% of stories), quality raised on %d, lowered on 0; %d questions; grammar problems %d",
			len(issues), stories, offered, 100*float64(offered)/float64(stories), raised, questions, grammar)
	}
}

// TestDeterministicSplitOverTheDemo: a split is offered only when its
// parts read cleanly, and every acceptance criterion of the original
// goes to at least one part.
func TestDeterministicSplitOverTheDemo(t *testing.T) {
	issues, p := demoProject(t)
	// The splits issue 13 found broken: each is now clean, or not offered.
	want := map[string][]string{
		"SHOP-285": nil, // "have an intuitive and seamless checkout experience"
		"SHOP-251": nil, // "a new microservice with a REST endpoint and a MySQL table"
		"SHOP-253": {"As a shopper, I want to erase my account, so that the store forgets me",
			"As a shopper, I want to erase my personal data, so that the store forgets me"},
		"SHOP-239": {"As a merchant, I want to export orders, so that I save time", "As a merchant, I want to import products, so that I save time",
			"As a merchant, I want to sync inventory with Shopify, so that I save time"},
		// a list of six objects: split in pairs, the trailer with every part
		"SHOP-51": {"As a store owner, I want to get a report of sales and refunds every day, week and month, so that I know everything",
			"As a store owner, I want to get a report of taxes and payouts every day, week and month, so that I know everything",
			"As a store owner, I want to get a report of fees and inventory every day, week and month, so that I know everything"},
		"SHOP-168": {"As a merchant, I want to approve return requests in one list, so that I handle returns in minutes",
			"As a merchant, I want to reject return requests in one list, so that I handle returns in minutes"},
	}
	var stories, offered, grammar, better int
	for _, is := range issues {
		a := p.AnalyseIssue(is, analysis.ExtraInput{})
		if a.Check.JudgedAsStory {
			stories++
		}
		parts := splitDeterministic(is.Key, a.Check)
		if w, ok := want[is.Key]; ok {
			var got []string
			for _, pt := range parts {
				got = append(got, pt[0])
			}
			if strings.Join(got, "|") != strings.Join(w, "|") {
				t.Errorf("%s split into %q, want %q", is.Key, got, w)
			}
		}
		if is.Key == "SHOP-168" && len(parts) == 2 && (!strings.Contains(parts[0][1], "when I approve one") || strings.Contains(parts[1][1], "when I approve one") ||
			!strings.Contains(parts[1][1], "Rejections require a reason")) {
			t.Errorf("SHOP-168 criteria not with the part they name: %q", parts)
		}
		if parts == nil {
			continue
		}
		offered++
		if len(parts) < 2 {
			t.Errorf("%s: %d parts", is.Key, len(parts))
		}
		all := ""
		minQ := 101
		for i, pt := range parts {
			all += pt[1]
			for _, s := range append([]string{pt[0]}, newSentences(is.Description, pt[1])...) {
				if probs := grammarProblems(s); len(probs) > 0 {
					grammar++
					t.Errorf("%s part %d: %q: %v", is.Key, i+1, s, probs)
				}
			}
			child := domain.Issue{Key: "SPLIT", ProjectKey: "SHOP", Type: domain.TypeStory, Summary: pt[0], Description: TextDoc(pt[1]).PlainText(), StatusCat: domain.StatusToDo}
			minQ = min(minQ, withoutDuplicateOf(p.AnalyseIssue(child, analysis.ExtraInput{}).Check, is.Key).Quality)
		}
		if minQ >= a.Check.Quality {
			better++
		}
		for _, c := range a.Check.AcceptanceCriteria {
			if !strings.Contains(all, oneLine(c)) {
				t.Errorf("%s: criterion %q dropped by the split", is.Key, c)
			}
		}
		if os.Getenv("DETERMINISTIC_REPORT") != "" {
			t.Logf("%s split: %q", is.Key, parts)
		}
	}
	if os.Getenv("DETERMINISTIC_REPORT") != "" {
		t.Logf("split: offered on %d of %d stories; every part at least the original's quality on %d; grammar problems %d", offered, stories, better, grammar)
	}
}

func TestArticle(t *testing.T) {
	for word, want := range map[string]string{"user": "a", "admin": "an", "hour": "an", "SMS user": "an", "UX designer": "a",
		"European buyer": "a", "IT administrator": "an", "honest seller": "an", "one-off donor": "a", "merchant": "a", "8-year-old": "an"} {
		if got := article(word); got != want {
			t.Errorf("article(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestSplitPartsRefusesUnclearJoins(t *testing.T) {
	tests := []struct {
		means, msg string
		want       []string
	}{
		{"download invoices and archive receipts", "'and' joins two actions in one story", []string{"download invoices", "archive receipts"}},
		{"approve or reject return requests", "'or' joins two actions in one story", []string{"approve return requests", "reject return requests"}},
		{"erase my account and my personal data", "'and' joins two things in one story", []string{"erase my account", "erase my personal data"}},
		{"see shipping, payment and order review on a single page", "'and' joins two actions in one story", nil},
		{"add a microservice with a REST endpoint and a MySQL table", "'and' joins two things in one story", nil},
		{"hear the name, price and stock status on product pages", "'and' joins two things in one story", nil},
		{"export orders and import or sync products", "'and' joins two actions in one story", nil},
	}
	for _, tt := range tests {
		start := len("As a merchant, I want to ")
		word := quoted.FindStringSubmatch(tt.msg)[1]
		at := start + strings.Index(tt.means, " "+word+" ") + 1
		check := domain.CheckResult{JudgedAsStory: true,
			Story: &domain.Story{Role: "merchant", Means: tt.means, Benefit: "my books are right",
				MeansSpan: &domain.Span{Field: domain.FieldSummary, Start: start, End: start + len(tt.means)}},
			Findings: []domain.Finding{{Code: "conjunction", Severity: domain.SeverityWarning, Message: tt.msg,
				Span: &domain.Span{Field: domain.FieldSummary, Start: at, End: at + len(word)}}}}
		if got := splitParts(check); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q: parts %q, want %q", tt.means, got, tt.want)
		}
	}
}

func TestListParts(t *testing.T) {
	tests := []struct {
		means string
		want  []string
	}{
		{"get a report of sales, refunds and taxes", []string{"get a report of sales", "get a report of refunds", "get a report of taxes"}},
		{"see a summary of orders, returns, refunds, payouts and fees each week", []string{"see a summary of orders and returns each week",
			"see a summary of refunds and payouts each week", "see a summary of fees each week"}},
		{"get alerts for stock, price or status changes", nil},                    // "status changes": the list continues a noun
		{"see shipping, payment and order review on a single page", nil},          // no "of"/"for" before the list
		{"get a report of sales, refunds and taxes for day, week and month", nil}, // two lists
		{"get a report of sales and refunds", nil},                                // two objects: the conjunction split's case
	}
	for _, tt := range tests {
		check := domain.CheckResult{JudgedAsStory: true, Story: &domain.Story{Role: "store owner", Means: tt.means, Benefit: "I know the numbers"}}
		if got := listParts(check); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q: parts %q, want %q", tt.means, got, tt.want)
		}
	}
}
