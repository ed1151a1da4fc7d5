package generate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/analysis/checks"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/llm"
)

// Quality is a check result in brief.
type Quality struct {
	Quality  int              `json:"quality"`
	Findings []domain.Finding `json:"findings"`
}

func qualityOf(c domain.CheckResult) Quality {
	f := c.Findings
	if f == nil {
		f = []domain.Finding{}
	}
	return Quality{Quality: c.Quality, Findings: f}
}

// Improvement is a proposed rewrite of an issue.
type Improvement struct {
	Mode        string `json:"mode"`
	Notice      string `json:"notice,omitempty"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Diff        struct {
		Summary     []DiffOp `json:"summary"`
		Description []DiffOp `json:"description"`
	} `json:"diff"`
	Before  Quality  `json:"before"`
	After   Quality  `json:"after"`
	Changes []string `json:"changes"`
	// Offered is false when no rewrite is proposed (Summary and
	// Description are then the issue's own): only Questions remain.
	Offered bool `json:"offered"`
	// Questions ask, per finding, what a person must answer to resolve it.
	Questions []Question `json:"questions"`
}

// syncLLMDeadline bounds the LLM work of a request a person waits on
// (improve, split), inside the HTTP server's 60-second write timeout.
const syncLLMDeadline = 50 * time.Second

const (
	noticeSplitNoLLM  = "No LLM configured: the story was split where its goal joins separate actions or objects; each acceptance criterion went to the part it names, or to every part. Review each part."
	noticeApplyFormat = "Applying replaces the description with plain paragraphs, headings and lists."
)

// issueAndAnalyser reads an issue fresh from Jira and returns an analyser
// over its project's model.
func (s *Service) issueAndAnalyser(ctx context.Context, t *domain.Tenant, key string) (domain.Issue, Analyser, *jira.Client, error) {
	if err := s.Init(); err != nil {
		return domain.Issue{}, nil, nil, err
	}
	c, err := s.appClient(t)
	if err != nil {
		return domain.Issue{}, nil, nil, err
	}
	d, err := c.GetIssue(ctx, key, false)
	if err != nil {
		return domain.Issue{}, nil, nil, err
	}
	analyse, _, err := s.analyser(ctx, t, d.Issue.ProjectKey)
	if err != nil {
		return domain.Issue{}, nil, nil, err
	}
	return d.Issue, analyse, c, nil
}

// Improve proposes a rewrite of an issue's summary and description that
// fixes its findings, with a word diff and the quality before and after.
// Nothing changes in Jira until ApplyImprovement.
func (s *Service) Improve(ctx context.Context, t *domain.Tenant, key string) (*Improvement, error) {
	is, analyse, _, err := s.issueAndAnalyser(ctx, t, key)
	if err != nil {
		return nil, err
	}
	before := analyse(is, analysis.ExtraInput{})
	tc, err := s.config(ctx, t, is.ProjectKey)
	if err != nil {
		return nil, err
	}
	var out *Improvement
	if tc.llm != nil {
		// The person waits on this request: it must end within the HTTP
		// server's write timeout, retries included.
		lctx, cancel := context.WithTimeout(ctx, syncLLMDeadline)
		defer cancel()
		ans, err := s.llmImprove(lctx, tc.llm, is, before.Check)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLLM, err)
		}
		out = &Improvement{Mode: ModeLLM, Before: qualityOf(before.Check), Questions: Questions(before.Check, is.Summary, is.Description), Offered: true}
		out.Summary, out.Description, out.Changes = ans.Summary, ans.Description, cleanList(ans.Changes)
	} else {
		out = improveProposal(is, analyse, before.Check)
	}
	if !out.Offered {
		out.Diff.Summary = Diff(is.Summary, is.Summary)
		out.Diff.Description = Diff(is.Description, is.Description)
		return out, nil
	}
	out.Summary = truncate(oneLine(out.Summary), maxTitle)
	if out.Summary == "" {
		out.Summary = is.Summary
	}
	out.Description = strings.TrimSpace(out.Description)
	if out.Description == "" {
		out.Description = is.Description
	}
	if out.Description != is.Description {
		out.Notice = strings.TrimSpace(out.Notice + " " + noticeApplyFormat)
	}
	after := is
	after.Summary, after.Description = out.Summary, TextDoc(out.Description).PlainText()
	out.After = qualityOf(analyse(after, analysis.ExtraInput{}).Check)
	out.Diff.Summary = Diff(is.Summary, out.Summary)
	out.Diff.Description = Diff(is.Description, out.Description)
	out.Offered = out.Summary != is.Summary || out.Description != is.Description
	return out, nil
}

func (s *Service) llmImprove(ctx context.Context, c *llm.Client, is domain.Issue, check domain.CheckResult) (llmImprove, error) {
	var ans llmImprove
	system, err := render(s.prompts.system, nil)
	if err != nil {
		return ans, err
	}
	user, err := render(s.prompts.improve, map[string]any{"Type": string(is.Type), "Summary": is.Summary,
		"Description": orNone(is.Description), "Quality": check.Quality, "Findings": check.Findings})
	if err != nil {
		return ans, err
	}
	_, err = c.Complete(ctx, llm.Request{Name: "issue_improvement", Schema: improveSchema, System: system, User: user,
		MaxTokens: 3000, Temperature: 0.2}, &ans)
	return ans, err
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(empty)"
	}
	return s
}

// ApplyImprovement writes an accepted rewrite to Jira as the person with
// accountID (user impersonation), so Jira checks their permission to edit
// and names them in the history.
func (s *Service) ApplyImprovement(ctx context.Context, t *domain.Tenant, accountID, key, summary, description string) error {
	if err := s.Init(); err != nil {
		return err
	}
	summary = oneLine(summary)
	if summary == "" || len(summary) > maxTitle {
		return invalid("the summary must have 1 to %d characters", maxTitle)
	}
	if err := checkDescription("description", description); err != nil {
		return err
	}
	doc := TextDoc(description)
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := adf.Validate(raw); err != nil {
		return fmt.Errorf("generate: improved description: %w", err)
	}
	c, err := s.userClient(ctx, t, accountID)
	if err != nil {
		return err
	}
	// Applying the issue's own text must not write: a write would touch
	// its update time (clearing its stale flag) and its history for nothing.
	cur, err := c.GetIssue(ctx, key, false)
	if err != nil {
		return err
	}
	if oneLine(cur.Issue.Summary) == summary && sameText(cur.Issue.Description, doc.PlainText()) {
		return ErrNoChange
	}
	return c.EditIssue(ctx, key, jira.IssueEdit{Summary: &summary, Description: &doc})
}

// ErrNoChange: an applied improvement equals the issue's text; nothing
// was written to Jira.
var ErrNoChange = errors.New("generate: the text equals the issue's: nothing to apply")

// sameText compares two descriptions as text, ignoring the whitespace the
// round trip through Jira's document format changes.
func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// NotSplittableError says plainly why an issue is not split: it is not a
// story, or without AI it has no clean split. It is an answer, not a
// failure: nothing to retry.
type NotSplittableError struct{ Reason string }

func (e *NotSplittableError) Error() string { return e.Reason }

func (e *NotSplittableError) Unwrap() error { return domain.ErrInvalid }

// SplitStory is one proposed part of a split.
type SplitStory struct {
	Summary     string           `json:"summary"`
	Description string           `json:"description"`
	Quality     int              `json:"quality"`
	Findings    []domain.Finding `json:"findings"`
}

// SplitProposal is a proposed split of an issue.
type SplitProposal struct {
	Mode      string       `json:"mode"`
	Notice    string       `json:"notice,omitempty"`
	Rationale string       `json:"rationale,omitempty"`
	Stories   []SplitStory `json:"stories"`
}

// Split proposes 2-5 smaller stories, each checked. Nothing changes in
// Jira until ApplySplit.
func (s *Service) Split(ctx context.Context, t *domain.Tenant, key string) (*SplitProposal, error) {
	is, analyse, _, err := s.issueAndAnalyser(ctx, t, key)
	if err != nil {
		return nil, err
	}
	if is.Type != domain.TypeStory {
		return nil, &NotSplittableError{Reason: fmt.Sprintf("%s is %s, not a story: only stories are split into smaller stories.", key, typeWithArticle(is.Type))}
	}
	before := analyse(is, analysis.ExtraInput{})
	tc, err := s.config(ctx, t, is.ProjectKey)
	if err != nil {
		return nil, err
	}
	out := &SplitProposal{Mode: ModeLLM}
	var parts [][2]string
	if tc.llm != nil {
		var ans llmSplit
		system, err := render(s.prompts.system, nil)
		if err != nil {
			return nil, err
		}
		user, err := render(s.prompts.split, map[string]any{"Key": key, "Summary": is.Summary, "Description": orNone(is.Description),
			"Findings": before.Check.Findings})
		if err != nil {
			return nil, err
		}
		lctx, cancel := context.WithTimeout(ctx, syncLLMDeadline)
		defer cancel()
		if _, err := tc.llm.Complete(lctx, llm.Request{Name: "story_split", Schema: splitSchema, System: system, User: user,
			MaxTokens: 3500, Temperature: 0.3}, &ans); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLLM, err)
		}
		for _, st := range ans.Stories {
			parts = append(parts, [2]string{st.Summary, st.Description})
		}
		out.Rationale = oneLine(ans.Rationale)
	} else {
		out.Mode, out.Notice = ModeDeterministic, noticeSplitNoLLM
		if parts = splitDeterministic(key, before.Check); len(parts) < 2 {
			return nil, &NotSplittableError{Reason: "Without an AI model a story is split only where its goal joins separate actions or objects (\"export and share\", \"sales, refunds and taxes\") that each read as a whole story; this one has none. Split it by hand, or an admin can set up an AI model in Settings."}
		}
	}
	for i, p := range parts {
		if len(out.Stories) == 5 {
			break
		}
		st := SplitStory{Summary: truncate(oneLine(p[0]), maxTitle), Description: strings.TrimSpace(p[1])}
		if st.Summary == "" {
			continue
		}
		child := domain.Issue{Key: fmt.Sprintf("SPLIT-%d", i+1), ProjectKey: is.ProjectKey, Type: domain.TypeStory, Summary: st.Summary,
			Description: TextDoc(st.Description).PlainText(), EpicKey: is.EpicKey, StatusCat: domain.StatusToDo}
		a := analyse(child, analysis.ExtraInput{})
		q := withoutDuplicateOf(a.Check, key)
		st.Quality, st.Findings = q.Quality, q.Findings
		out.Stories = append(out.Stories, st)
	}
	if len(out.Stories) < 2 {
		return nil, fmt.Errorf("%w: split of %s: fewer than 2 stories: %w", ErrLLM, key, llm.ErrInvalidOutput)
	}
	return out, nil
}

// withoutDuplicateOf drops the near-duplicate finding that points at the
// original: parts of a split resemble it by design.
func withoutDuplicateOf(c domain.CheckResult, original string) Quality {
	var fs []domain.Finding
	for _, f := range c.Findings {
		if f.Code == checks.CodeNearDuplicate && strings.Contains(f.Message, original+" ") {
			continue
		}
		fs = append(fs, f)
	}
	if len(fs) == len(c.Findings) {
		return qualityOf(c)
	}
	return qualityOf(domain.CheckResult{Findings: nonNil(fs), Quality: checks.Quality(fs, checks.DefaultOptions().Weights)})
}

// SplitResult is what ApplySplit created.
type SplitResult struct {
	Created []struct {
		Key string `json:"key"`
		URL string `json:"url"`
	} `json:"created"`
	// Shared are the original's acceptance criteria no part had; they were
	// added to every part, so none is dropped.
	Shared []string `json:"shared"`
	// Closed: the original was moved to done; else it stays as an umbrella.
	Closed bool `json:"closed"`
	// Notice says what could not be done (the parts exist either way).
	Notice string `json:"notice,omitempty"`
}

// SplitOptions are the person's choices in the split dialog.
type SplitOptions struct {
	// CloseOriginal moves the original to done with a comment; without it
	// the original stays open as an umbrella (with the comment).
	CloseOriginal bool
}

// ApplySplit is ApplySplitWith keeping the original as an umbrella.
func (s *Service) ApplySplit(ctx context.Context, t *domain.Tenant, accountID, key string, stories []SplitStory) (*SplitResult, error) {
	return s.ApplySplitWith(ctx, t, accountID, key, stories, SplitOptions{})
}

// ApplySplitWith creates the accepted stories and links each to the
// original ("split" link type if the site has one, else Relates). The
// parts inherit the original's epic, labels, components, priority, fix
// versions and due date; an acceptance criterion of the original that no
// part has is added to every part as shared. The original gets a comment
// and, if asked, is closed. Submitting the same split twice creates it
// once. Everything is done as the person with accountID (user
// impersonation).
func (s *Service) ApplySplitWith(ctx context.Context, t *domain.Tenant, accountID, key string, stories []SplitStory, opts SplitOptions) (*SplitResult, error) {
	if err := s.Init(); err != nil {
		return nil, err
	}
	if len(stories) < 2 || len(stories) > 5 {
		return nil, invalid("a split needs 2 to 5 stories")
	}
	for i := range stories {
		stories[i].Summary = oneLine(stories[i].Summary)
		if stories[i].Summary == "" || len(stories[i].Summary) > maxTitle {
			return nil, invalid("each story needs a summary of 1 to %d characters", maxTitle)
		}
		if err := checkDescription(fmt.Sprintf("stories[%d].description", i), stories[i].Description); err != nil {
			return nil, err
		}
	}
	sum := sha256.New()
	sum.Write([]byte(key))
	for _, st := range stories {
		sum.Write([]byte("\x00" + st.Summary + "\x00" + st.Description))
	}
	if opts.CloseOriginal {
		sum.Write([]byte("\x00close"))
	}
	hash := hex.EncodeToString(sum.Sum(nil))
	idem := "split:" + key + ":" + hash[:24]
	ts := s.Store.Tenant(t)
	k, claimed, err := ts.ClaimKey(ctx, idem, s.Now().Add(-claimStale))
	if err != nil {
		return nil, err
	}
	if k.State == domain.IdempotencyDone {
		var res SplitResult
		if err := json.Unmarshal(k.Result, &res); err != nil {
			return nil, fmt.Errorf("generate: stored split result: %w", err)
		}
		return &res, nil
	}
	if !claimed {
		return nil, fmt.Errorf("this split is being created by another request: %w", domain.ErrConflict)
	}
	res, err := s.applySplit(ctx, t, accountID, key, stories, opts, k.Attempts > 0)
	if err != nil {
		if rerr := ts.ReleaseKey(context.WithoutCancel(ctx), idem); rerr != nil {
			s.Logger.Error("release split key", "err", rerr)
		}
		return nil, err
	}
	raw, _ := json.Marshal(res)
	if err := ts.FinishKey(ctx, idem, raw); err != nil {
		s.Logger.Error("split result not recorded", "tenant_id", t.ID, "err", err)
	}
	return res, nil
}

// splitRecoveryWindow bounds how far back a retried split looks for parts
// an interrupted attempt created.
const splitRecoveryWindow = 30 * 24 * time.Hour

func (s *Service) applySplit(ctx context.Context, t *domain.Tenant, accountID, key string, stories []SplitStory, opts SplitOptions, retry bool) (*SplitResult, error) {
	c, err := s.userClient(ctx, t, accountID)
	if err != nil {
		return nil, err
	}
	orig, err := c.GetIssue(ctx, key, false)
	if err != nil {
		return nil, err
	}
	project := orig.ProjectKey
	inh, err := c.InheritedFields(ctx, key)
	if err != nil {
		return nil, err
	}
	analyse, _, err := s.analyser(ctx, t, project)
	if err != nil {
		return nil, err
	}
	res := &SplitResult{Shared: []string{}}
	descs := make([]string, len(stories))
	for i, st := range stories {
		descs[i] = st.Description
	}
	res.Shared = uncovered(analyse(orig.Issue, analysis.ExtraInput{}).Check.AcceptanceCriteria, descs)
	if len(res.Shared) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "\n\nShared acceptance criteria (from %s)\n\n", key)
		for _, c := range res.Shared {
			b.WriteString("- " + oneLine(c) + "\n")
		}
		for i := range descs {
			descs[i] = strings.TrimSpace(strings.TrimSpace(descs[i]) + b.String())
		}
	}
	labels := []string{}
	for _, l := range inh.Labels {
		if !strings.HasPrefix(l, "bai-") && l != Label {
			labels = append(labels, l)
		}
	}
	labels = append(labels, Label)
	keys := make([]string, len(stories))
	var todo []int
	for i := range stories {
		if retry {
			f, err := findCreated(ctx, c, project, accountID, s.Now().Add(-splitRecoveryWindow), stories[i].Summary)
			if err != nil {
				return nil, err
			}
			if f != nil {
				keys[i] = f.Key
				continue
			}
		}
		todo = append(todo, i)
	}
	var issues []jira.NewIssue
	for _, i := range todo {
		doc := TextDoc(descs[i])
		raw, _ := json.Marshal(doc)
		if err := adf.Validate(raw); err != nil {
			return nil, fmt.Errorf("generate: split story description: %w", err)
		}
		issues = append(issues, jira.NewIssue{ProjectKey: project, IssueType: "Story", Summary: stories[i].Summary, Description: &doc,
			ParentKey: orig.EpicKey, Labels: labels, Components: inh.Components, FixVersionIDs: inh.FixVersionIDs,
			Priority: inh.Priority, DueDate: inh.DueDate})
	}
	if len(issues) > 0 {
		results, err := c.CreateIssues(ctx, issues)
		if s.afterCreate != nil {
			if err := s.afterCreate(); err != nil {
				return nil, err
			}
		}
		for n, r := range results {
			if r.Err != nil {
				return nil, fmt.Errorf("generate: create split story: %w", r.Err)
			}
			keys[todo[n]] = r.Key
		}
		if err != nil {
			return nil, err
		}
	}
	linkType := "Relates"
	if lts, err := c.LinkTypes(ctx); err == nil {
		for _, lt := range lts {
			if strings.Contains(strings.ToLower(lt.Name+" "+lt.Inward+" "+lt.Outward), "split") {
				linkType = lt.Name
				break
			}
		}
	}
	for _, k := range keys {
		// The original is the subject of the outward verb ("split to").
		if err := c.CreateLink(ctx, linkType, key, k); err != nil && !errors.Is(err, domain.ErrConflict) {
			return nil, err
		}
		res.Created = append(res.Created, struct {
			Key string `json:"key"`
			URL string `json:"url"`
		}{k, issueURL(t, k)})
	}
	s.finishOriginal(ctx, c, key, orig.StatusCat == domain.StatusDone, keys, opts, res)
	return res, nil
}

// finishOriginal comments on the original and closes it if asked. The
// parts exist already, so a failure here is reported, not returned.
func (s *Service) finishOriginal(ctx context.Context, c *jira.Client, key string, done bool, keys []string, opts SplitOptions, res *SplitResult) {
	msg := "Split into " + strings.Join(keys, ", ") + " with BacklogAI."
	var problems []string
	if opts.CloseOriginal && !done {
		ts, err := c.Transitions(ctx, key)
		tr, ok := jira.DoneTransition(ts)
		switch {
		case err != nil:
			problems = append(problems, "the original could not be closed (its workflow could not be read)")
			s.Logger.Warn("split: transitions", "key", key, "err", err)
		case !ok:
			problems = append(problems, "the original could not be closed: its workflow offers no transition to done from here")
		default:
			if err := c.DoTransition(ctx, key, tr.ID); err != nil {
				problems = append(problems, "the original could not be closed")
				s.Logger.Warn("split: close original", "key", key, "err", err)
			} else {
				res.Closed = true
				msg += " Closed as split: the work continues in those issues."
			}
		}
	} else if done {
		res.Closed = true
	}
	if !res.Closed {
		msg += " Kept open as an umbrella for them."
	}
	if _, err := c.AddComment(ctx, key, TextDoc(msg)); err != nil {
		problems = append(problems, "the comment on the original could not be added")
		s.Logger.Warn("split: comment on original", "key", key, "err", err)
	}
	if len(problems) > 0 {
		res.Notice = upperFirst(strings.Join(problems, "; ")) + "."
	}
}

// uncovered returns the criteria that none of the texts contains (compared
// on letters and digits only, case folded).
func uncovered(crit []string, texts []string) []string {
	norm := func(s string) string {
		var b strings.Builder
		space := true
		for _, r := range strings.ToLower(s) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
				space = false
			} else if !space {
				b.WriteByte(' ')
				space = true
			}
		}
		return strings.TrimSpace(b.String())
	}
	joined := make([]string, len(texts))
	for i, t := range texts {
		joined[i] = " " + norm(t) + " "
	}
	out := []string{}
	for _, c := range crit {
		n := norm(c)
		if n == "" {
			continue
		}
		if !slices.ContainsFunc(joined, func(t string) bool { return strings.Contains(t, " "+n+" ") }) {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

// typeWithArticle names an issue type in a sentence: "a bug", "an epic".
func typeWithArticle(t domain.IssueType) string {
	switch t {
	case domain.TypeEpic:
		return "an epic"
	case domain.TypeSubtask:
		return "a sub-task"
	case "":
		return "an issue of no known type"
	}
	return "a " + string(t)
}
