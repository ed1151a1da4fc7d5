package generate

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/domain"
)

// maxAnswer bounds a clarifying answer (it goes into the issue's text).
const maxAnswer = 1000

// Question is the clarifying question a finding asks of the PM; the
// answer is applied to the issue text by a fixed template (Answer).
type Question struct {
	FindingID string `json:"findingId"`
	Code      string `json:"code"`
	Text      string `json:"question"`
	// Placeholder is an example answer for the input.
	Placeholder string `json:"placeholder,omitempty"`
}

// FindingID names a finding of an issue's current text: its code and the
// span it marks. It changes when the text around it changes, so an answer
// to a stale question is refused rather than applied in the wrong place.
func FindingID(f domain.Finding) string {
	if f.Span == nil {
		return f.Code
	}
	return fmt.Sprintf("%s:%s:%d-%d", f.Code, f.Span.Field, f.Span.Start, f.Span.End)
}

// fixTarget reads "what to state" from a vague-term fix such as "Replace
// 'fast' with a time limit (e.g. 'within 2 seconds')."
var fixTarget = regexp.MustCompile(`with (.+?)(?: \(e\.g\. '([^']*)'\))?\.?$`)

// QuestionFor returns the question a finding asks, given the issue's
// texts (to quote the marked words); ok is false for findings no answer
// of a PM can fix (duplicates, blockers, size).
func QuestionFor(f domain.Finding, summary, description string) (Question, bool) {
	q := Question{FindingID: FindingID(f), Code: f.Code}
	mark := marked(f, summary, description)
	switch f.Code {
	case checks.CodeVagueTerm, checks.CodeUnmeasurable:
		if mark == "" {
			q.Text = "What exactly must be true for this criterion to pass?"
			q.Placeholder = "e.g. the report lists last month's orders"
			return q, true
		}
		what := "a measure"
		if m := fixTarget.FindStringSubmatch(f.Fix); m != nil {
			what = m[1]
			if m[2] != "" {
				q.Placeholder = "e.g. " + m[2]
			}
		}
		q.Text = fmt.Sprintf("What does '%s' mean here: %s?", mark, what)
	case checks.CodeMissingBenefit, checks.CodeGenericBenefit, checks.CodeBenefitRestates:
		q.Text = "Why does the user need this: what do they gain?"
		q.Placeholder = "e.g. I can pay without re-entering my card"
	case checks.CodeSeveralPersonas:
		q.Text = "Which one user is this story for?"
		if mark != "" {
			q.Text = fmt.Sprintf("Which one user is this story for, rather than '%s'?", mark)
		}
		q.Placeholder = "e.g. returning customer"
	case checks.CodeDependencyText:
		q.Text = "Which issue does this wait on (its key), or can it be done without it?"
		q.Placeholder = "e.g. SHOP-12"
	case checks.CodeTooBig, checks.CodeConjunction:
		q.Text = "Which part could ship first on its own?"
		q.Placeholder = "e.g. saved cards only, without wallets"
	case checks.CodeSolutionTerm, checks.CodeImplementation:
		q.Text = "What does the user need, without naming how it is built?"
		if mark != "" {
			q.Text = fmt.Sprintf("What does the user need, instead of '%s'?", mark)
		}
	case checks.CodeMissingRole:
		q.Text = "Who needs this: which user or role?"
		q.Placeholder = "e.g. returning customer"
	case checks.CodeMissingCriteria:
		q.Text = "How will you know it is done: what does the user see or can do?"
		q.Placeholder = "e.g. the order confirmation shows the delivery date"
	case checks.CodeOpenQuestion:
		if mark == "" {
			return q, false
		}
		q.Text = fmt.Sprintf("What is the answer to \"%s\"?", mark)
	case checks.CodePlaceholder:
		if mark == "" {
			return q, false
		}
		q.Text = fmt.Sprintf("What goes in place of '%s'?", mark)
	default:
		return q, false
	}
	return q, true
}

