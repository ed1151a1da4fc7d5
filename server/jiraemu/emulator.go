// Package jiraemu is an in-memory emulator of the part of the Jira Cloud
// platform REST API v3 (and the agile board configuration) that BacklogAI
// uses, faithful to Jira's real behaviour: Connect JWT authentication of the
// app, id-only search defaults and token paging, ADF validation, the 303 task
// flow of bulk property writes, link direction, rate limits and faults on
// demand. It also plays the host: signed install, signed webhooks and signed
// iframe URLs. See ../shared/docs/jira-rest.md and connect.md.
//
// In tests:
//
//	emu := jiraemu.New(jiraemu.Options{SharedSecret: secret}) // SHOP demo project
//	srv := httptest.NewServer(emu.Handler())
//	emu.SetBaseURL(srv.URL)
//	defer srv.Close(); defer emu.Close()
//
// Standalone (Command, wired as `backlogai jira-emulator`):
//
//	backlogai jira-emulator -addr 127.0.0.1:8091 -app-base-url http://localhost:8080 -install
//
// then point the app's CONNECT_KEYS_URL at http://127.0.0.1:8091/connect-keys
// and drive faults and installs through /_emulator/ (see adminRoutes).
package jiraemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults for Options fields left empty.
const (
	DefaultAppKey           = "backlogai" // the app's default APP_KEY
	DefaultClientKey        = "3a7e6c2d-5b1f-4e8a-9c0d-emulator-site"
	DefaultCloudID          = "0b6c1f2e-8d4a-4c3b-9e7f-5a2d1c0e9b8a"
	DefaultStoryPointsField = "customfield_10016"
	// DecoyStoryPointsField is a float custom field named "Story Points"
	// that every emulated site also has (as many real sites do), so a client
	// that picks story points by name alone picks the wrong one.
	DecoyStoryPointsField = "customfield_10028"
	// ReachField and BusinessValueField are number custom fields a team
	// may map framework inputs to (RICE reach, WSJF business value); the
	// SHOP demo fills them on some open issues.
	ReachField         = "customfield_10050"
	BusinessValueField = "customfield_10051"
)

// Alias is a JQL alias over an issue entity property, as a Connect app's
// jiraEntityProperties module declares it.
type Alias struct {
	PropertyKey string // e.g. "backlogai"
	Path        string // dot path inside the value, e.g. "score"
	Type        string // number, string, text or date
	Alias       string // JQL name, e.g. "backlogScore"
}

// DefaultAliases are the aliases BacklogAI declares on its "backlogai" issue
// property.
var DefaultAliases = []Alias{
	{PropertyKey: "backlogai", Path: "score", Type: "number", Alias: "backlogScore"},
	{PropertyKey: "backlogai", Path: "moscow", Type: "string", Alias: "backlogMoscow"},
	{PropertyKey: "backlogai", Path: "quality", Type: "number", Alias: "backlogQuality"},
}

// Webhook is a webhook the installed app registered (its descriptor's
// modules.webhooks entry).
type Webhook struct {
	Event string `json:"event"` // jira:issue_created, jira:issue_updated, jira:issue_deleted, comment_created
	// URL is relative to the app's base URL and may use ${issue.key},
	// ${issue.id} and ${project.key}.
	URL         string `json:"url"`
	Filter      string `json:"filter,omitempty"` // JQL the issue must match
	ExcludeBody bool   `json:"excludeBody,omitempty"`
}

