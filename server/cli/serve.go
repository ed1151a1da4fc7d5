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

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/secrets"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/web"
)

// App is a running app: its server, store and background workers.
type App struct {
	Config *config.Config
	Store  *store.Store
	Server *web.Server
	Logger *slog.Logger
	// URL is where the listener is bound (useful with PORT=0 in tests).
	URL string

	listener net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// Start builds and starts the app; it binds the port before returning, so
// a busy port fails here. Stop it with Close.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger, extra ...func(*web.Server)) (*App, error) {
	box, err := secrets.New(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Options{Driver: cfg.Driver, DSN: cfg.DSN, Box: box, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	basePath, err := connect.BasePath(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	keysHTTP := &http.Client{Timeout: 10 * time.Second}
	srv, err := web.New(web.Deps{
		Config:        cfg,
		Store:         st,
		Auth:          &connect.JWTAuthenticator{Tenants: st, BasePath: basePath},
		LifecycleAuth: &connect.JWTAuthenticator{Tenants: st, BasePath: basePath, AllowDisabled: true},
		Install: &connect.InstallVerifier{
			KeysURL: cfg.ConnectKeysURL, HTTP: keysHTTP, AllowedHosts: cfg.AllowedJiraHosts, BaseURL: cfg.BaseURL,
		},
		Descriptor: backlogai.DescriptorTemplate,
		Logger:     log,
		Extra:      extra,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	l, err := srv.Listen(net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		st.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a := &App{Config: cfg, Store: st, Server: srv, Logger: log, listener: l, cancel: cancel,
		URL: "http://" + l.Addr().String()}
	a.wg.Add(2)
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

// purgeLoop deletes uninstalled tenants' data once retention has passed.
func (a *App) purgeLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := a.Store.PurgeDue(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.Logger.Error("purge failed", "err", err)
		} else if n > 0 {
			a.Logger.Info("purged uninstalled tenants", "count", n)
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
	app, err := Start(ctx, cfg, log)
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
