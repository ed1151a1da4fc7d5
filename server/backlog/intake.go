package backlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/tracing"
)

// issuePayload is the payload of analyse and delete jobs.
type issuePayload struct {
	Project string `json:"project"`
	Key     string `json:"key"`
	ID      string `json:"id,omitempty"`
}

// projectPayload is the payload of project-wide jobs.
type projectPayload struct {
	Project string `json:"project"`
}

// webhookBody is the part of a Jira issue webhook the app reads.
type webhookBody struct {
	Timestamp    int64  `json:"timestamp"`
	WebhookEvent string `json:"webhookEvent"`
	Issue        *struct {
		ID     string `json:"id"`
		Key    string `json:"key"`
		Fields struct {
			Project struct {
				Key string `json:"key"`
			} `json:"project"`
		} `json:"fields"`
	} `json:"issue"`
	Changelog *struct {
		Items []struct {
			Field   string `json:"field"`
			FieldID string `json:"fieldId"`
		} `json:"items"`
	} `json:"changelog"`
}

// relevantFields are the changelog fields whose change can move an
// analysis. Anything else (assignee, rank, sprint, our own property…) is
// acknowledged without work. Custom fields are matched by name below.
var relevantFields = map[string]bool{
	"summary": true, "description": true, "issuetype": true, "labels": true, "components": true,
	"priority": true, "status": true, "resolution": true, "link": true, "issuelinks": true, "votes": true,
	"watches": true, "duedate": true, "fixversions": true, "fix version": true, "epic link": true,
	"parent": true, "story points": true, "story point estimate": true, "project": true, "key": true,
}

// WebhookResult says what became of a delivery.
type WebhookResult string

const (
	WebhookQueued    WebhookResult = "queued"
	WebhookDuplicate WebhookResult = "duplicate"
	WebhookIgnored   WebhookResult = "ignored"
)

// webhookReq is one delivery on its way into the database.
type webhookReq struct {
	tenant  *domain.Tenant
	ident   string
	event   string
	project string
	key     string
	job     *domain.NewJob // nil: recorded, but nothing to do
	result  WebhookResult
	err     error
	done    chan struct{}
}

