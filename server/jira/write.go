package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ctreminiom/go-atlassian/v2/pkg/infra/models"

	"github.com/backlogai/backlogai/server/adf"
	"github.com/backlogai/backlogai/server/domain"
)

// NewIssue is an issue to create.
type NewIssue struct {
	ProjectKey  string
	IssueType   string // Jira issue type name: "Story", "Task", "Bug", "Epic"…
	Summary     string
	Description *adf.Doc
	ParentKey   string // epic (or parent of a sub-task)
	Labels      []string
	StoryPoints *float64
	// Inherited by the parts of a split; empty: Jira's defaults.
	Components    []string // names
	FixVersionIDs []string
	Priority      string // name
	DueDate       string // YYYY-MM-DD
}

// CreateResult is the outcome of one NewIssue, by its index in the input.
type CreateResult struct {
	Index int
	ID    string
	Key   string
	// Err is set when this issue was not created: an *ItemError for a
	// failure Jira reported for the element, or the error of its whole
	// chunk.
	Err error
}

// ItemError is Jira's reason for rejecting one element of a bulk create.
// It unwraps to the domain error of its status.
type ItemError struct {
	Status   int
	Messages []string
	Fields   map[string]string
}

func (e *ItemError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Detail()) }

// Detail joins Jira's messages and field errors for the element.
func (e *ItemError) Detail() string {
	a := APIError{Messages: e.Messages, Fields: e.Fields}
	return a.Detail()
}

// Unwrap maps the status to a domain error.
func (e *ItemError) Unwrap() error { return statusError(e.Status) }

// CreateIssues creates issues with POST /issue/bulk, 50 per call. It
// returns one result per input, in order, each with the created key or
// the item's own error; the error return is for failures that stop the
// whole operation (cancelled context, auth), in which case the results
// of the chunks not sent carry it too.
func (c *Client) CreateIssues(ctx context.Context, issues []NewIssue) ([]CreateResult, error) {
	results := make([]CreateResult, len(issues))
	for i := range results {
		results[i].Index = i
	}
	var spField string
	for _, is := range issues {
		if is.StoryPoints != nil {
			id, err := c.DiscoverStoryPointsField(ctx, 0)
			if err != nil {
				return failAll(results, 0, fmt.Errorf("jira: create issues: %w", err))
			}
			spField = id
			break
		}
	}
	for start := 0; start < len(issues); start += maxBulkCreate {
		end := min(start+maxBulkCreate, len(issues))
		if err := c.createChunk(ctx, issues[start:end], results[start:end], spField); err != nil {
			return failAll(results, start, fmt.Errorf("jira: create issues: %w", err))
		}
	}
	return results, nil
}

// failAll marks results from start on that have no outcome yet with err.
func failAll(results []CreateResult, start int, err error) ([]CreateResult, error) {
	for i := start; i < len(results); i++ {
		if results[i].Key == "" && results[i].Err == nil {
			results[i].Err = err
		}
	}
	return results, err
}

// createChunk sends one bulk create. It returns an error only when the
// operation must stop; per-item and per-chunk failures go into results.
func (c *Client) createChunk(ctx context.Context, chunk []NewIssue, results []CreateResult, spField string) error {
	// Elements that fail our own checks are not sent (Jira would reject
	// them anyway); sent[k] is the chunk index of the k-th element sent.
	var payload []*models.IssueBulkSchemeV3
	var sent []int
	for i, is := range chunk {
		p, err := issuePayload(is, spField)
		if err != nil {
			results[i].Err = err
			continue
		}
		payload = append(payload, p)
		sent = append(sent, i)
	}
	if len(payload) == 0 {
		return nil
	}
	_, res, err := c.api.Issue.Creates(ctx, payload)
	// The library's error type drops the per-field errors, so the body is
	// decoded here.
	var body bulkCreateResponse
	if res != nil {
		_ = json.Unmarshal(res.Bytes.Bytes(), &body)
	}
	if err != nil && (res == nil || res.Code != http.StatusBadRequest || len(body.Errors) == 0) {
		err = c.libErr(res, err)
		for _, i := range sent {
			results[i].Err = err
		}
		if fatal(ctx, err) {
			return err
		}
		return nil
	}
	failed := map[int]*ItemError{}
	for _, e := range body.Errors {
		failed[e.FailedElementNumber] = &ItemError{
			Status: e.Status, Messages: e.ElementErrors.ErrorMessages, Fields: e.ElementErrors.Errors,
		}
	}
	next := 0 // Jira lists the created issues in input order
	for k, i := range sent {
		if ie, ok := failed[k]; ok {
			results[i].Err = ie
			continue
		}
		if next >= len(body.Issues) {
			results[i].Err = fmt.Errorf("jira: bulk create: no result for element %d: %w", k, domain.ErrUnavailable)
			continue
		}
		results[i].ID, results[i].Key = body.Issues[next].ID, body.Issues[next].Key
		next++
	}
	return nil
}

