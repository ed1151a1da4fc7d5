package generate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/llm"
)

// findingOf analyses an issue with the real checks and returns its first
// finding of the code.
func findingOf(t *testing.T, is domain.Issue, code string) (domain.Finding, domain.CheckResult) {
	t.Helper()
	a := emptyProject().AnalyseIssue(is, analysis.ExtraInput{})
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
			code: checks.CodeMissingBenefit, question: "Why does the shopper need this: what do they gain?", answer: "So that I can buy without cash",
			wantSummary: "As a shopper, I want to pay by card, so that I can buy without cash"},
		{name: "several personas", summary: "As a shopper or merchant, I want to get notifications, so that I stay informed",
			desc: crit, code: checks.CodeSeveralPersonas, question: "Which one user, rather than 'shopper or merchant', is this story for?",
			answer: "admin", wantSummary: "As an admin, I want to get notifications, so that I stay informed"},
		{name: "missing criteria", summary: "As a shopper, I want to pay by card, so that I can buy without cash", desc: "",
			code: checks.CodeMissingCriteria, question: "How will you know it is done: what can the shopper see or do?",
			answer: "the receipt shows the last four digits", wantDesc: "Acceptance criteria\n\n- The receipt shows the last four digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := storyIssue(tc.summary, tc.desc)
			f, check := findingOf(t, is, tc.code)
			q, ok := QuestionFor(f, check.Story, is.Summary, is.Description)
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
			after := emptyProject().AnalyseIssue(storyIssue(s, d), analysis.ExtraInput{})
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

// TestAnswerWithoutTemplate: an answer no template can place is recorded
// under its question in the description, never dropped.
func TestAnswerWithoutTemplate(t *testing.T) {
	f := domain.Finding{Code: checks.CodeTooBig}
	q, ok := QuestionFor(f, nil, "s", "d")
	if !ok || !q.Answerable {
		t.Fatal("no question for a too-big story")
	}
	s, d, err := applyAnswer(f, nil, "Checkout", "Pay by card.", "saved cards only")
	if err != nil || s != "Checkout" || d != "Pay by card.\n\nFirst slice: saved cards only." || q.Text == "" {
		t.Fatalf("got %q / %q, %v", s, d, err)
	}
	// A blocker is asked about (improve lists it), but no text answer
	// fixes it: the glance offers no input for it.
	if q, ok := QuestionFor(domain.Finding{Code: checks.CodeBlocked, Message: "Blocked by SHOP-9 (Pay), which is not done yet."}, nil, "s", "d"); !ok ||
		q.Answerable || q.Text != "Can part of this ship before SHOP-9 is done?" {
		t.Errorf("blocker question %+v (ok %v), want one that is not answerable", q, ok)
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

func TestThousandsSeparator(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 4000: "4,000", 1234567: "1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
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

// exampleAnswer is what a PM would type for a question: its example,
// else a plain answer for the finding's kind.
func exampleAnswer(q Question) string {
	if a := strings.TrimPrefix(q.Placeholder, "e.g. "); a != "" && a != q.Placeholder {
		return a
	}
	switch q.Code {
	case checks.CodeVagueTerm, checks.CodeUnmeasurable:
		return "within 2 seconds"
	case checks.CodeOpenQuestion, checks.CodePlaceholder:
		return "the order total"
	}
	return "only the first step"
}

var doubledWord = regexp.MustCompile(`(?i)\b([a-z]+) ([a-z]+)\b`)

func doubled(s string) string {
	for _, m := range doubledWord.FindAllStringSubmatch(s, -1) {
		if strings.EqualFold(m[1], m[2]) && m[1] != "that" && m[1] != "had" {
			return m[0]
		}
	}
	return ""
}

// TestAnswersOverTheDemoProject: over every demo issue, every question
// offered, answered with its example, gives text whose quality is not
// lower, with no placeholder, no doubled word and no a/an error, and
// that no longer reports the finding where a template places the answer.
func TestAnswersOverTheDemoProject(t *testing.T) {
	fx, err := jiraemu.DemoFixture()
	if err != nil {
		t.Fatal(err)
	}
	p := emptyProject()
	asked, placed, raised := 0, 0, 0
	byCode := map[string]int{}
	for _, fi := range fx.Issues {
		desc := ""
		if len(fi.Description) > 0 {
			desc, _ = adf.PlainText(fi.Description)
		}
		is := domain.Issue{Key: fi.Key, ProjectKey: "SHOP", Type: domain.IssueType(strings.ToLower(fi.Type)), Summary: fi.Summary, Description: desc}
		before := p.AnalyseIssue(is, analysis.ExtraInput{}).Check
		for _, f := range before.Findings {
			q, ok := QuestionFor(f, before.Story, is.Summary, is.Description)
			if !ok || !q.Answerable {
				continue
			}
			asked++
			byCode[f.Code]++
			s, d, err := applyAnswer(f, before.Story, is.Summary, is.Description, exampleAnswer(q))
			if err != nil {
				t.Errorf("%s %s: %v", fi.Key, f.Code, err)
				continue
			}
			if !strings.HasPrefix(d, strings.TrimSpace(is.Description)) || s != is.Summary {
				placed++
			}
			after := is
			after.Summary, after.Description = s, d
			got := p.AnalyseIssue(after, analysis.ExtraInput{}).Check
			if got.Quality > before.Quality {
				raised++
			}
			if testing.Verbose() && byCode[f.Code] <= 3 {
				t.Logf("%s %s: %q\n    summary %q\n    desc tail %q", fi.Key, f.Code, q.Text, s, tail(d, 90))
			}
			if got.Quality < before.Quality {
				t.Errorf("%s %s: quality %d → %d\n  %q → %q", fi.Key, f.Code, before.Quality, got.Quality, is.Summary, s)
			}
			if strings.ContainsAny(s, "<>") || (strings.Contains(d, "<") && !strings.Contains(is.Description, "<")) {
				t.Errorf("%s %s: placeholder in %q / %q", fi.Key, f.Code, s, d)
			}
			if w := doubled(s); w != "" && doubled(is.Summary) == "" {
				t.Errorf("%s %s: doubled word %q in %q", fi.Key, f.Code, w, s)
			}
			if m := regexp.MustCompile(`(?i)\ba [aeiou]\w*|\ban [^aeiou\s]\w*`).FindString(s); m != "" &&
				!regexp.MustCompile(`(?i)\ba [aeiou]\w*|\ban [^aeiou\s]\w*`).MatchString(is.Summary) {
				t.Errorf("%s %s: article error %q in %q", fi.Key, f.Code, m, s)
			}
		}
	}
	if asked < 20 {
		t.Fatalf("only %d questions over the demo project: %v", asked, byCode)
	}
	t.Logf("%d questions over %d demo issues (%v); %d answers placed by a template, %d raise quality, none lowers it",
		asked, len(fx.Issues), byCode, placed, raised)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestAnswerRewrittenByTheLLM: with an LLM configured, the answered text
// (not the original) goes to the model, whose rewrite is the proposal.
func TestAnswerRewrittenByTheLLM(t *testing.T) {
	e := newEnv(t, shopAnswers(t))
	ctx := context.Background()
	d, err := e.jira.GetIssue(ctx, "SHOP-20", false)
	if err != nil {
		t.Fatal(err)
	}
	a := emptyProject().AnalyseIssue(d.Issue, analysis.ExtraInput{})
	var id string
	for _, f := range a.Check.Findings {
		if q, ok := QuestionFor(f, a.Check.Story, d.Issue.Summary, d.Issue.Description); ok && f.Code == checks.CodeMissingCriteria {
			id = q.FindingID
		}
	}
	if id == "" {
		t.Fatalf("SHOP-20 has no missing-criteria question: %+v", a.Check.Findings)
	}
	imp, err := e.svc.Answer(ctx, e.tenant, "SHOP-20", id, "the experiment report shows both variants")
	if err != nil {
		t.Fatal(err)
	}
	calls := e.llm.Calls()
	if imp.Mode != ModeLLM || len(calls) == 0 || calls[len(calls)-1].Schema != "issue_improvement" {
		t.Fatalf("mode %s, calls %+v", imp.Mode, calls)
	}
	if !strings.Contains(calls[len(calls)-1].User, "The experiment report shows both variants") {
		t.Errorf("the model did not get the answered text: %s", calls[len(calls)-1].User)
	}
	if imp.Summary != "Save the cart across devices for signed-in shoppers" || !strings.HasPrefix(imp.Changes[0], "Applied your answer to: How will you know") {
		t.Errorf("proposal %q, changes %q", imp.Summary, imp.Changes)
	}
	if _, err := e.svc.Answer(ctx, e.tenant, "SHOP-20", "vague_term:summary:0-4", "x"); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("stale finding: %v", err)
	}
}

func TestUnavailableReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", domain.ErrUnavailable, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), "the connection was refused"},
		{fmt.Errorf("%w: %w", domain.ErrUnavailable, &net.DNSError{Name: "x.invalid", IsNotFound: true}), "its host name could not be resolved"},
		{fmt.Errorf("timed out: %w", domain.ErrUnavailable), "it is unavailable"},
		{fmt.Errorf("x: %w", &llm.APIError{Status: 502}), "it is unavailable: HTTP 502"},
	}
	for _, tc := range tests {
		if got := reason(tc.err); errors.Is(tc.err, domain.ErrUnavailable) && got != tc.want {
			t.Errorf("reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if got := unavailableReason(tc.err); got != tc.want {
			t.Errorf("unavailableReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestQuestionWording: the one generator's wording, for the glance and
// the improvement proposal alike: the story's user by name when the
// sentence names one ("As a shopper"), quotes from the marked words, and
// whether the glance offers an answer.
func TestQuestionWording(t *testing.T) {
	const crit = "\n\nAcceptance criteria\n\n- Given a cart, when I pay, then I see the order number"
	tests := []struct {
		name, summary, desc, code string
		want                      string
		answerable                bool
	}{
		{"one user by name", "As a shopper, I want to pay by card", crit, checks.CodeMissingBenefit,
			"Why does the shopper need this: what do they gain?", true},
		{"plural role", "As shoppers, we want to pay by card", crit, checks.CodeMissingBenefit,
			"Why does the user need this: what do they gain?", true},
		{"several roles", "As a shopper or merchant, I want to get notifications", crit, checks.CodeMissingBenefit,
			"Why does the user need this: what do they gain?", true},
		{"criteria", "As a merchant, I want to export orders, so that I can file taxes", "", checks.CodeMissingCriteria,
			"How will you know it is done: what can the merchant see or do?", true},
		{"solution term", "As a merchant, I want a REST API for prices, so that I can update them at once", crit, checks.CodeSolutionTerm,
			"What does the merchant need that 'REST API' is meant to provide?", true},
		{"joined actions", "As a merchant, I want to export orders and import products, so that I save time", crit, checks.CodeConjunction,
			"Which of the parts joined by 'and' could ship first on its own?", true},
		{"open question", "As a shopper, I want to pay by card, so that I can buy without cash", "Should guests pay by card too?" + crit, checks.CodeOpenQuestion,
			`The issue asks "Should guests pay by card too?": what is the answer?`, true},
		{"not answered in the text", "As a shopper, I want to see recommendations (like Amazon), so that I find more", crit, checks.CodeBrackets,
			"Does '(like Amazon)' belong in the story sentence, or in the description?", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := storyIssue(tc.summary, tc.desc)
			f, check := findingOf(t, is, tc.code)
			q, ok := QuestionFor(f, check.Story, is.Summary, is.Description)
			if !ok || q.Text != tc.want || q.Answerable != tc.answerable {
				t.Errorf("question %q (ok %v, answerable %v), want %q (answerable %v)", q.Text, ok, q.Answerable, tc.want, tc.answerable)
			}
			if q.FindingID != FindingID(f) || q.Span != f.Span {
				t.Errorf("question %+v does not name its finding %+v", q, f)
			}
			if !slices.ContainsFunc(Questions(check, is.Summary, is.Description), func(g Question) bool { return g == q }) {
				t.Errorf("the proposal's questions lack %q", q.Text)
			}
		})
	}
}

// TestQuestionWithoutSpan: a finding with no span (an LLM review's)
// quotes its message, where an apostrophe inside a word opens no quote;
// a keep-as-is hint asks nothing.
func TestQuestionWithoutSpan(t *testing.T) {
	f := domain.Finding{Code: checks.CodeUnmeasurable, Message: "This criterion can't be checked: 'several' has no measure.",
		Fix: "Make it measurable: replace 'several' with the exact count."}
	if q, ok := QuestionFor(f, nil, "s", "d"); !ok || q.Text != "What does 'several' mean here: the exact count?" {
		t.Errorf("question %q", q.Text)
	}
	hint := domain.Finding{Code: checks.CodeConjunction, Hint: true, Message: "'and' joins named items that likely scope one feature."}
	if q, ok := QuestionFor(hint, nil, "s", "d"); ok {
		t.Errorf("a keep-as-is hint asks %q", q.Text)
	}
}