// AcceptWebhook persists a Jira issue webhook with the work it asks for,
// then returns: the work happens on the queue. identifier is
// X-Atlassian-Webhook-Identifier (stable across Jira's retries). When the
// intake batcher runs (RunIntake), concurrent deliveries share one insert;
// the call returns only once its own delivery is committed. The delivery
// row is the durable record of its work: the dispatcher turns it into a
// job (dispatch.go), here or on any replica.
func (s *Service) AcceptWebhook(ctx context.Context, t *domain.Tenant, identifier string, raw []byte) (WebhookResult, error) {
	body, err := parseWebhook(raw)
	if err != nil {
		return "", err
	}
	if identifier == "" {
		// Jira always sends one; without it, the body itself identifies
		// the delivery well enough to drop exact replays.
		sum := sha256.Sum256(raw)
		identifier = "body:" + hex.EncodeToString(sum[:16])
	}
	identifier = boundIdent(identifier, maxIdentifier)
	project := body.Issue.Fields.Project.Key
	if project == "" {
		project, _, _ = strings.Cut(body.Issue.Key, "-")
	}
	req := &webhookReq{tenant: t, ident: identifier, event: body.WebhookEvent, project: project, key: body.Issue.Key, done: make(chan struct{})}
	payload, _ := json.Marshal(issuePayload{Project: project, Key: body.Issue.Key, ID: body.Issue.ID})
	switch body.WebhookEvent {
	case "jira:issue_deleted":
		req.job = &domain.NewJob{Kind: KindDelete, DedupeKey: body.Issue.Key, Payload: payload, Priority: prioWebhook}
	case "jira:issue_created":
		req.job = &domain.NewJob{Kind: KindAnalyse, DedupeKey: body.Issue.Key, Payload: payload, Priority: prioWebhook}
	case "jira:issue_updated":
		if mattersForAnalysis(body) || s.changesMappedField(ctx, t, project, body) {
			req.job = &domain.NewJob{Kind: KindAnalyse, DedupeKey: body.Issue.Key, Payload: payload, Priority: prioWebhook}
		}
	}
	if req.job != nil {
		// The batcher commits on its own context: stamp the request's
		// trace and the receipt time (write-back lag) here.
		req.job.Trace, req.job.Origin = tracing.Parent(ctx), s.now()
	}
	s.mu.Lock()
	ch := s.intake
	s.mu.Unlock()
	if ch == nil {
		// No batcher and no dispatcher (tests, tools): record and
		// dispatch at once.
		s.persist(ctx, []*webhookReq{req})
		if req.err == nil && req.result == WebhookQueued {
			if _, err := s.Dispatch(ctx); err != nil {
				return "", fmt.Errorf("backlog: accept webhook: %w", err)
			}
		}
	} else {
		select {
		case ch <- req:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		select {
		case <-req.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if req.err != nil {
		return "", fmt.Errorf("backlog: accept webhook: %w", req.err)
	}
	return req.result, nil
}

// intakeBatch bounds one group commit.
const intakeBatch = 256

// RunIntake batches concurrent webhook deliveries into shared inserts, and
// dispatches their work into jobs, until ctx ends. Under a burst this
// replaces thousands of commits a second by a few hundred small ones.
func (s *Service) RunIntake(ctx context.Context, workers int) {
	s.mu.Lock()
	if s.intake == nil {
		s.intake = make(chan *webhookReq, intakeBatch*2)
	}
	if s.dispatch == nil {
		s.dispatch = make(chan struct{}, 1)
	}
	ch := s.intake
	s.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runDispatcher(ctx)
	}()
	for i := 0; i < max(1, workers); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var first *webhookReq
				select {
				case <-ctx.Done():
					return
				case first = <-ch:
				}
				batch := []*webhookReq{first}
			fill:
				for len(batch) < intakeBatch {
					select {
					case r := <-ch:
						batch = append(batch, r)
					default:
						break fill
					}
				}
				// Requests carry their own contexts; the batch outlives a
				// shutdown signal so that accepted work is committed.
				s.persist(context.WithoutCancel(ctx), batch)
				s.signalDispatch()
			}
		}()
	}
	wg.Wait()
}

// persist records the deliveries of a batch, for all tenants of the batch,
// in one statement (one commit however many sites sent them), and settles
// every request. Every row carries its own tenant id, taken from the
// verified token, and the job the delivery asks for.
func (s *Service) persist(ctx context.Context, reqs []*webhookReq) {
	events := make([]store.TenantWebhook, len(reqs))
	for i, r := range reqs {
		events[i] = store.TenantWebhook{TenantID: r.tenant.ID, WebhookEvent: store.WebhookEvent{Identifier: r.ident, Event: r.event, IssueKey: r.key},
			Project: r.project, Job: r.job}
	}
	fresh, err := s.Store.RecordWebhooksBatch(ctx, events)
	if err != nil && len(reqs) > 1 && ctx.Err() == nil && !store.Unavailable(err) {
		// One bad row (a tenant deleted meanwhile, a value the database
		// refuses) must not fail the deliveries of other tenants: retry
		// each on its own, so only the bad one fails.
		s.log().Warn("webhook group commit failed; retrying its deliveries one by one", "deliveries", len(reqs), "err", err)
		for _, r := range reqs {
			s.persist(ctx, []*webhookReq{r})
		}
		return
	}
	type delivery struct {
		t  int64
		id string
	}
	claimed := map[delivery]bool{}
	for _, r := range reqs {
		d := delivery{r.tenant.ID, r.ident}
		switch {
		case err != nil:
		case !fresh[r.tenant.ID][r.ident] || claimed[d]:
			r.result = WebhookDuplicate
		case r.job == nil:
			r.result = WebhookIgnored // unknown event, or a change that does not matter
		default:
			r.result = WebhookQueued // an inactive project's is dropped at dispatch
		}
		claimed[d] = true
		r.err = err
		if r.done != nil {
			close(r.done)
		}
	}
}

