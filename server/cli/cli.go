// Package cli implements the backlogai subcommands and wires the app:
// config → store → clients → services → web.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

const usage = `usage: backlogai <command> [flags]

commands:
  serve          run the app (configuration from the environment; see README)
  jira-emulator  run the emulated Jira Cloud site with the demo project
  sandbox        run the app, the emulated Jira and the /sandbox shell together
  eval           measure the analysis engine on labelled data (--data DIR [--json])
  rotate-key     re-seal stored secrets with ENCRYPTION_KEY (old key in ENCRYPTION_KEY_PREVIOUS)
  version        print the version
  healthcheck    exit 0 if the local app's /readyz (or the path given) answers 200 (container healthchecks)
`

// Version is set at build time with -ldflags.
var Version = "dev"

// Run executes one subcommand and returns the process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, getenv, stderr, nil)
	case "jira-emulator":
		err = runEmulator(ctx, args[1:], getenv, stdout, stderr)
	case "sandbox":
		err = runSandbox(ctx, args[1:], getenv, stdout, stderr)
	case "eval":
		err = runEval(args[1:], stdout, stderr)
	case "rotate-key":
		err = runRotateKey(ctx, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "backlogai", Version)
	case "healthcheck":
		err = runHealthcheck(ctx, args[1:], getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "backlogai: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "backlogai:", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