func marked(f domain.Finding, summary, description string) string {
	if f.Span == nil {
		return ""
	}
	text := summary
	if f.Span.Field == domain.FieldDescription {
		text = description
	}
	if f.Span.Start < 0 || f.Span.End > len(text) || f.Span.Start >= f.Span.End {
		return ""
	}
	return strings.TrimSpace(text[f.Span.Start:f.Span.End])
}

// applyAnswer writes an answer into the issue's texts by the finding's
// template: the marked words are replaced, a missing part is added where
// it belongs. It never inserts placeholders: only the person's words.
func applyAnswer(f domain.Finding, story *domain.Story, summary, description, answer string) (string, string, error) {
	answer = strings.TrimSpace(strings.TrimRight(oneLine(answer), "."))
	if answer == "" {
		return "", "", invalid("answer: write an answer first")
	}
	replaceSpan := func() (string, string, bool) {
		sp := f.Span
		if sp == nil || sp.Start >= sp.End {
			return "", "", false
		}
		text := &summary
		if sp.Field == domain.FieldDescription {
			text = &description
		}
		if sp.End > len(*text) {
			return "", "", false
		}
		*text = (*text)[:sp.Start] + answer + (*text)[sp.End:]
		return summary, description, true
	}
	switch f.Code {
	case checks.CodeVagueTerm, checks.CodeUnmeasurable:
		if sp := f.Span; sp != nil {
			text := &summary
			if sp.Field == domain.FieldDescription {
				text = &description
			}
			if t, ok := clarify(*text, sp.Start, sp.End, answer); ok && !coordinated(*text, sp.Start, sp.End) {
				*text = t
				return summary, description, nil
			}
		}
	case checks.CodePlaceholder:
		if s, d, ok := replaceSpan(); ok {
			return s, d, nil
		}
	case checks.CodeOpenQuestion:
		// The question stays, as a statement with its answer: "Should
		// guests get it: yes." In the summary only its "?" goes, and the
		// answer is noted in the description.
		if sp := f.Span; sp != nil && sp.Start < sp.End {
			text := &summary
			if sp.Field == domain.FieldDescription {
				text = &description
			}
			if sp.End <= len(*text) && (*text)[sp.End-1] == '?' {
				question := strings.TrimRight((*text)[sp.Start:sp.End], "? ")
				if sp.Field == domain.FieldDescription {
					*text = (*text)[:sp.Start] + question + ": " + answer + "." + (*text)[sp.End:]
					return summary, description, nil
				}
				*text = strings.TrimSpace((*text)[:sp.End-1] + (*text)[sp.End:])
				return summary, strings.TrimSpace(description + "\n\n" + question + ": " + answer + "."), nil
			}
		}
	case checks.CodeMissingBenefit:
		if story != nil && story.MeansSpan != nil {
			sp := story.MeansSpan
			benefit := strings.TrimPrefix(strings.TrimPrefix(answer, "so that "), "So that ")
			if !strings.HasPrefix(benefit, "I ") {
				benefit = lowerFirst(benefit)
			}
			clause := ", so that " + benefit
			if sp.Field == domain.FieldSummary && sp.End <= len(summary) {
				return strings.TrimRight(summary[:sp.End], " .") + clause + summary[sp.End:], description, nil
			}
			if sp.Field == domain.FieldDescription && sp.End <= len(description) {
				return summary, strings.TrimRight(description[:sp.End], " .") + clause + description[sp.End:], nil
			}
		}
	case checks.CodeSeveralPersonas:
		if sp := f.Span; sp != nil && sp.Start < sp.End {
			text := &summary
			if sp.Field == domain.FieldDescription {
				text = &description
			}
			if sp.End <= len(*text) {
				*text = withArticle((*text)[:sp.Start], answer) + answer + (*text)[sp.End:]
				return summary, description, nil
			}
		}
	case checks.CodeGenericBenefit, checks.CodeBenefitRestates:
		if story != nil && story.BenefitSpan != nil {
			f.Span = story.BenefitSpan
			if s, d, ok := replaceSpan(); ok {
				return s, d, nil
			}
		}
	case checks.CodeMissingRole:
		role := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(answer, "As "), "as "), "a "))
		sentence := fmt.Sprintf("As %s %s, I want to %s.", anOrA(role), role, lowerFirst(strings.TrimRight(summary, ". ")))
		return summary, strings.TrimSpace("User story\n\n" + sentence + "\n\n" + description), nil
	case checks.CodeMissingCriteria:
		return summary, strings.TrimSpace(description + "\n\nAcceptance criteria\n\n- " + upperFirst(answer)), nil
	}
	// No template places it: the answer is recorded as a labelled note
	// (a statement, not the question: a question mark would itself be
	// reported as an open question).
	return summary, strings.TrimSpace(description + "\n\n" + noteLabel(f, summary, description) + ": " + answer + "."), nil
}

