package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/retry"
	"github.com/backlogai/backlogai/server/store"
)

// claimStale is how long a claim on a draft (or an idempotency key) holds
// before another request may assume its creator died.
const claimStale = 2 * time.Minute

// waitForOther bounds how long a request waits for another one creating
// the same draft (a double submit) before reporting it as in progress.
const waitForOther = 15 * time.Second

// Created is a draft created in Jira.
type Created struct {
	DraftID int64  `json:"draftId"`
	Key     string `json:"key"`
	URL     string `json:"url"`
}

// CreateFailure is a draft that was not created, with a reason for the
// person.
type CreateFailure struct {
	DraftID int64  `json:"draftId"`
	Error   string `json:"error"`
}

// CreateResult is the outcome of creating drafts.
type CreateResult struct {
	Created []Created       `json:"created"`
	Failed  []CreateFailure `json:"failed"`
}

// pending is a claimed draft on its way to Jira.
type pending struct {
	rec      *domain.DraftRecord
	content  Content
	analysis domain.Analysis
}

// CreateDrafts creates the drafts in Jira (bulk create) and returns what
// happened to each. It is idempotent: a draft is created once however
// often it is submitted, also when a previous attempt died between Jira's
// answer and storing it. The idempotency state stays in the database (the
// draft's claim and attempts); a retry of a draft that had an attempt
// first looks for an issue the person created since the draft was made
// with its exact title. Each draft's parent epic is checked first. The
// issues are created as the person with accountID (user impersonation);
// the score property on them is written by backlog, as the app.
func (s *Service) CreateDrafts(ctx context.Context, t *domain.Tenant, accountID, project string, ids []int64) (CreateResult, error) {
	res := CreateResult{Created: []Created{}, Failed: []CreateFailure{}}
	if err := s.Init(); err != nil {
		return res, err
	}
	if len(ids) == 0 || len(ids) > 50 {
		return res, invalid("choose 1 to 50 drafts to create")
	}
	ts := s.Store.Tenant(t)
	c, err := s.userClient(ctx, t, accountID)
	if err != nil {
		return res, err
	}
	var todo []pending
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		cur, err := ts.Draft(ctx, id)
		if errors.Is(err, domain.ErrNotFound) || (err == nil && cur.Project != project) {
			res.Failed = append(res.Failed, CreateFailure{DraftID: id, Error: "No such draft in this project."})
			continue
		}
		if err != nil {
			return res, err
		}
		rec, claimed, err := ts.ClaimDraft(ctx, id, s.Now().Add(-claimStale))
		if err != nil {
			return res, err
		}
		if !claimed {
			s.reportOther(ctx, t, ts, rec, &res)
			continue
		}
		p := pending{rec: rec}
		var sa storedAnalysis
		if json.Unmarshal(rec.Content, &p.content) != nil || json.Unmarshal(rec.Analysis, &sa) != nil {
			s.markFailed(ctx, ts, id, "The draft could not be read.")
			res.Failed = append(res.Failed, CreateFailure{DraftID: id, Error: "The draft could not be read."})
			continue
		}
		p.content.normalize()
		p.analysis = sa.Analysis
		todo = append(todo, p)
	}
	todo = s.withValidParents(ctx, ts, c, project, todo, &res)
	if len(todo) == 0 {
		return res, nil
	}
	// A draft with an earlier attempt may already be in Jira.
	var fresh []pending
	for _, p := range todo {
		if p.rec.Attempts == 0 {
			fresh = append(fresh, p)
			continue
		}
		found, err := findCreated(ctx, c, project, accountID, p.rec.CreatedAt, p.content.Title)
		if err != nil {
			s.markFailed(ctx, ts, p.rec.ID, "Jira could not be searched for an earlier attempt; try again.")
			res.Failed = append(res.Failed, CreateFailure{DraftID: p.rec.ID, Error: "Jira could not be searched for an earlier attempt; try again."})
			continue
		}
		if found != nil {
			s.created(ctx, t, ts, p, found.Key, found.ID, &res)
			continue
		}
		fresh = append(fresh, p)
	}
	if len(fresh) == 0 {
		return res, nil
	}
	issues, err := s.newIssues(ctx, c, project, fresh)
	if err != nil {
		for _, p := range fresh {
			s.markFailed(ctx, ts, p.rec.ID, userMessage(err))
			res.Failed = append(res.Failed, CreateFailure{DraftID: p.rec.ID, Error: userMessage(err)})
		}
		return res, nil
	}
	results, cerr := c.CreateIssues(ctx, issues)
	if s.afterCreate != nil {
		if err := s.afterCreate(); err != nil {
			return res, err // the crash the tests simulate: nothing stored
		}
	}
	var props []backlog.CreatedIssue
	for i, r := range results {
		p := fresh[i]
		if r.Err != nil || r.Key == "" {
			msg := "Jira did not create the issue."
			if r.Err != nil {
				msg = userMessage(r.Err)
				s.Logger.Warn("draft not created", "tenant_id", t.ID, "draft_id", p.rec.ID, "err", r.Err)
			}
			s.markFailed(ctx, ts, p.rec.ID, msg)
			res.Failed = append(res.Failed, CreateFailure{DraftID: p.rec.ID, Error: msg})
			continue
		}
		s.created(ctx, t, ts, p, r.Key, r.ID, &res)
		props = append(props, backlog.CreatedIssue{ID: r.ID, Analysis: &p.analysis, StoryPoints: issues[i].StoryPoints})
	}
	if cerr != nil {
		s.Logger.Warn("bulk create stopped early", "tenant_id", t.ID, "err", cerr)
	}
	// The property makes the new issues sortable by score in JQL at once;
	// backlog, its only writer, writes it under the project's write-back
	// lock. Without it the webhook's re-analysis writes it a little later.
	if len(props) > 0 && s.Backlog != nil {
		if err := s.Backlog.WriteCreated(ctx, t, project, props); err != nil {
			s.Logger.Warn("property of created issues not set", "tenant_id", t.ID, "project", project, "err", err)
		}
	}
	return res, nil
}