// parseWebhook decodes the part of an issue webhook the app needs and
// refuses anything else with domain.ErrInvalid.
func parseWebhook(raw []byte) (*webhookBody, error) {
	var body webhookBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("backlog: webhook body: %w", domain.ErrInvalid)
	}
	if body.WebhookEvent == "" || body.Issue == nil || body.Issue.Key == "" || len(body.Issue.Key) > 255 {
		return nil, fmt.Errorf("backlog: webhook without webhookEvent or issue key: %w", domain.ErrInvalid)
	}
	body.WebhookEvent = boundIdent(body.WebhookEvent, maxEvent)
	return &body, nil
}

// Column widths of webhook_events (characters on MySQL; bytes bound them).
const (
	maxIdentifier = 255
	maxEvent      = 64
)

// boundIdent keeps s when it fits in n bytes and is valid UTF-8. Otherwise
// it returns a prefix plus a hash of the whole value: over-long values stay
// distinct and stable across Jira's retries (so idempotency holds), and
// never make an insert fail for the other deliveries of its group commit.
func boundIdent(s string, n int) string {
	if len(s) <= n && utf8.ValidString(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:])
	if n < 2*len(h) {
		h = h[:32] // event names: 128 bits are plenty
	}
	keep := n - len(h) - 1
	// A rune cut in two at the end is dropped, not kept half.
	return strings.ToValidUTF8(s[:min(len(s), keep)], "") + "~" + h
}

func mattersForAnalysis(b *webhookBody) bool {
	if b.Changelog == nil || len(b.Changelog.Items) == 0 {
		// An update without a changelog (a comment, a link added by
		// another app): cheap to re-check, better than missing it.
		return true
	}
	for _, it := range b.Changelog.Items {
		if relevantFields[strings.ToLower(it.Field)] || relevantFields[strings.ToLower(it.FieldID)] {
			return true
		}
	}
	return false
}

// Activate makes a project active and starts its full scan (unless one is
// already running). It is what opening the project page does the first time.
func (s *Service) Activate(ctx context.Context, t *domain.Tenant, project, jiraID, name string) (*domain.Scan, error) {
	ts := s.Store.Tenant(t)
	if _, err := ts.EnsureProject(ctx, project, jiraID, name); err != nil {
		return nil, err
	}
	if err := ts.SetProjectActive(ctx, project, true); err != nil {
		return nil, err
	}
	if sc, err := ts.Scan(ctx, project); err == nil && sc.State == domain.ScanRunning {
		return sc, nil
	}
	return s.StartScan(ctx, t, project)
}

// StartScan (re)starts a project's full scan from the first page.
func (s *Service) StartScan(ctx context.Context, t *domain.Tenant, project string) (*domain.Scan, error) {
	ts := s.Store.Tenant(t)
	sc, err := ts.StartScan(ctx, project, 0)
	if err != nil {
		return nil, err
	}
	payload, _ := json.Marshal(projectPayload{Project: project})
	if _, err := ts.Enqueue(ctx, domain.NewJob{Kind: KindScan, DedupeKey: project, Payload: payload, Priority: prioScan}); err != nil {
		return nil, err
	}
	s.wake()
	return sc, nil
}

// Progress is a scan's state for the UI.
type Progress struct {
	State      string  `json:"state"`
	Phase      string  `json:"phase"`
	Done       int     `json:"done"`
	Total      int     `json:"total"`
	Written    int     `json:"written"`
	RatePerSec float64 `json:"ratePerSec"`
	ETASeconds float64 `json:"etaSeconds"`
	Error      string  `json:"error,omitempty"`
	StartedAt  string  `json:"startedAt"`
}

