package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/analysis"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
)

// contentFields are the JSON names of the fields a draft holds.
var contentFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(Content{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}()

// PatchDraft saves a person's edit of some fields of a draft (a JSON
// object): the fields sent replace the draft's, every other field stays as
// it was. Keys that are not draft fields are ignored, so a page may send
// the whole draft back. A new parent epic is checked in Jira.
func (s *Service) PatchDraft(ctx context.Context, t *domain.Tenant, project string, id int64, patch json.RawMessage) (Draft, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(patch, &fields); err != nil || fields == nil {
		return Draft{}, invalid("the edit must be a JSON object of draft fields")
	}
	cur, err := s.Draft(ctx, t, project, id)
	if err != nil {
		return Draft{}, err
	}
	base, err := json.Marshal(cur.Content)
	if err != nil {
		return Draft{}, err
	}
	var merged map[string]json.RawMessage
	if err := json.Unmarshal(base, &merged); err != nil {
		return Draft{}, err
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if contentFields[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		// Each field alone first, so a wrong type names its field.
		var one Content
		if err := json.Unmarshal([]byte(`{"`+k+`":`+string(fields[k])+`}`), &one); err != nil {
			return Draft{}, invalid("the draft field %s has the wrong type", k)
		}
		merged[k] = fields[k]
	}
	raw, _ := json.Marshal(merged)
	var c Content
	if err := json.Unmarshal(raw, &c); err != nil {
		return Draft{}, invalid("the draft could not be read")
	}
	c.ParentEpic = strings.TrimSpace(c.ParentEpic)
	if c.ParentEpic != "" && c.ParentEpic != cur.ParentEpic {
		if !issueKey(c.ParentEpic) {
			return Draft{}, invalid("the parent epic must be an issue key such as SHOP-12")
		}
		app, err := s.appClient(t)
		if err != nil {
			return Draft{}, err
		}
		if err := checkParent(ctx, app, project, c.ParentEpic); err != nil {
			return Draft{}, err
		}
	}
	return s.EditDraft(ctx, t, project, id, c)
}

// checkParent tells whether key can be the parent of a new story in
// project: it exists and is an epic of that project. The refusal is an
// InputError a person can read.
func checkParent(ctx context.Context, c *jira.Client, project, key string) error {
	d, err := c.GetIssue(ctx, key, false)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return invalid("the parent epic %s does not exist, or you cannot see it", key)
	case err != nil:
		return fmt.Errorf("generate: check parent %s: %w", key, err)
	case d.Issue.ProjectKey != project:
		return invalid("the parent epic %s is not in project %s; choose an epic of this project", key, project)
	case d.Issue.Type != domain.TypeEpic:
		return invalid("%s is not an epic; stories can only be created under an epic", key)
	}
	return nil
}

// checkFormParent checks a submitted form's parent epic (with the app's
// client: the handler checked the person may create issues here).
func (s *Service) checkFormParent(ctx context.Context, t *domain.Tenant, project, key string) error {
	if key == "" {
		return nil
	}
	app, err := s.appClient(t)
	if err != nil {
		return err
	}
	return checkParent(ctx, app, project, key)
}

// DiscardResult lists the drafts a discard or restore acted on.
type DiscardResult struct {
	IDs []int64 `json:"ids"`
}

// DiscardDrafts hides drafts of a project (not those created or being
// created); RestoreDrafts undoes it.
func (s *Service) DiscardDrafts(ctx context.Context, t *domain.Tenant, project string, ids []int64) (DiscardResult, error) {
	if len(ids) == 0 || len(ids) > 500 {
		return DiscardResult{}, invalid("choose 1 to 500 drafts to discard")
	}
	got, err := s.Store.Tenant(t).DiscardDrafts(ctx, project, ids)
	return DiscardResult{IDs: nonNil(got)}, err
}

// RestoreDrafts brings discarded drafts back.
func (s *Service) RestoreDrafts(ctx context.Context, t *domain.Tenant, project string, ids []int64) (DiscardResult, error) {
	if len(ids) == 0 || len(ids) > 500 {
		return DiscardResult{}, invalid("choose 1 to 500 drafts to restore")
	}
	got, err := s.Store.Tenant(t).RestoreDrafts(ctx, project, ids)
	return DiscardResult{IDs: nonNil(got)}, err
}

// findCreated looks for an issue an earlier, interrupted attempt created:
// reported by the person (creations run as them), created since the
// attempt could have started, with exactly this summary. The idempotency
// key itself stays in the database; nothing of it is put on the issue.
func findCreated(ctx context.Context, c *jira.Client, project, accountID string, since time.Time, summary string) (*found, error) {
	if accountID == "" || strings.ContainsAny(accountID, "\"\\") {
		return nil, fmt.Errorf("generate: find created issue: bad account id: %w", domain.ErrInvalid)
	}
	days := int(time.Since(since).Hours()/24) + 2
	jql := fmt.Sprintf(`reporter = "%s" AND created >= -%dd`, accountID, days)
	want := strings.TrimSpace(summary)
	token := ""
	for range 5 {
		page, next, err := c.ScanPage(ctx, project, jira.ScanOptions{JQLExtra: jql, Fields: []string{"summary"}}, token)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(page.Issues, func(is domain.Issue) bool { return strings.TrimSpace(is.Summary) == want }); i >= 0 {
			return &found{Key: page.Issues[i].Key, ID: page.Issues[i].ID}, nil
		}
		if next == "" {
			break
		}
		token = next
	}
	return nil, nil
}

// fieldNames are Jira field ids as a person knows them.
var fieldNames = map[string]string{"summary": "title", "description": "description", "parent": "parent epic",
	"labels": "labels", "issuetype": "issue type", "project": "project", "priority": "priority",
	"components": "components", "fixVersions": "fix versions", "duedate": "due date", "reporter": "reporter"}

// plainRefusal says which fields Jira refused, in words, without Jira's
// own text (which names internal ids and screens).
func plainRefusal(status int, fields map[string]string) string {
	if _, ok := fields["parent"]; ok {
		return "The parent epic cannot be used: it must be an epic of this project."
	}
	var names []string
	for f := range fields {
		n, ok := fieldNames[f]
		if !ok {
			n = "a custom field"
			if strings.HasPrefix(f, "customfield_") {
				n = "story points or another custom field"
			}
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	switch {
	case len(names) > 0:
		return "Jira did not accept the " + strings.Join(names, ", ") + "."
	case status == 403:
		return "You may not create issues in this project."
	case status == 404:
		return "The project or the parent was not found."
	}
	return "Jira did not accept the issue."
}

// Criteria returns an issue's acceptance criteria as the checks read them,
// for the split dialog to assign each to a part.
func (s *Service) Criteria(ctx context.Context, t *domain.Tenant, key string) ([]string, error) {
	is, analyse, _, err := s.issueAndAnalyser(ctx, t, key)
	if err != nil {
		return nil, err
	}
	crit := analyse(is, analysis.ExtraInput{}).Check.AcceptanceCriteria
	out := make([]string, 0, len(crit))
	for _, c := range crit {
		if c = oneLine(c); c != "" {
			out = append(out, c)
		}
	}
	return out, nil
}
