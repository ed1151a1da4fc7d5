package jiraemu

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/retry"
)

// delivery is one webhook to send (and retry).
type delivery struct {
	id    string // X-Atlassian-Webhook-Identifier, stable across retries
	event string
	path  string // relative to the app's base URL, with variables filled
	body  []byte // nil with excludeBody
}

// Delivery is the record of one webhook, for tests.
type Delivery struct {
	ID         string `json:"id"`
	Event      string `json:"event"`
	URL        string `json:"url"`
	Attempts   int    `json:"attempts"`
	LastStatus int    `json:"lastStatus"`
	Delivered  bool   `json:"delivered"`
	Err        string `json:"err,omitempty"`
}

type deliveries struct {
	mu       sync.Mutex
	log      []*Delivery
	inflight int
}

// SetWebhooks replaces the webhooks the app registered.
func (e *Emulator) SetWebhooks(hooks []Webhook) {
	e.hooksMu.Lock()
	e.hooks = append([]Webhook(nil), hooks...)
	e.hooksMu.Unlock()
}

func (e *Emulator) webhooks() []Webhook {
	e.hooksMu.Lock()
	defer e.hooksMu.Unlock()
	return e.hooks
}

// issueEventLocked builds the deliveries of an issue event for every
// matching webhook. e.mu must be held.
func (e *Emulator) issueEventLocked(base, event, typeName string, is *issue, h *history, c *comment, by *user) []delivery {
	hooks := e.webhooks()
	if len(hooks) == 0 {
		return nil
	}
	if b := e.BaseURL(); b != "" {
		base = b
	}
	var out []delivery
	var body []byte
	for _, wh := range hooks {
		if wh.Event != event {
			continue
		}
		if wh.Filter != "" {
			q, err := parseJQL(wh.Filter)
			if err != nil {
				continue
			}
			cq, err := e.compile(q)
			if err != nil || cq.match != nil && !cq.match(is) {
				continue
			}
		}
		path := strings.NewReplacer("${issue.key}", is.Key, "${issue.id}", i64toa(is.ID),
			"${project.key}", is.Project.Key, "${project.id}", is.Project.ID).Replace(wh.URL)
		d := delivery{id: randomUUID(), event: event, path: path}
		if !wh.ExcludeBody {
			if body == nil {
				body = e.webhookBody(base, event, typeName, is, h, c, by)
			}
			d.body = body
		}
		out = append(out, d)
	}
	return out
}

func (e *Emulator) webhookBody(base, event, typeName string, is *issue, h *history, c *comment, by *user) []byte {
	p := map[string]any{"timestamp": e.now().UnixMilli(), "webhookEvent": event, "user": renderUser(base, by)}
	if typeName != "" {
		p["issue_event_type_name"] = typeName
	}
	if event == "comment_created" {
		p["issue"] = e.linkedIssue(base, is)
		delete(p, "user")
	} else {
		bean := e.renderIssue(base, is, &renderOpts{sel: parseFieldSel(nil, "*navigable")}, e.fieldDefs())
		p["issue"] = map[string]any{"id": bean.ID, "key": bean.Key, "self": bean.Self, "fields": bean.Fields}
	}
	if h != nil {
		p["changelog"] = map[string]any{"id": h.ID, "items": h.Items}
	}
	if c != nil {
		p["comment"] = renderComment(base, is, c)
	}
	b, _ := json.Marshal(p)
	return b
}

// enqueue sends deliveries in the background; each retries on its own.
func (e *Emulator) enqueue(ds []delivery) {
	if len(ds) == 0 || e.appBaseURL() == "" || e.SharedSecret() == "" {
		return
	}
	for _, d := range ds {
		rec := &Delivery{ID: d.id, Event: d.event, URL: e.appBaseURL() + d.path}
		e.deliv.mu.Lock()
		e.deliv.log = append(e.deliv.log, rec)
		e.deliv.inflight++
		e.deliv.mu.Unlock()
		e.wg.Add(1)
		go e.deliver(d, rec)
	}
}

func retryable(status int, err error) bool {
	if err != nil {
		return true
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// deliver posts a webhook, retrying like Jira on 408, 409, 425, 429, 5xx
// and transport errors.
func (e *Emulator) deliver(d delivery, rec *Delivery) {
	defer e.wg.Done()
	defer func() {
		e.deliv.mu.Lock()
		e.deliv.inflight--
		e.deliv.mu.Unlock()
	}()
	delays := e.opts.WebhookRetryDelays
	for attempt := 0; ; attempt++ {
		status, err := e.postWebhook(d, attempt)
		e.deliv.mu.Lock()
		rec.Attempts, rec.LastStatus = attempt+1, status
		rec.Err = ""
		if err != nil {
			rec.Err = err.Error()
		}
		rec.Delivered = err == nil && status/100 == 2
		e.deliv.mu.Unlock()
		if rec.Delivered || !retryable(status, err) || attempt >= len(delays) {
			return
		}
		if retry.Sleep(e.ctx, delays[attempt]) != nil {
			return
		}
	}
}

func (e *Emulator) postWebhook(d delivery, attempt int) (int, error) {
	app := e.appBaseURL()
	target, err := url.Parse(app + d.path)
	if err != nil {
		return 0, err
	}
	appURL, _ := url.Parse(app)
	qsh, err := connect.QSHForURL(http.MethodPost, target, appURL.EscapedPath())
	if err != nil {
		return 0, err
	}
	now := e.now()
	tok, err := connect.SignHS256(connect.Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: e.opts.ClientKey, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(3 * time.Minute)),
	}, QSH: qsh}, e.SharedSecret())
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	var body io.Reader = http.NoBody
	if d.body != nil {
		body = bytes.NewReader(d.body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "JWT "+tok)
	req.Header.Set("X-Atlassian-Webhook-Identifier", d.id)
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	if attempt > 0 {
		req.Header.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(attempt))
	}
	resp, err := e.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// Deliveries returns the record of every webhook sent so far.
func (e *Emulator) Deliveries() []Delivery {
	e.deliv.mu.Lock()
	defer e.deliv.mu.Unlock()
	out := make([]Delivery, len(e.deliv.log))
	for i, d := range e.deliv.log {
		out[i] = *d
	}
	return out
}

// WaitWebhooks waits until no webhook is being sent or awaiting a retry.
func (e *Emulator) WaitWebhooks(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		e.deliv.mu.Lock()
		n := e.deliv.inflight
		e.deliv.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
