package jiraemu

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"
)

// Command runs the emulator as a standalone server (`backlogai
// jira-emulator`) until ctx ends. args are the flags after the command name:
//
//	-addr :8091                    listen address
//	-base-url URL                  site base URL (default http://<addr>)
//	-app-key KEY                   the app's descriptor key
//	-client-key KEY                the installation's clientKey
//	-shared-secret S               start installed with this secret
//	-app-base-url URL              the app's baseUrl (install, webhooks, iframes)
//	-install                       perform a signed install once listening
//	-fixture FILE                  load this fixture instead of the SHOP demo
//	-synthetic N -seed S           add a synthetic project of N issues (key SYN)
//	-story-points-field ID         the site's story points field id
//	-rebase=true                   shift fixture times to now
func Command(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("jira-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8091", "listen address")
	baseURL := fs.String("base-url", "", "site base URL (default http://<addr>)")
	appKey := fs.String("app-key", DefaultAppKey, "the app's descriptor key")
	clientKey := fs.String("client-key", DefaultClientKey, "the installation's clientKey")
	secret := fs.String("shared-secret", "", "start installed with this shared secret")
	appBase := fs.String("app-base-url", "", "the app's baseUrl")
	install := fs.Bool("install", false, "perform a signed install against -app-base-url once listening")
	fixture := fs.String("fixture", "", "fixture JSON file (default: the SHOP demo)")
	synthetic := fs.Int("synthetic", 0, "add a synthetic project (key SYN) of this many issues")
	seed := fs.Int64("seed", 1, "seed of -synthetic and of probabilistic faults")
	spField := fs.String("story-points-field", DefaultStoryPointsField, "story points custom field id")
	rebase := fs.Bool("rebase", true, "shift fixture times so that the fixture's 'now' is now")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var fixtures []*Fixture
	if *fixture != "" {
		f, err := os.Open(*fixture)
		if err != nil {
			return fmt.Errorf("jira-emulator: %w", err)
		}
		fx, err := ReadFixture(f)
		f.Close()
		if err != nil {
			return err
		}
		fixtures = append(fixtures, fx)
	} else {
		demo, err := DemoFixture()
		if err != nil {
			return err
		}
		fixtures = append(fixtures, demo)
	}
	if *synthetic > 0 {
		fixtures = append(fixtures, Generate(*synthetic, *seed))
	}
	e := New(Options{BaseURL: *baseURL, AppKey: *appKey, ClientKey: *clientKey, SharedSecret: *secret,
		AppBaseURL: *appBase, Fixtures: fixtures, RebaseTimes: *rebase, StoryPointsField: *spField,
		Seed: *seed, Logger: log})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("jira-emulator: listen %s: %w", *addr, err)
	}
	if e.BaseURL() == "" {
		e.SetBaseURL("http://" + ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- e.Serve(ctx, ln) }()
	if *install {
		// The listener is bound, so the app's calls during the callback
		// queue until Serve accepts them.
		ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := e.Install(ictx, "")
		cancel()
		if err != nil {
			log.Error("install failed", "err", err)
		} else {
			log.Info("installed", "keysUrl", e.KeysURL(), "clientKey", e.ClientKey())
		}
	}
	return <-errc
}