// fatal reports errors after which the next calls would fail the same way.
func fatal(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, domain.ErrUnauthorized) ||
		errors.Is(err, domain.ErrForbidden) || errors.Is(err, domain.ErrRateLimited)
}

type bulkCreateResponse struct {
	Issues []struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	} `json:"issues"`
	Errors []struct {
		Status              int `json:"status"`
		FailedElementNumber int `json:"failedElementNumber"`
		ElementErrors       struct {
			ErrorMessages []string          `json:"errorMessages"`
			Errors        map[string]string `json:"errors"`
		} `json:"elementErrors"`
	} `json:"errors"`
}

// issuePayload builds one create element. The description goes in as a
// raw field so the ADF is sent exactly as built.
func issuePayload(is NewIssue, spField string) (*models.IssueBulkSchemeV3, error) {
	if is.ProjectKey == "" || is.IssueType == "" || strings.TrimSpace(is.Summary) == "" {
		return nil, fmt.Errorf("project, issue type and summary are required: %w", domain.ErrInvalid)
	}
	fields := &models.IssueFieldsScheme{
		Project:   &models.ProjectScheme{Key: is.ProjectKey},
		IssueType: &models.IssueTypeScheme{Name: is.IssueType},
		Summary:   is.Summary,
		Labels:    is.Labels,
	}
	if is.ParentKey != "" {
		fields.Parent = &models.ParentScheme{Key: is.ParentKey}
	}
	custom := &models.CustomFields{}
	if is.Description != nil && len(is.Description.Content) > 0 {
		if err := custom.Raw("description", *is.Description); err != nil {
			return nil, err
		}
	}
	if err := inheritedPayload(custom, is); err != nil {
		return nil, err
	}
	if is.StoryPoints != nil {
		if spField == "" {
			return nil, fmt.Errorf("story points: %w", ErrNoStoryPointsField)
		}
		if err := custom.Number(spField, *is.StoryPoints); err != nil {
			return nil, err
		}
	}
	return &models.IssueBulkSchemeV3{Payload: &models.IssueScheme{Fields: fields}, CustomFields: custom}, nil
}

func inheritedPayload(custom *models.CustomFields, is NewIssue) error {
	refs := func(key string, vals []string) []map[string]string {
		out := make([]map[string]string, len(vals))
		for i, v := range vals {
			out[i] = map[string]string{key: v}
		}
		return out
	}
	if len(is.Components) > 0 {
		if err := custom.Raw("components", refs("name", is.Components)); err != nil {
			return err
		}
	}
	if len(is.FixVersionIDs) > 0 {
		if err := custom.Raw("fixVersions", refs("id", is.FixVersionIDs)); err != nil {
			return err
		}
	}
	if is.Priority != "" {
		if err := custom.Raw("priority", map[string]string{"name": is.Priority}); err != nil {
			return err
		}
	}
	if is.DueDate != "" {
		return custom.Raw("duedate", is.DueDate)
	}
	return nil
}

// IssueEdit lists the changes of EditIssue; nil fields stay as they are.
type IssueEdit struct {
	Summary     *string
	Description *adf.Doc // an empty document clears it
	Labels      []string // non-nil replaces the labels (empty clears them)
	StoryPoints *float64
	// ParentKey moves the issue under another parent. Removing a parent
	// would take a JSON null, which Atlassian's API description forbids, so
	// it is not offered.
	ParentKey *string
}

// EditIssue updates an issue (PUT /issue/{key}). Watchers are notified as
// Jira does by default: turning that off needs admin permission. A
// conflicting concurrent update wraps domain.ErrConflict.
func (c *Client) EditIssue(ctx context.Context, key string, e IssueEdit) error {
	custom := &models.CustomFields{}
	add := func(id string, v any) {
		_ = custom.Raw(id, v) // only fails on an empty id or nil value, neither possible here
	}
	if e.Summary != nil {
		add("summary", *e.Summary)
	}
	if e.Description != nil {
		add("description", *e.Description) // marshals with a content array even when empty
	}
	if e.Labels != nil {
		add("labels", e.Labels)
	}
	if e.ParentKey != nil {
		if *e.ParentKey == "" {
			return fmt.Errorf("jira: edit issue %s: empty parent key: %w", key, domain.ErrInvalid)
		}
		add("parent", map[string]string{"key": *e.ParentKey})
	}
	if e.StoryPoints != nil {
		id, err := c.DiscoverStoryPointsField(ctx, 0)
		if err != nil {
			return fmt.Errorf("jira: edit issue %s: %w", key, err)
		}
		add(id, *e.StoryPoints)
	}
	if len(custom.Fields) == 0 {
		return nil
	}
	res, err := c.api.Issue.Update(ctx, key, true, &models.IssueScheme{}, custom, nil)
	if err := c.libErr(res, err); err != nil {
		return fmt.Errorf("jira: edit issue %s: %w", key, err)
	}
	return nil
}

