package jira

import (
	"context"
	"fmt"
	"strings"

	"github.com/backlogai/backlogai/server/domain"
)

// MaxRankBatch is Jira Software's limit of issues per rank call ("At most
// 50 issues may be ranked at once", PUT /rest/agile/1.0/issue/rank).
const MaxRankBatch = 50

// RankOrder returns the keys of the project's open issues (status
// category not Done) in Jira's rank order, top first.
func (c *Client) RankOrder(ctx context.Context, projectKey string) ([]string, error) {
	jql, err := ProjectJQL(projectKey, "statusCategory != Done")
	if err != nil {
		return nil, fmt.Errorf("jira: rank order: %w", err)
	}
	jql += " ORDER BY Rank ASC"
	var keys []string
	token := ""
	for {
		req := searchRequest{JQL: jql, Fields: []string{"key"}, MaxResults: c.opts.PageSize, NextPageToken: token}
		var resp searchResponse
		if err := c.do(ctx, "POST", "rest/api/3/search/jql", &req, &resp); err != nil {
			return nil, fmt.Errorf("jira: rank order of %s: %w", projectKey, err)
		}
		for _, is := range resp.Issues {
			keys = append(keys, is.Key)
		}
		if resp.NextPageToken == "" {
			return keys, nil
		}
		token = resp.NextPageToken
	}
}

type rankRequest struct {
	Issues          []string `json:"issues"`
	RankBeforeIssue string   `json:"rankBeforeIssue,omitempty"`
	RankAfterIssue  string   `json:"rankAfterIssue,omitempty"`
}

type rankResponse struct {
	Entries []struct {
		IssueKey string   `json:"issueKey"`
		Status   int      `json:"status"`
		Errors   []string `json:"errors"`
	} `json:"entries"`
}

// RankError lists the issues a rank call could not move (a 207 answer).
// It wraps domain.ErrForbidden when Jira refused any for permission,
// domain.ErrConflict otherwise.
type RankError struct {
	Failed    map[string]string // key → Jira's reason
	Forbidden bool
}

func (e *RankError) Unwrap() error {
	if e.Forbidden {
		return domain.ErrForbidden
	}
	return domain.ErrConflict
}

func (e *RankError) Error() string {
	parts := make([]string, 0, len(e.Failed))
	for k, why := range e.Failed {
		parts = append(parts, k+": "+why)
	}
	return "jira: rank: some issues were not ranked (" + strings.Join(parts, "; ") + ")"
}

// RankIssues moves keys, in that order, as one block directly before
// `before` or after `after` (exactly one is set), in batches of
// MaxRankBatch: each later batch goes after the last issue of the one
// before it, so the block stays contiguous.
func (c *Client) RankIssues(ctx context.Context, keys []string, before, after string) error {
	if (before == "") == (after == "") {
		return fmt.Errorf("jira: rank: exactly one of before and after must be set: %w", domain.ErrInvalid)
	}
	for start := 0; start < len(keys); start += MaxRankBatch {
		batch := keys[start:min(start+MaxRankBatch, len(keys))]
		req := rankRequest{Issues: batch, RankBeforeIssue: before, RankAfterIssue: after}
		var resp rankResponse
		if err := c.do(ctx, "PUT", "rest/agile/1.0/issue/rank", &req, &resp); err != nil {
			return fmt.Errorf("jira: rank %d issues: %w", len(batch), err)
		}
		rerr := &RankError{Failed: map[string]string{}}
		for _, en := range resp.Entries {
			if en.Status >= 300 {
				rerr.Failed[en.IssueKey] = strings.Join(en.Errors, " ")
				rerr.Forbidden = rerr.Forbidden || en.Status == 403
			}
		}
		if len(rerr.Failed) > 0 {
			return rerr
		}
		before, after = "", batch[len(batch)-1]
	}
	return nil
}