// Options configure an Emulator. Zero values pick the defaults noted.
type Options struct {
	// BaseURL is the emulated site's base URL (https://shop.atlassian.net, or
	// the httptest server's URL). When empty, links in responses are built
	// from each request's Host; webhooks and installs need it (SetBaseURL).
	// A path in it (a context path) is stripped before routing and qsh.
	BaseURL string
	// AppKey is the app's descriptor key: the iss of the app's tokens.
	AppKey string
	// ClientKey identifies the installation (iss of Jira's own tokens).
	ClientKey string
	// SharedSecret, if set, makes the app count as installed from the
	// start with this secret; otherwise call Install.
	SharedSecret string
	CloudID      string
	// Fixtures seed the site; nil loads DemoFixture (project SHOP).
	Fixtures []*Fixture
	// RebaseTimes shifts every fixture time so that Fixture.Now is now.
	RebaseTimes bool
	// StoryPointsField is the id of the jsw-story-points custom field.
	StoryPointsField string
	// StoryPointsName is its name ("Story point estimate" as in
	// team-managed projects by default; "Story Points" in company-managed).
	StoryPointsName string
	// Aliases are the entity property JQL aliases; nil means DefaultAliases.
	Aliases []Alias
	// AppBaseURL is the app's baseUrl, for install, webhooks and iframes.
	AppBaseURL string
	// Webhooks the app registered.
	Webhooks []Webhook
	// WebhookRetryDelays are the waits before each retry of a webhook that
	// failed with 408, 409, 425, 429, 5xx or a transport error; nil means
	// Jira-like delays spread over about 30 minutes.
	WebhookRetryDelays []time.Duration
	// TaskDelay is how long a bulk property task stays queued before it is
	// applied (default 100ms).
	TaskDelay time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Seed seeds the randomness of probabilistic faults.
	Seed int64
	// HTTPClient sends installs and webhooks (default: 10 s timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Location interprets JQL dates without a zone (default UTC).
	Location *time.Location
}

// Emulator is an in-memory Jira Cloud site. Its methods are safe for
// concurrent use. Close stops its background work.
type Emulator struct {
	opts    Options
	now     func() time.Time
	log     *slog.Logger
	aliases []Alias
	appUser *user

	mu    sync.RWMutex // guards st and tasks
	st    *store
	tasks tasks

	cacheMu sync.Mutex
	cache   searchCache
	frags   fragCache

	baseMu  sync.RWMutex
	baseURL string

	authMu    sync.RWMutex // guards secret, installed, appKey, app
	secret    string       // current installation shared secret
	installed bool
	appKey    string
	app       appConfig
	forge     *ForgeHost // Forge host role (forge.go), nil when not attached

	faultsMu sync.Mutex
	faults   Faults
	rng      *rand.Rand
	limits   limiter

	statsMu sync.Mutex
	stats   Stats

	host    hostState
	hooksMu sync.Mutex
	hooks   []Webhook
	deliv   deliveries

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	handler http.Handler
	// access is the permission table (permissions.go).
	accessMu sync.Mutex
	access   access
	// users holds the user access tokens of impersonation (oauth.go).
	users userTokens
}

// New builds an emulator seeded from opts.Fixtures (or the demo project).
// It panics if a fixture is inconsistent: fixtures are program inputs; use
// AddFixture to handle such errors.
func New(opts Options) *Emulator {
	if opts.AppKey == "" {
		opts.AppKey = DefaultAppKey
	}
	if opts.ClientKey == "" {
		opts.ClientKey = DefaultClientKey
	}
	if opts.CloudID == "" {
		opts.CloudID = DefaultCloudID
	}
	if opts.StoryPointsField == "" {
		opts.StoryPointsField = DefaultStoryPointsField
	}
	if opts.StoryPointsName == "" {
		opts.StoryPointsName = "Story point estimate"
	}
	if opts.Aliases == nil {
		opts.Aliases = DefaultAliases
	}
	if opts.TaskDelay == 0 {
		opts.TaskDelay = 100 * time.Millisecond
	}
	if opts.WebhookRetryDelays == nil {
		opts.WebhookRetryDelays = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 3 * time.Minute, 10 * time.Minute, 15 * time.Minute}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		opts:    opts,
		now:     opts.Now,
		log:     opts.Logger,
		aliases: opts.Aliases,
		appUser: &user{AccountID: "557058:backlogai-app-user", DisplayName: "BacklogAI", AccountType: "app", TimeZone: "UTC"},
		st:      newStore(),
		secret:  opts.SharedSecret,
		rng:     rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15)),
		hooks:   append([]Webhook(nil), opts.Webhooks...),
		ctx:     ctx,
		cancel:  cancel,
	}
	e.installed = opts.SharedSecret != ""
	e.appKey = opts.AppKey
	e.app = appConfig{baseURL: opts.AppBaseURL}
	e.baseURL = strings.TrimSuffix(opts.BaseURL, "/")
	e.st.addUser(e.appUser)
	e.tasks.init()
	e.stats.reset()
	fixtures := opts.Fixtures
	if fixtures == nil {
		demo, err := DemoFixture()
		if err != nil {
			panic(err)
		}
		fixtures = []*Fixture{demo}
	}
	for _, f := range fixtures {
		if err := e.AddFixture(f); err != nil {
			panic(err)
		}
	}
	e.setupDemoAccess()
	e.handler = e.routes()
	return e
}