// SetProperty sets one entity property of an issue (value ≤ 32,768
// characters of JSON).
func (c *Client) SetProperty(ctx context.Context, key, propKey string, value any) error {
	raw, err := propertyValue(value)
	if err != nil {
		return fmt.Errorf("jira: set property %s on %s: %w", propKey, key, err)
	}
	res, err := c.api.Issue.Property.Set(ctx, key, url.PathEscape(propKey), raw)
	if err := c.libErr(res, err); err != nil {
		return fmt.Errorf("jira: set property %s on %s: %w", propKey, key, err)
	}
	return nil
}

func propertyValue(v any) (json.RawMessage, error) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encode value: %w", err)
		}
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("value is not JSON: %w", domain.ErrInvalid)
	}
	if n := utf8.RuneCount(raw); n > maxPropertyChars {
		return nil, fmt.Errorf("value has %d characters, Jira allows %d: %w", n, maxPropertyChars, domain.ErrInvalid)
	}
	return raw, nil
}

// TaskError is a bulk property task that ended FAILED, CANCELLED or DEAD.
type TaskError struct {
	TaskID string
	Status string
	Result string
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("jira: task %s ended %s: %s", e.TaskID, e.Status, e.Result)
}

// SetPropertiesBulk sets propKey on many issues (values keyed by issue
// id) with POST /issue/properties/multi, 100 issues per call. Jira runs
// each call as a task (303 to /task/{id}); the client polls every task,
// with backoff, until COMPLETE. Up to 10 tasks run at once. The first
// failure is returned after the tasks already started have finished.
func (c *Client) SetPropertiesBulk(ctx context.Context, propKey string, values map[string]json.RawMessage) error {
	if propKey == "" {
		return fmt.Errorf("jira: bulk set properties: empty property key: %w", domain.ErrInvalid)
	}
	per := make(map[string]map[string]json.RawMessage, len(values))
	for id, v := range values {
		per[id] = map[string]json.RawMessage{propKey: v}
	}
	return c.SetIssuePropertiesBulk(ctx, per)
}

// maxPropsPerIssue is Jira's limit of properties per issue in one call.
const maxPropsPerIssue = 10

// SetIssuePropertiesBulk sets several properties per issue (keyed by issue
// id, then property key) with POST /issue/properties/multi: 100 issues and
// up to 10 properties each per call, polled like SetPropertiesBulk.
func (c *Client) SetIssuePropertiesBulk(ctx context.Context, values map[string]map[string]json.RawMessage) error {
	ids := make([]string, 0, len(values))
	for id, props := range values {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return fmt.Errorf("jira: bulk set properties: issue id %q is not numeric: %w", id, domain.ErrInvalid)
		}
		if len(props) == 0 || len(props) > maxPropsPerIssue {
			return fmt.Errorf("jira: bulk set properties: issue %s: 1 to %d properties: %w", id, maxPropsPerIssue, domain.ErrInvalid)
		}
		for k, v := range props {
			if k == "" {
				return fmt.Errorf("jira: bulk set properties: empty property key: %w", domain.ErrInvalid)
			}
			if _, err := propertyValue(v); err != nil {
				return fmt.Errorf("jira: bulk set properties: issue %s: %w", id, err)
			}
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return numericLess(ids[i], ids[j]) })

	var pending []string // task ids, oldest first
	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for start := 0; start < len(ids) && firstErr == nil; start += maxBulkProps {
		if len(pending) >= maxTasksInFlight {
			note(c.waitTask(ctx, pending[0]))
			pending = pending[1:]
			if firstErr != nil {
				break
			}
		}
		chunk := ids[start:min(start+maxBulkProps, len(ids))]
		body := multiPropertiesRequest{Issues: make([]multiPropertyIssue, len(chunk))}
		for i, id := range chunk {
			n, _ := strconv.ParseInt(id, 10, 64)
			body.Issues[i] = multiPropertyIssue{IssueID: n, Properties: values[id]}
		}
		taskID, task, err := c.submitPropertiesTask(ctx, &body)
		if err != nil {
			note(err)
			break
		}
		if task != nil && task.Status == "COMPLETE" {
			continue
		}
		if task != nil && taskFailed(task.Status) {
			note(&TaskError{TaskID: taskID, Status: task.Status, Result: task.Result})
			break
		}
		pending = append(pending, taskID)
	}
	for _, id := range pending {
		note(c.waitTask(ctx, id))
	}
	if firstErr != nil {
		return fmt.Errorf("jira: bulk set properties: %w", firstErr)
	}
	return nil
}

