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

// Question is what a finding asks of the PM. The glance offers an answer
// input for the Answerable ones; an improvement proposal lists them all.
type Question struct {
	FindingID string `json:"findingId"`
	Code      string `json:"code"`
	Text      string `json:"question"`
	// Placeholder is an example answer for the input.
	Placeholder string       `json:"placeholder,omitempty"`
	Span        *domain.Span `json:"span,omitempty"`
	Hint        bool         `json:"hint,omitempty"`
	// Answerable: Answer places the reply in the issue's text by a fixed
	// template (or as a labelled note). The others (a blocker, a
	// duplicate, a detail in the wrong place) are settled by an action in
	// Jira or an edit of the story sentence, not by words added to it.
	Answerable bool `json:"answerable"`
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

// quotedTerm is the first phrase a finding's message quotes; an
// apostrophe after a letter or digit ("can't") opens no quote.
var quotedTerm = regexp.MustCompile(`(?:^|[^\p{L}\p{N}])'([^']+)'`)

// issueRef is an issue key in a finding's message.
var issueRef = regexp.MustCompile(`\b[A-Z][A-Z0-9_]+-\d+\b`)

// Questions are the questions of a check's findings in their order, one
// per finding that asks something; never nil.
func Questions(c domain.CheckResult, summary, description string) []Question {
	out := []Question{}
	for _, f := range c.Findings {
		if q, ok := QuestionFor(f, c.Story, summary, description); ok {
			out = append(out, q)
		}
	}
	return out
}

// QuestionFor returns the question finding f asks of the PM, given the
// issue's story sentence (nil if none: its role names the user) and texts
// (to quote the marked words). ok is false for a hint that advises
// keeping the text as it is. The one generator of questions: the
// improvement proposal lists them all, the glance offers an answer input
// for the Answerable ones.
func QuestionFor(f domain.Finding, story *domain.Story, summary, description string) (Question, bool) {
	q := Question{FindingID: FindingID(f), Code: f.Code, Span: f.Span, Hint: f.Hint, Answerable: true}
	mark := marked(f, summary, description)
	term := mark
	if term == "" && f.Span == nil {
		// A finding without a span (an LLM review's) may quote its words.
		if m := quotedTerm.FindStringSubmatch(f.Message); m != nil {
			term = m[1]
		}
	}
	user := roleOf(story, summary, description)
	const firstSlice = "e.g. saved cards only, without wallets"
	switch f.Code {
	case checks.CodeVagueTerm, checks.CodeUnmeasurable:
		m := fixTarget.FindStringSubmatch(f.Fix)
		switch {
		case term != "" && m != nil:
			q.Text = fmt.Sprintf("What does '%s' mean here: %s?", term, m[1])
			if m[2] != "" {
				q.Placeholder = "e.g. " + m[2]
			}
		case term != "":
			// Boilerplate ("the user is happy"): the answer replaces it.
			q.Text = fmt.Sprintf("What must be true instead of '%s', so that someone can check it?", term)
			q.Placeholder = "e.g. the report lists last month's orders"
		case f.Code == checks.CodeUnmeasurable:
			q.Text = "What exactly must be true for this criterion to pass?"
			q.Placeholder = "e.g. the report lists last month's orders"
		default:
			q.Text = "What does the vague word mean here, in terms someone could check?"
		}
	case checks.CodeMissingBenefit:
		q.Text = fmt.Sprintf("Why does %s need this: what do they gain?", user)
		q.Placeholder = "e.g. I can pay without re-entering my card"
	case checks.CodeGenericBenefit, checks.CodeBenefitRestates:
		q.Text = fmt.Sprintf("What does %s gain from this beyond the feature itself: time saved, an error avoided, a decision made?", user)
		q.Placeholder = "e.g. I can pay without re-entering my card"
	case checks.CodeSeveralPersonas:
		q.Text = "Which one user is this story for?"
		if term != "" {
			q.Text = fmt.Sprintf("Which one user, rather than '%s', is this story for?", term)
		}
		q.Placeholder = "e.g. returning customer"
	case checks.CodeMissingRole:
		q.Text = "Who needs this: which user or role?"
		q.Placeholder = "e.g. returning customer"
	case checks.CodeDependencyText:
		q.Text = "Which issue does this wait on (its key), or can it be done without it?"
		q.Placeholder = "e.g. SHOP-12"
	case checks.CodeTooBig:
		q.Text = "Which part could ship first on its own?"
		q.Placeholder = firstSlice
	case checks.CodeConjunction:
		if f.Hint {
			return q, false // the words name one thing: keep it as one story
		}
		q.Text = "Which part could ship first on its own?"
		if term != "" {
			q.Text = fmt.Sprintf("Which of the parts joined by '%s' could ship first on its own?", term)
		}
		q.Placeholder = firstSlice
	case checks.CodeSolutionTerm, checks.CodeImplementation:
		q.Text = fmt.Sprintf("What does %s need that this technical work is meant to provide?", user)
		if term != "" {
			q.Text = fmt.Sprintf("What does %s need that '%s' is meant to provide?", user, term)
		}
	case checks.CodeMissingCriteria:
		q.Text = fmt.Sprintf("How will you know it is done: what can %s see or do?", user)
		q.Placeholder = "e.g. the order confirmation shows the delivery date"
	case checks.CodeOpenQuestion:
		// Only a marked question can be restated with its answer.
		q.Answerable = mark != ""
		q.Text = "What is the answer to the open question in this issue?"
		if term != "" {
			q.Text = fmt.Sprintf("The issue asks \"%s\": what is the answer?", term)
		}
	case checks.CodePlaceholder:
		q.Answerable = mark != ""
		q.Text = "What goes in place of the placeholder?"
		if term != "" {
			q.Text = fmt.Sprintf("What goes in place of '%s'?", term)
		}
	default:
		// The rest are settled by an edit of the story sentence or an
		// action in Jira (a link, a split, a closed duplicate), not by
		// words added to the issue.
		q.Answerable = false
		return q, settledElsewhere(&q, f, term, user)
	}
	return q, true
}

// settledElsewhere words the question of a finding no answer in the text
// resolves; false for a hint, which asks nothing.
func settledElsewhere(q *Question, f domain.Finding, term, user string) bool {
	key := issueRef.FindString(f.Message)
	switch f.Code {
	case checks.CodeNoTemplate:
		q.Text = "Who needs this, what should they be able to do, and what do they gain from it?"
	case checks.CodeMissingMeans:
		q.Text = fmt.Sprintf("What should %s be able to do?", user)
	case checks.CodeBuilderRole:
		q.Text = "Which user of the product benefits when this is done?"
	case checks.CodeNotAFeature, checks.CodeTaskTitle:
		q.Text = "What should a user be able to do when this is done that they cannot do today?"
	case checks.CodeTooManyCriteria:
		q.Text = "Which part could ship first on its own?"
	case checks.CodeBlocked:
		q.Text = "Can part of this ship before the work it waits on is done?"
		if key != "" {
			q.Text = fmt.Sprintf("Can part of this ship before %s is done?", key)
		}
	case checks.CodeNearDuplicate:
		q.Text = "Is this the same work as the similar issue, and if so, which issue stays?"
		if key != "" {
			q.Text = fmt.Sprintf("Is this the same work as %s, and if so, which issue stays?", key)
		}
	case checks.CodeLinkedDuplicate:
		q.Text = "Should this issue be closed as a duplicate, or does it add something the other issue lacks?"
		if key != "" {
			q.Text = fmt.Sprintf("Should this issue be closed as a duplicate of %s, or does it add something %s lacks?", key, key)
		}
	case checks.CodeBrackets, checks.CodeExtraPunctuation, checks.CodeExampleInStory, checks.CodeExtraSentence:
		q.Text = "Does this part belong in the story sentence, or in the description?"
		if term != "" {
			q.Text = fmt.Sprintf("Does '%s' belong in the story sentence, or in the description?", term)
		}
	default:
		if f.Hint {
			return false
		}
		q.Text = "What would resolve this: " + strings.TrimRight(lowerFirst(f.Message), ".") + "?"
	}
	return true
}

// roleOf names the story's user in a question ("the shopper"): its role
// when the sentence names one person of a few words with "a"/"an" ("As a
// shopper"), else "the user" (a plural or several roles would not agree
// with "does", a long one would bury the question).
func roleOf(story *domain.Story, summary, description string) string {
	if story == nil || story.RoleSpan == nil {
		return "the user"
	}
	role, sp := clause(story.Role), story.RoleSpan
	text := summary
	if sp.Field == domain.FieldDescription {
		text = description
	}
	lower := strings.ToLower(role)
	if role == "" || sp.Start > len(text) || len(strings.Fields(role)) > 4 || strings.ContainsAny(role, ",/&'\"()") ||
		wordIndex(lower, "and") >= 0 || wordIndex(lower, "or") >= 0 {
		return "the user"
	}
	before := strings.Fields(strings.ToLower(text[:sp.Start]))
	if len(before) == 0 || before[len(before)-1] != "a" && before[len(before)-1] != "an" {
		return "the user"
	}
	return "the " + role
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
		Changes: []string{"Applied your answer to: " + firstNonEmpty(questionText(*f, before.Check.Story, is), f.Message)}}
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

func questionText(f domain.Finding, story *domain.Story, is domain.Issue) string {
	q, _ := QuestionFor(f, story, is.Summary, is.Description)
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
