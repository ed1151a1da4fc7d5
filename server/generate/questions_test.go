package generate

import (
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/domain"
)

// findingOf analyses an issue with the real checks and returns its first
// finding of the code.
func findingOf(t *testing.T, is domain.Issue, code string) (domain.Finding, domain.CheckResult) {
	t.Helper()
	a := emptyProject().AnalyzeIssue(is, analysis.ExtraInput{})
	for _, f := range a.Check.Findings {
		if f.Code == code {
			return f, a.Check
		}
	}
	t.Fatalf("no %s finding on %q / %q; findings: %+v", code, is.Summary, is.Description, a.Check.Findings)
	return domain.Finding{}, a.Check
}

func storyIssue(summary, desc string) domain.Issue {
	return domain.Issue{Key: "SHOP-1", ProjectKey: "SHOP", Type: domain.TypeStory, Summary: summary, Description: desc}
}

func TestQuestionsAndAnswers(t *testing.T) {
	const crit = "\n\nAcceptance criteria\n\n- Given a cart, when I pay, then I see the order number"
	tests := []struct {
		name, summary, desc, code string
		question, answer          string
		wantSummary, wantDesc     string
	}{
		{name: "vague adjective", summary: "As a shopper, I want a fast checkout, so that I can buy before my bus leaves",
			desc: crit, code: checks.CodeVagueTerm, question: "What does 'fast' mean here: a time limit?", answer: "within 2 seconds",
			wantSummary: "As a shopper, I want a checkout within 2 seconds, so that I can buy before my bus leaves"},
		{name: "unmeasurable criterion", summary: "As a shopper, I want to pay by card, so that I can buy without cash",
			desc: "Acceptance criteria\n\n- Given a cart, when I pay, then the page loads fast",
			code: checks.CodeUnmeasurable, question: "What does 'fast' mean here: a time limit?", answer: "within 2 seconds.",
			wantDesc: "Acceptance criteria\n\n- Given a cart, when I pay, then the page loads within 2 seconds"},
		{name: "missing benefit", summary: "As a shopper, I want to pay by card", desc: crit,
			code: checks.CodeMissingBenefit, question: "Why does the user need this: what do they gain?", answer: "So that I can buy without cash",
			wantSummary: "As a shopper, I want to pay by card, so that I can buy without cash"},
		{name: "missing criteria", summary: "As a shopper, I want to pay by card, so that I can buy without cash", desc: "",
			code: checks.CodeMissingCriteria, question: "How will you know it is done: what does the user see or can do?",
			answer: "the receipt shows the last four digits", wantDesc: "Acceptance criteria\n\n- The receipt shows the last four digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := storyIssue(tc.summary, tc.desc)
			f, check := findingOf(t, is, tc.code)
			q, ok := QuestionFor(f, is.Summary, is.Description)
			if !ok || q.Text != tc.question {
				t.Fatalf("question = %q (ok %v), want %q", q.Text, ok, tc.question)
			}
			if q.FindingID != FindingID(f) || q.FindingID == "" {
				t.Errorf("finding id %q, want %q", q.FindingID, FindingID(f))
			}
			s, d, err := applyAnswer(f, check.Story, is.Summary, is.Description, tc.answer)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSummary != "" && s != tc.wantSummary {
				t.Errorf("summary = %q, want %q", s, tc.wantSummary)
			}
			if tc.wantDesc != "" && !strings.Contains(d, tc.wantDesc) {
				t.Errorf("description = %q, want it to contain %q", d, tc.wantDesc)
			}
			if strings.ContainsAny(s+d, "<>") {
				t.Errorf("placeholder inserted: %q / %q", s, d)
			}
			// The answered finding is gone from the new text.
			after := emptyProject().AnalyzeIssue(storyIssue(s, d), analysis.ExtraInput{})
			for _, g := range after.Check.Findings {
				if g.Code == tc.code && tc.code != checks.CodeVagueTerm {
					t.Errorf("finding %s still reported after the answer: %s", g.Code, g.Message)
				}
			}
			if after.Check.Quality < check.Quality {
				t.Errorf("quality fell from %d to %d", check.Quality, after.Check.Quality)
			}
		})
	}
}

func TestApplyAnswerRefusesEmpty(t *testing.T) {
	f := domain.Finding{Code: checks.CodeMissingCriteria}
	_, _, err := applyAnswer(f, nil, "s", "d", "   ")
	if err == nil || !strings.Contains(err.Error(), "answer") {
		t.Fatalf("err = %v, want one naming the answer", err)
	}
}

func TestClarify(t *testing.T) {
	tests := []struct{ text, word, measure, want string }{
		{"I want a fast checkout.", "fast", "within 2 s", "I want a checkout within 2 s."},
		{"I want an easy export", "easy", "2 clicks at most", "I want an export with 2 clicks at most"},
		{"An easy checkout", "easy", "in 3 steps", "A checkout in 3 steps"},
		{"the page loads fast", "fast", "within 2 seconds", "the page loads within 2 seconds"},
	}
	for _, tc := range tests {
		i := strings.Index(tc.text, tc.word)
		got, ok := clarify(tc.text, i, i+len(tc.word), tc.measure)
		if !ok || got != tc.want {
			t.Errorf("clarify(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 4000: "4,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormLimitNamesTheField(t *testing.T) {
	long := strings.Repeat("é", 4001) // 4,001 characters, 8,002 bytes
	tests := []struct {
		name string
		set  func(f *Form)
		want string
	}{
		{"objective", func(f *Form) { f.Objective = long }, "objective: at most 4,000 characters (this one has 4,001)."},
		{"context", func(f *Form) { f.Context = long }, "context: at most 4,000 characters"},
		{"accents within the limit", func(f *Form) { f.Context = strings.Repeat("é", 4000) }, ""},
	}
	for _, tc := range tests {
		f := Form{Objective: "Sell more"}
		tc.set(&f)
		err := f.Normalize()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