// AddFixture loads one more project into the site.
func (e *Emulator) AddFixture(f *Fixture) error {
	var shift time.Duration
	if e.opts.RebaseTimes && !f.Now.IsZero() {
		shift = e.now().Sub(f.Now)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.load(f, shift, func(is *issue, props map[string]json.RawMessage) {
		for k, v := range props {
			e.setPropLocked(is, k, v)
		}
	})
}

// Handler serves the emulated site: the REST API, /_edge/tenant_info, the
// install keys under /connect-keys/ and the admin API under /_emulator/.
func (e *Emulator) Handler() http.Handler { return e.handler }

// SetBaseURL sets the site base URL (for example the httptest server URL
// once it is known).
func (e *Emulator) SetBaseURL(u string) {
	e.baseMu.Lock()
	e.baseURL = strings.TrimSuffix(u, "/")
	e.baseMu.Unlock()
}

// BaseURL returns the configured site base URL ("" when derived per request).
func (e *Emulator) BaseURL() string {
	e.baseMu.RLock()
	defer e.baseMu.RUnlock()
	return e.baseURL
}

// AppKey returns the app key the emulator expects as iss on API calls (the
// descriptor's key once Install has read it).
func (e *Emulator) AppKey() string {
	e.authMu.RLock()
	defer e.authMu.RUnlock()
	return e.appKey
}

// ClientKey returns the installation's clientKey.
func (e *Emulator) ClientKey() string { return e.opts.ClientKey }

// SharedSecret returns the installation's current shared secret ("" when
// the app is not installed).
func (e *Emulator) SharedSecret() string {
	e.authMu.RLock()
	defer e.authMu.RUnlock()
	if !e.installed {
		return ""
	}
	return e.secret
}

// StoryPointsField returns the id of the site's story points field.
func (e *Emulator) StoryPointsField() string { return e.opts.StoryPointsField }

// base returns the site base URL for links in a response to r.
func (e *Emulator) base(r *http.Request) string {
	if b := e.BaseURL(); b != "" {
		return b
	}
	if r == nil {
		return "http://jira.invalid"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Close stops background work (tasks, webhook deliveries) and waits for it.
func (e *Emulator) Close() error {
	e.cancel()
	e.wg.Wait()
	return nil
}

// Run serves the emulator on addr until ctx ends, then shuts the server
// down and closes the emulator. The listener is bound before Run returns an
// error for a busy port. When Options.BaseURL is empty it becomes
// http://<bound address>.
func (e *Emulator) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("jiraemu: listen %s: %w", addr, err)
	}
	return e.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (e *Emulator) Serve(ctx context.Context, ln net.Listener) error {
	if e.BaseURL() == "" {
		e.SetBaseURL("http://" + ln.Addr().String())
	}
	srv := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	e.log.Info("jira emulator listening", "addr", ln.Addr().String(), "base", e.BaseURL())
	select {
	case err := <-errc:
		e.Close()
		return fmt.Errorf("jiraemu: serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	e.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("jiraemu: shutdown: %w", err)
	}
	return nil
}

// issueURL is the self link of an issue.
func issueURL(base string, id int64) string { return base + "/rest/api/3/issue/" + i64toa(id) }

// basePath is the path of the site base URL ("" at the root).
func (e *Emulator) basePath() string {
	b := e.BaseURL()
	if b == "" {
		return ""
	}
	u, err := url.Parse(b)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.EscapedPath(), "/")
}