// ScanProgress reports a project's scan with rate and ETA.
func (s *Service) ScanProgress(ctx context.Context, t *domain.Tenant, project string) (*Progress, error) {
	sc, err := s.Store.Tenant(t).Scan(ctx, project)
	if err != nil {
		return nil, err
	}
	p := &Progress{State: sc.State, Phase: sc.Phase, Done: sc.Done, Total: sc.Total, Written: sc.Written, Error: sc.Error,
		StartedAt: sc.StartedAt.UTC().Format(time.RFC3339)}
	end := s.now()
	if sc.FinishedAt != nil {
		end = *sc.FinishedAt
	}
	// Progress counts fetched, analysed and written issues: three passes.
	work := float64(sc.Done + sc.Written)
	if el := end.Sub(sc.StartedAt).Seconds(); el > 0 && work > 0 {
		p.RatePerSec = work / el
		if sc.State == domain.ScanRunning && sc.Total > 0 {
			left := float64(2*sc.Total) - work
			p.ETASeconds = max(0, left/p.RatePerSec)
		}
	}
	return p, nil
}

// Uninstalled stops all work of a tenant at once: queued jobs are dropped,
// running scans are cancelled, in-flight jobs find their job gone before
// their next write to Jira.
func (s *Service) Uninstalled(ctx context.Context, t *domain.Tenant) {
	ts := s.Store.Tenant(t)
	n, err := ts.CancelJobs(ctx)
	if err != nil {
		s.log().Error("cancel jobs on uninstall", "tenant_id", t.ID, "err", err)
	}
	projects, err := ts.Projects(ctx)
	if err != nil { // jobs are cancelled already; scans stay as they are
		s.log().Error("list projects on uninstall", "tenant_id", t.ID, "err", err)
	}
	cancelled := domain.ScanCancelled
	for _, p := range projects {
		if err := updateScan(ctx, ts, p.Key, store.ScanUpdate{State: &cancelled}); err != nil {
			s.log().Error("cancel scan on uninstall", "tenant_id", t.ID, "project", p.Key, "err", err)
		}
		s.models().Drop(t.ID, p.Key)
	}
	s.log().Info("tenant work stopped", "tenant_id", t.ID, "jobs_cancelled", n)
}

// ReconcileAll enqueues a reconciliation of every active project (run
// periodically: it catches webhooks that never came).
func (s *Service) ReconcileAll(ctx context.Context) error {
	projects, err := s.Store.ActiveProjects(ctx)
	if err != nil {
		return err
	}
	for _, p := range projects {
		t, err := s.Store.TenantByID(ctx, p.TenantID)
		if err != nil {
			continue
		}
		payload, _ := json.Marshal(projectPayload{Project: p.ProjectKey})
		if _, err := s.Store.Tenant(t).Enqueue(ctx, domain.NewJob{Kind: KindReconcile, DedupeKey: p.ProjectKey, Payload: payload, Priority: prioScan}); err != nil {
			return err
		}
	}
	s.wake()
	return nil
}

// Reanalyse re-analyses one issue from its stored snapshot right away (an
// override was set or cleared: the person waits for the result).
func (s *Service) Reanalyse(ctx context.Context, t *domain.Tenant, project, key string) error {
	model, unlock, err := s.models().Get(ctx, t, project)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil // project never activated: nothing analysed yet
		}
		return err
	}
	defer unlock()
	if _, ok := model.Issue(key); !ok {
		return nil
	}
	ts := s.Store.Tenant(t)
	overrides, err := ts.Overrides(ctx, []string{key})
	if err != nil {
		return err
	}
	if err := ts.SaveResults(ctx, project, []store.ResultInput{s.analyse(model, key, overrides)}); err != nil {
		return err
	}
	next := []domain.NewJob{projectJob(KindWriteback, project, prioWebhook, 0, s.now())}
	if model.NeedsRank() {
		next = append(next, projectJob(KindRescore, project, prioScan, 0, s.now()))
	}
	return s.enqueue(ctx, t, next...)
}

// QueueRescore schedules a re-analysis of the whole project (strategy
// changed).
func (s *Service) QueueRescore(ctx context.Context, t *domain.Tenant, project string) error {
	s.forgetMappedFields(t, project)
	return s.enqueue(ctx, t, projectJob(KindRescore, project, prioWebhook, 0, s.now()))
}