// noteLabel names what an answer recorded as a note says.
func noteLabel(f domain.Finding, summary, description string) string {
	mark := marked(f, summary, description)
	switch f.Code {
	case checks.CodeTooBig, checks.CodeConjunction:
		return "First slice"
	case checks.CodeDependencyText:
		return "Depends on"
	case checks.CodeSolutionTerm, checks.CodeImplementation:
		return "User goal"
	case checks.CodeVagueTerm, checks.CodeUnmeasurable:
		if mark != "" {
			return "'" + mark + "' means"
		}
	case checks.CodeOpenQuestion:
		if mark != "" {
			return strings.TrimRight(mark, "? ")
		}
	}
	return "Clarification"
}

// Answer applies a PM's answer to one finding's question and returns the
// result as an improvement proposal (the same diff preview as Improve);
// nothing changes in Jira until ApplyImprovement. With an LLM configured
// the answered text is then rewritten by it. A finding that is no longer
// there (the issue changed) is a conflict.
func (s *Service) Answer(ctx context.Context, t *domain.Tenant, key, findingID, answer string) (*Improvement, error) {
	if strings.TrimSpace(findingID) == "" {
		return nil, invalid("the finding (findingId) is required: name the finding the answer is for")
	}
	if n := utf8.RuneCountInString(answer); n > maxAnswer {
		return nil, invalid("answer: at most %s characters (this one has %s)", Thousands(maxAnswer), Thousands(n))
	}
	is, analyse, _, err := s.issueAndAnalyser(ctx, t, key)
	if err != nil {
		return nil, err
	}
	before := analyse(is, analysis.ExtraInput{})
	var f *domain.Finding
	for i := range before.Check.Findings {
		if FindingID(before.Check.Findings[i]) == findingID {
			f = &before.Check.Findings[i]
			break
		}
	}
	if f == nil {
		return nil, fmt.Errorf("generate: finding %q is no longer reported on %s: %w", findingID, key, domain.ErrConflict)
	}
	summary, desc, err := applyAnswer(*f, before.Check.Story, is.Summary, is.Description, answer)
	if err != nil {
		return nil, err
	}
	out := &Improvement{Mode: ModeDeterministic, Before: qualityOf(before.Check),
		Changes: []string{"Applied your answer to: " + firstNonEmpty(questionText(*f, is), f.Message)}}
	tc, err := s.config(ctx, t, is.ProjectKey)
	if err != nil {
		return nil, err
	}
	if tc.llm != nil {
		answered := is
		answered.Summary, answered.Description = summary, desc
		lctx, cancel := context.WithTimeout(ctx, syncLLMDeadline)
		defer cancel()
		ans, err := s.llmImprove(lctx, tc.llm, answered, analyse(answered, analysis.ExtraInput{}).Check)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLLM, err)
		}
		out.Mode = ModeLLM
		if strings.TrimSpace(ans.Summary) != "" {
			summary = ans.Summary
		}
		if strings.TrimSpace(ans.Description) != "" {
			desc = ans.Description
		}
		out.Changes = append(out.Changes, cleanList(ans.Changes)...)
	}
	out.Summary = truncate(oneLine(summary), maxTitle)
	out.Description = strings.TrimSpace(desc)
	after := is
	after.Summary, after.Description = out.Summary, TextDoc(out.Description).PlainText()
	out.After = qualityOf(analyse(after, analysis.ExtraInput{}).Check)
	out.Diff.Summary = Diff(is.Summary, out.Summary)
	out.Diff.Description = Diff(is.Description, out.Description)
	return out, nil
}

