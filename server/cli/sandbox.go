package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// SandboxOptions configure a sandbox: the app, an emulated Jira site with
// the demo project, and a signed install between them.
type SandboxOptions struct {
	// Config is the app configuration; BaseURL, ConnectKeysURL and
	// AllowedJiraHosts are replaced to point at the local pair.
	Config *config.Config
	Logger *slog.Logger
	// AppListener and EmuListener, when set, are used instead of binding
	// cfg.Port and an ephemeral port.
	AppListener, EmuListener net.Listener
	// Fixtures seed the emulated site (nil: the demo project SHOP).
	Fixtures []*jiraemu.Fixture
	// ClientKey names the emulated installation.
	ClientKey string
	// Start tunes the app (workers, scan steps).
	Start StartOptions
	// Forge makes the emulated site a Forge host too (its JWKS, FITs,
	// bearer tokens), with Forge Remote on in the app, so that the shell
	// offers /sandbox?host=forge. The Forge app is installed on the site
	// the first time the shell plays Forge. Ignored when Config sets
	// FORGE_APP_ID (the caller then attaches its own Forge host).
	Forge bool
}

// SandboxForgeAppID is the Forge app id of the sandbox's Forge host.
const SandboxForgeAppID = "5b1d7a3e-0c2f-4e8a-9b6d-2f4c8e1a7d30"

// Sandbox is a running app with its emulated Jira.
type Sandbox struct {
	App    *App
	Emu    *jiraemu.Emulator
	EmuURL string
	// Forge is the emulated site's Forge host role (nil unless
	// SandboxOptions.Forge).
	Forge *jiraemu.ForgeHost

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// StartSandbox starts the emulated Jira, then the app, then performs the
// signed install (the app verifies it against the emulator's key server,
// exactly as against Atlassian's).
func StartSandbox(ctx context.Context, o SandboxOptions) (*Sandbox, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	emuL := o.EmuListener
	if emuL == nil {
		var err error
		if emuL, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("sandbox: emulator listener: %w", err)
		}
	}
	appL := o.AppListener
	if appL == nil {
		var err error
		if appL, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", o.Config.Port)); err != nil {
			emuL.Close()
			return nil, fmt.Errorf("sandbox: app listener: %w", err)
		}
	}
	emuURL := "http://" + emuL.Addr().String()
	cfg := *o.Config
	cfg.BaseURL = "http://" + appL.Addr().String()
	cfg.ConnectKeysURL = emuURL + "/connect-keys"
	cfg.ConnectOAuthURL = emuURL // the emulator is also the authorization server
	cfg.AllowedJiraHosts = []string{"http://" + emuL.Addr().String()}
	cfg.Sandbox = true
	if o.ClientKey == "" {
		o.ClientKey = jiraemu.DefaultClientKey
	}
	var fh *jiraemu.ForgeHost
	if o.Forge && cfg.ForgeAppID == "" {
		var err error
		if fh, err = jiraemu.NewForgeHost(SandboxForgeAppID); err != nil {
			emuL.Close()
			appL.Close()
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		cfg.ForgeAppID = SandboxForgeAppID
		cfg.ForgeJWKSURL = emuURL + jiraemu.ForgeJWKSPath
	}
	emu := jiraemu.New(jiraemu.Options{BaseURL: emuURL, AppKey: cfg.AppKey, ClientKey: o.ClientKey, AppBaseURL: cfg.BaseURL,
		Fixtures: o.Fixtures, RebaseTimes: true, Logger: o.Logger.With("component", "jira-emulator")})
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sb := &Sandbox{Emu: emu, EmuURL: emuURL, Forge: fh, cancel: cancel}
	if fh != nil {
		fh.Attach(emu, cfg.BaseURL)
	}
	sb.wg.Add(1)
	go func() {
		defer sb.wg.Done()
		if err := emu.Serve(runCtx, emuL); err != nil {
			o.Logger.Error("emulator stopped", "err", err)
		}
	}()
	so := o.Start
	so.Listener = appL
	so.SandboxHost = emu
	if fh != nil {
		so.SandboxForge = fh
	}
	app, err := Start(ctx, &cfg, o.Logger, so)
	if err != nil {
		cancel()
		sb.wg.Wait()
		return nil, err
	}
	sb.App = app
	ictx, icancel := context.WithTimeout(ctx, 30*time.Second)
	defer icancel()
	if err := emu.Install(ictx, cfg.BaseURL); err != nil {
		sb.Close(context.Background())
		return nil, fmt.Errorf("sandbox: signed install: %w", err)
	}
	return sb, nil
}

// Close stops the app, then the emulator.
func (sb *Sandbox) Close(ctx context.Context) error {
	var err error
	if sb.App != nil {
		err = sb.App.Close(ctx)
	}
	sb.cancel()
	sb.wg.Wait()
	return err
}

func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	emuAddr := fs.String("emulator-addr", "127.0.0.1:8091", "listen address of the emulated Jira")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cfg.Driver != "sqlite" {
		return fmt.Errorf("sandbox: runs only on the embedded database, never beside real tenants (DATABASE_URL is %s)", cfg.Driver)
	}
	log := newLogger(stderr, cfg.LogLevel)
	emuL, err := net.Listen("tcp", *emuAddr)
	if err != nil {
		return fmt.Errorf("sandbox: emulator address %s: %w", *emuAddr, err)
	}
	sb, err := StartSandbox(ctx, SandboxOptions{Config: cfg, Logger: log, EmuListener: emuL, Forge: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nBacklogAI sandbox is ready: open %s/sandbox\n(as a Forge app: %s/sandbox?host=forge)\n\n", sb.App.Config.BaseURL, sb.App.Config.BaseURL)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return sb.Close(sctx)
}