type multiPropertiesRequest struct {
	Issues []multiPropertyIssue `json:"issues"`
}

type multiPropertyIssue struct {
	IssueID    int64                      `json:"issueID"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// submitPropertiesTask posts one chunk and returns the task id from the
// 303's Location. When the HTTP client followed the 303, the task as it
// answered then is returned too, which spares a poll if it already ended.
func (c *Client) submitPropertiesTask(ctx context.Context, body *multiPropertiesRequest) (string, *models.TaskScheme, error) {
	req, err := c.api.NewRequest(ctx, http.MethodPost, "rest/api/3/issue/properties/multi", "", body)
	if err != nil {
		return "", nil, fmt.Errorf("build request: %w", err)
	}
	resp, err := c.tr.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if id := taskIDFrom(resp); id != "" {
		var task models.TaskScheme
		if resp.StatusCode == http.StatusOK && json.Unmarshal(data, &task) == nil && task.Status != "" {
			return id, &task, nil
		}
		return id, nil, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 && resp.StatusCode != http.StatusSeeOther {
		return "", nil, newAPIError(req.Method, req.URL.Path, resp.StatusCode, resp.Header, data, c.opts.Now())
	}
	return "", nil, fmt.Errorf("POST %s: %d without a task location: %w", req.URL.Path, resp.StatusCode, domain.ErrUnavailable)
}

// taskIDFrom finds the task of a bulk property set: the URL the client was
// redirected to, or the Location of an unfollowed 303.
func taskIDFrom(resp *http.Response) string {
	if resp.Request != nil && resp.Request.URL != nil {
		if id := taskIDInPath(resp.Request.URL.Path); id != "" {
			return id
		}
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil {
			return taskIDInPath(u.Path)
		}
	}
	return ""
}

func taskIDInPath(p string) string {
	_, id, ok := strings.Cut(p, "/rest/api/3/task/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// waitTask polls a task until it ends: at once (other chunks were sent
// meanwhile), then after TaskPollInterval, doubling up to 5 s.
func (c *Client) waitTask(ctx context.Context, id string) error {
	deadline := c.opts.Now().Add(c.opts.TaskTimeout)
	wait := c.opts.TaskPollInterval
	for {
		task, res, err := c.api.Task.Get(ctx, id)
		if err := c.libErr(res, err); err != nil {
			return fmt.Errorf("task %s: %w", id, err)
		}
		switch task.Status {
		case "COMPLETE":
			return nil
		}
		if taskFailed(task.Status) {
			return &TaskError{TaskID: id, Status: task.Status, Result: task.Result}
		}
		if c.opts.Now().After(deadline) {
			return fmt.Errorf("task %s still %s after %s: %w", id, task.Status, c.opts.TaskTimeout, domain.ErrUnavailable)
		}
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(wait*2, 5*time.Second)
	}
}

func taskFailed(status string) bool {
	switch status {
	case "FAILED", "CANCELLED", "CANCEL_REQUESTED", "DEAD":
		return true
	}
	return false
}

func numericLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// CreateLink links two issues. For Blocks, inwardKey blocks outwardKey;
// for Duplicate, inwardKey duplicates outwardKey (Jira's convention: the
// inward issue is the subject of the outward verb). Reading back,
// inwardKey's links show LinkBlocks/LinkDuplicates to outwardKey.
func (c *Client) CreateLink(ctx context.Context, linkType, inwardKey, outwardKey string) error {
	payload := &models.LinkPayloadSchemeV3{
		Type:         &models.LinkTypeScheme{Name: linkType},
		InwardIssue:  &models.LinkedIssueScheme{Key: inwardKey},
		OutwardIssue: &models.LinkedIssueScheme{Key: outwardKey},
	}
	res, err := c.api.Issue.Link.Create(ctx, payload)
	if err := c.libErr(res, err); err != nil {
		return fmt.Errorf("jira: link %s %s %s: %w", inwardKey, linkType, outwardKey, err)
	}
	return nil
}

// AddComment adds an ADF comment to an issue and returns the comment id.
func (c *Client) AddComment(ctx context.Context, key string, body adf.Doc) (string, error) {
	if len(body.Content) == 0 {
		return "", fmt.Errorf("jira: comment on %s: empty body: %w", key, domain.ErrInvalid)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("jira: comment on %s: %w", key, err)
	}
	var node models.CommentNodeScheme
	if err := json.Unmarshal(raw, &node); err != nil {
		return "", fmt.Errorf("jira: comment on %s: %w", key, err)
	}
	comment, res, err := c.api.Issue.Comment.Add(ctx, key, &models.CommentPayloadScheme{Body: &node}, nil)
	if err := c.libErr(res, err); err != nil {
		return "", fmt.Errorf("jira: comment on %s: %w", key, err)
	}
	return comment.ID, nil
}