func questionText(f domain.Finding, is domain.Issue) string {
	q, _ := QuestionFor(f, is.Summary, is.Description)
	return q.Text
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// Thousands writes n with a comma every three digits ("4,000").
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// coordinated reports a word joined to the next by "and"/"or" after a
// determiner ("an intuitive and seamless checkout"): no single
// replacement reads well there, so the answer becomes a note.
func coordinated(text string, start, end int) bool {
	rest := strings.TrimLeft(text[end:], " ,")
	next, _, _ := strings.Cut(rest, " ")
	switch strings.ToLower(next) {
	case "and", "or", "but", "&", "and/or":
		return true
	}
	return false
}

// adjectiveCues: words before which a vague word is an adjective ("a fast
// checkout"), not an adverb or predicate ("loads fast", "is easy").
var adjectiveCues = map[string]bool{"a": true, "an": true, "the": true, "more": true, "very": true, "my": true,
	"our": true, "their": true, "your": true, "its": true, "this": true, "that": true}

// notNouns end a phrase: a vague word before one is not an adjective of
// a noun ("easy to use so that …").
var notNouns = map[string]bool{"so": true, "to": true, "that": true, "and": true, "or": true, "for": true, "with": true,
	"in": true, "on": true, "when": true, "if": true, "because": true, "is": true, "are": true, "be": true, "as": true}

// clarify puts a measure in place of the vague word text[start:end].
// Before a noun ("a fast checkout") the word goes and the measure follows
// the noun ("a checkout within 2 seconds"), with a/an
// corrected; elsewhere ("loads fast") the measure replaces the word.
func clarify(text string, start, end int, measure string) (string, bool) {
	if start < 0 || end > len(text) || start >= end {
		return "", false
	}
	before := strings.TrimRight(text[:start], " ")
	prev := before[strings.LastIndexAny(before, " \n\t(")+1:]
	after := text[end:]
	nounEnd := -1
	if adjectiveCues[strings.ToLower(prev)] && strings.HasPrefix(after, " ") {
		rest := after[1:]
		n := strings.IndexFunc(rest, func(r rune) bool { return !(r == '-' || r == '\'' || unicode.IsLetter(r) || unicode.IsDigit(r)) })
		if n < 0 {
			n = len(rest)
		}
		if n > 0 && !notNouns[strings.ToLower(rest[:n])] {
			nounEnd = n
		}
	}
	if nounEnd < 0 {
		return text[:start] + measure + after, true
	}
	noun := after[1 : 1+nounEnd]
	head := text[:start]
	switch strings.ToLower(prev) {
	case "a", "an":
		art := anOrA(noun)
		if prev[0] == 'A' {
			art = upperFirst(art)
		}
		head = before[:len(before)-len(prev)] + art + " "
	}
	first, _, _ := strings.Cut(strings.ToLower(measure), " ")
	if !measureLinks[first] {
		measure = "with " + measure
	}
	return head + noun + " " + measure + after[1+nounEnd:], true
}

// measureLinks start a measure that can follow a noun as it is ("a
// checkout within 2 seconds"); any other gets "with" ("an export with
// 2 clicks").
var measureLinks = map[string]bool{"within": true, "in": true, "under": true, "below": true, "above": true, "over": true,
	"at": true, "of": true, "with": true, "without": true, "for": true, "by": true, "before": true, "after": true,
	"that": true, "which": true, "where": true, "less": true, "more": true, "no": true, "up": true, "from": true}

// withArticle corrects an "a"/"an" that ends head for the word after it.
func withArticle(head, word string) string {
	trimmed := strings.TrimRight(head, " ")
	i := strings.LastIndexAny(trimmed, " \n\t(") + 1
	switch prev := trimmed[i:]; prev {
	case "a", "an", "A", "An":
		art := anOrA(word)
		if prev[0] == 'A' {
			art = upperFirst(art)
		}
		return trimmed[:i] + art + head[len(trimmed):]
	}
	return head
}

func anOrA(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}
