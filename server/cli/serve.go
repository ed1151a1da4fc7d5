package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/forge"
	"github.com/backlogai/backlogai/server/forge/forgeapi"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/jobs"
	"github.com/backlogai/backlogai/server/projectmodel"
	"github.com/backlogai/backlogai/server/retry"
	"github.com/backlogai/backlogai/server/sandbox"
	"github.com/backlogai/backlogai/server/secrets"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/web"
)

// App is a running app: its server, store and background workers.
type App struct {
	Config  *config.Config
	Store   *store.Store
	Server  *web.Server
	Logger  *slog.Logger
	Backlog *backlog.Service
	// JiraClients and Models are the Jira clients and project models every
	// service of the app shares.
	JiraClients *jiraclients.Registry
	Models      *projectmodel.Cache
	Pool        *jobs.Pool
	// URL is where the listener is bound (useful with PORT=0 in tests).
	URL string
	// MetricsURL is the /metrics of the METRICS_ADDR listener ("" without).
	MetricsURL string

	listener net.Listener
	ops      *ops
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// StartOptions adjust Start for tests and the sandbox.
type StartOptions struct {
	// Listener, when set, is used instead of binding cfg.Port (so callers
	// can know the URL before the app starts).
	Listener net.Listener
	// Workers is the number of job workers (default 2).
	Workers int
	// PageBudget and AnalyseChunk tune scan steps (tests use small ones).
	PageBudget, AnalyseChunk int
	// NoReconcile turns the periodic reconciliation off (tests drive it).
	NoReconcile bool
	// SandboxHost is the emulated Jira when running the sandbox (the
	// /sandbox shell is mounted only then); SandboxForge is its Forge host
	// role, when the sandbox plays Forge too.
	SandboxHost  sandbox.Host
	SandboxForge sandbox.ForgeInvoker
}

// Start builds and starts the app; it binds the port before returning, so
// a busy port fails here. Stop it with Close.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger, o StartOptions) (*App, error) {
	box, err := secrets.New(cfg.EncryptionKey, cfg.PreviousKeys...)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Options{Driver: cfg.Driver, DSN: cfg.DSN, Box: box, Logger: log})
	if err != nil {
		return nil, err
	}
	migrated := true
	if err := st.Migrate(ctx); err != nil {
		if !store.Unavailable(err) {
			st.Close()
			return nil, err
		}
		// Start anyway: /readyz reports the database, requests get 503,
		// and the migrations run as soon as it answers.
		log.Error("database unavailable at start; retrying in the background", "err", err)
		migrated = false
	}
	basePath, err := connect.BasePath(cfg.BaseURL)
	if err != nil {
		st.Close()
		return nil, err
	}
	o11y, err := newOps(ctx, cfg, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			// Start-up already failed; a flush error adds nothing to it.
			_ = o11y.close(context.WithoutCancel(ctx))
		}
	}()
	keysHTTP := &http.Client{Timeout: 10 * time.Second}
	workers := o.Workers
	if workers == 0 {
		workers = cfg.JobWorkers
	}
	pool := &jobs.Pool{Store: st, Logger: log, Workers: workers, Lease: cfg.JobLease}
	// One registry of Jira clients and one cache of project models, shared
	// by the sync service, drafting and the pages.
	jiraClients := &jiraclients.Registry{AppKey: cfg.AppKey, HTTP: o11y.jiraHTTP(60 * time.Second), Logger: log,
		// Edits and creations a person asks for are made as that person.
		Impersonator: &connect.Impersonator{AuthServerURL: cfg.ConnectOAuthURL, HTTP: &http.Client{Timeout: 15 * time.Second}, Logger: log}}
	models := &projectmodel.Cache{Store: st}
	keeper := &backlog.Service{Store: st, AppKey: cfg.AppKey, JiraClients: jiraClients, Models: models, Waker: pool, Logger: log,
		PageBudget: o.PageBudget, AnalyseChunk: o.AnalyseChunk, Observer: o11y.metrics}
	pool.Handlers = keeper.Handlers()
	gen, err := newGenerator(cfg, st, keeper, jiraClients, models, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	for kind, h := range gen.Handlers() {
		pool.Handlers[kind] = h
	}
	o11y.instrumentGenerator(gen)
	pool.Handlers = o11y.wrapJobs(pool.Handlers)
	var auth connect.Authenticator = &connect.JWTAuthenticator{Tenants: st, BasePath: basePath}
	var forgeAuth *forge.Authenticator
	if cfg.ForgeAppID != "" {
		// Forge Remote beside Connect: one authenticator choice per request.
		userTokens := &forge.UserTokens{}
		forgeAuth = &forge.Authenticator{Installations: st, UserTokens: userTokens, Logger: log,
			Verifier: &forge.Verifier{AppID: cfg.ForgeAppID, Keys: &forge.KeySet{URL: cfg.ForgeJWKSURL, HTTP: keysHTTP},
				AllowHTTPAPI: cfg.Sandbox || cfg.AllowPrivateURLs}}
		jiraClients.Hosts = &forgeapi.Clients{Store: st, HTTP: &http.Client{Timeout: 60 * time.Second}, UserTokens: userTokens}
		auth = forge.HostAuth{Connect: auth, Forge: forgeAuth}
	}
	srv, err := web.New(web.Deps{
		Config:        cfg,
		Store:         st,
		Forge:         forgeAuth,
		Auth:          auth,
		LifecycleAuth: &connect.JWTAuthenticator{Tenants: st, BasePath: basePath, AllowDisabled: true},
		Install: &connect.InstallVerifier{
			KeysURL: cfg.ConnectKeysURL, HTTP: keysHTTP, AllowedHosts: cfg.AllowedJiraHosts, BaseURL: cfg.BaseURL,
		},
		Backlog:     keeper,
		JiraClients: jiraClients,
		Models:      models,
		Generator:   gen,
		Mount:       sandboxMount(cfg, log, o),
		Hooks:       web.Hooks{OnUninstalled: keeper.Uninstalled},
		Descriptor:  backlogai.DescriptorTemplate,
		Logger:      log,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	o11y.mount(srv)
	l := o.Listener
	if l == nil {
		if l, err = srv.Listen(net.JoinHostPort("", strconv.Itoa(cfg.Port))); err != nil {
			st.Close()
			return nil, err
		}
	}
	if err := o11y.listen(); err != nil {
		l.Close()
		st.Close()
		return nil, err
	}
	started = true
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a := &App{Config: cfg, Store: st, Server: srv, Logger: log, Backlog: keeper, JiraClients: jiraClients, Models: models, Pool: pool, listener: l, cancel: cancel,
		URL: "http://" + l.Addr().String(), ops: o11y, MetricsURL: o11y.url}
	if !migrated {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.migrateUntilReady(runCtx)
		}()
	}
	a.wg.Add(5)
	go func() {
		defer a.wg.Done()
		keeper.RunIntake(runCtx, intakeWorkers(cfg.Driver))
	}()
	go func() {
		defer a.wg.Done()
		if workers > 0 {
			pool.Run(runCtx)
		}
	}()
	go func() {
		defer a.wg.Done()
		if !o.NoReconcile {
			a.every(runCtx, 5*time.Minute, "reconcile", keeper.ReconcileAll)
		}
	}()
	go func() {
		defer a.wg.Done()
		if err := srv.Serve(l); err != nil {
			log.Error("server stopped", "err", err)
		}
	}()
	go func() {
		defer a.wg.Done()
		a.purgeLoop(runCtx, time.Hour)
	}()
	return a, nil
}

// sandboxMount mounts the /sandbox shell in sandbox mode.
func sandboxMount(cfg *config.Config, log *slog.Logger, o StartOptions) []func(*echo.Echo) {
	if o.SandboxHost == nil || !cfg.Sandbox {
		return nil
	}
	sh := sandbox.New(sandbox.Options{Config: cfg, Host: o.SandboxHost, Forge: o.SandboxForge, Logger: log})
	return []func(*echo.Echo){sh.Mount}
}

// migrateUntilReady retries the migrations until the database answers.
func (a *App) migrateUntilReady(ctx context.Context) {
	// 1 s doubling up to 30 s; no jitter, one caller per replica.
	backoff := retry.Backoff{Base: time.Second, Max: 30 * time.Second}
	for attempt := 0; ; attempt++ {
		if retry.Sleep(ctx, backoff.Delay(attempt, 0)) != nil {
			return
		}
		err := a.Store.Migrate(ctx)
		if err == nil {
			a.Logger.Info("database available; migrations applied")
			return
		}
		if !store.Unavailable(err) {
			a.Logger.Error("migrations failed", "err", err)
		}
	}
}

// purgeLoop deletes uninstalled tenants' data once retention has passed,
// and forgets webhook deliveries and tombstones older than Jira's retries.
func (a *App) purgeLoop(ctx context.Context, every time.Duration) {
	a.every(ctx, every, "purge", func(ctx context.Context) error {
		n, err := a.Store.PurgeDue(ctx)
		if n > 0 {
			a.Logger.Info("purged uninstalled tenants", "count", n)
		}
		if err == nil {
			_, err = a.Store.PruneWebhookEvents(ctx, 24*time.Hour)
		}
		if err == nil {
			_, err = a.Store.PurgeTombstones(ctx, 7*24*time.Hour)
		}
		return err
	})
}

// every runs fn now and then every d until ctx ends.
func (a *App) every(ctx context.Context, d time.Duration, name string, fn func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Logger.Error(name+" failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close shuts down in order: HTTP server (drain requests), then workers,
// then the database.
func (a *App) Close(ctx context.Context) error {
	err := a.Server.Shutdown(ctx)
	a.cancel()
	a.wg.Wait()
	if oerr := a.ops.close(ctx); err == nil {
		err = oerr
	}
	if cerr := a.Store.Close(); err == nil {
		err = cerr
	}
	return err
}

func serve(ctx context.Context, getenv func(string) string, logOut io.Writer, ready chan<- *App) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(logOut, cfg.LogLevel)
	log.Info("starting backlogai", "version", Version, "config", cfg)
	app, err := Start(ctx, cfg, log, StartOptions{})
	if err != nil {
		return err
	}
	log.Info("listening", "addr", app.listener.Addr().String(), "base_url", cfg.BaseURL)
	if ready != nil {
		ready <- app
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := app.Close(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// intakeWorkers is how many webhook inserts run at once. MySQL commits
// concurrent inserts together (measured: 2 → 4 raised accepted webhooks
// from 4,873 to 5,233-5,645 per second; 8 gave nothing more); SQLite has
// one writer, so more than two only queue for its lock.
func intakeWorkers(driver string) int {
	if driver == "mysql" {
		return 4
	}
	return 2
}