// reportOther reports a draft someone else holds: created already (the
// idempotent answer), or being created, in which case it waits a little
// for that request to finish.
func (s *Service) reportOther(ctx context.Context, t *domain.Tenant, ts *store.TenantStore, rec *domain.DraftRecord, res *CreateResult) {
	deadline := time.Now().Add(waitForOther)
	for rec.Status == domain.DraftCreating && time.Now().Before(deadline) {
		if retry.Sleep(ctx, 200*time.Millisecond) != nil {
			deadline = time.Now()
		}
		// A failed read is retried on the next tick; at the deadline the
		// draft is reported as the last read left it.
		if r, err := ts.Draft(ctx, rec.ID); err == nil {
			rec = r
		}
	}
	switch rec.Status {
	case domain.DraftCreated:
		res.Created = append(res.Created, Created{DraftID: rec.ID, Key: rec.CreatedKey, URL: issueURL(t, rec.CreatedKey)})
	case domain.DraftCreating:
		res.Failed = append(res.Failed, CreateFailure{DraftID: rec.ID, Error: "This draft is being created by another request."})
	default:
		res.Failed = append(res.Failed, CreateFailure{DraftID: rec.ID, Error: "This draft changed meanwhile; try again."})
	}
}

// withValidParents checks each parent epic once (as the person) and
// fails the drafts under a parent that cannot take them; it returns the
// others.
func (s *Service) withValidParents(ctx context.Context, ts *store.TenantStore, c *jira.Client, project string, todo []pending, res *CreateResult) []pending {
	verdict := map[string]string{}
	var ok []pending
	for _, p := range todo {
		parent := p.content.ParentEpic
		if parent == "" {
			ok = append(ok, p)
			continue
		}
		msg, seen := verdict[parent]
		if !seen {
			err := checkParent(ctx, c, project, parent)
			var ie *InputError
			switch {
			case errors.As(err, &ie):
				msg = ie.Msg
			case err != nil:
				msg = "The parent epic " + parent + " could not be checked; try again."
				s.Logger.Warn("parent epic not checked", "parent", parent, "err", err)
			}
			verdict[parent] = msg
		}
		if msg != "" {
			s.markFailed(ctx, ts, p.rec.ID, msg)
			res.Failed = append(res.Failed, CreateFailure{DraftID: p.rec.ID, Error: msg})
			continue
		}
		ok = append(ok, p)
	}
	return ok
}

func (s *Service) created(ctx context.Context, t *domain.Tenant, ts *store.TenantStore, p pending, key, id string, res *CreateResult) {
	if err := ts.MarkDraftCreated(ctx, p.rec.ID, key, id); err != nil {
		// The issue exists; the next attempt finds it by its reporter and title.
		s.Logger.Error("created draft not recorded", "tenant_id", t.ID, "draft_id", p.rec.ID, "key", key, "err", err)
	}
	res.Created = append(res.Created, Created{DraftID: p.rec.ID, Key: key, URL: issueURL(t, key)})
}

// newIssues builds the create requests: ADF description (validated),
// parent epic, the app's label. Drafts get no story points: a suggestion
// written there would read as the team's own estimate, and would come back
// as training data for the estimator.
func (s *Service) newIssues(ctx context.Context, c *jira.Client, project string, ps []pending) ([]jira.NewIssue, error) {
	issueType := "Story"
	if p, err := c.GetProject(ctx, project); err == nil && len(p.IssueTypes) > 0 && !containsFold(p.IssueTypes, "Story") {
		issueType = "Task"
	}
	out := make([]jira.NewIssue, len(ps))
	for i, p := range ps {
		doc := Doc(&p.content)
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		if err := adf.Validate(raw); err != nil {
			return nil, fmt.Errorf("generate: draft %d description: %w", p.rec.ID, err)
		}
		ni := jira.NewIssue{ProjectKey: project, IssueType: issueType, Summary: p.content.Title, Description: &doc,
			ParentKey: p.content.ParentEpic, Labels: []string{Label}}
		out[i] = ni
	}
	return out, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// found is an issue found by its idempotency label.
type found struct{ Key, ID string }

// userMessage is an error as a person can read it: which field Jira
// refused, in words (Jira's own text goes to the log only), or a generic
// reason.
func userMessage(err error) string {
	var ie *jira.ItemError
	var ae *jira.APIError
	switch {
	case errors.As(err, &ie):
		return plainRefusal(ie.Status, ie.Fields)
	case errors.As(err, &ae) && ae.Status < 500 && ae.Status != 429:
		return plainRefusal(ae.Status, ae.Fields)
	case errors.Is(err, domain.ErrRateLimited):
		return "Jira is rate limiting requests; try again in a minute."
	case errors.Is(err, domain.ErrForbidden):
		return "The app may not create issues in this project."
	case errors.Is(err, adf.ErrInvalid):
		return "The description could not be turned into a valid Jira document."
	}
	return "Jira could not be reached; try again."
}

// markFailed records a draft's failure; the caller reports it in the
// response either way, so a store error is logged, not returned.
func (s *Service) markFailed(ctx context.Context, ts *store.TenantStore, id int64, msg string) {
	if err := ts.MarkDraftFailed(ctx, id, msg); err != nil {
		s.Logger.Warn("mark draft failed", "draft_id", id, "err", err)
	}
}
