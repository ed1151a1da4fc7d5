// Command backlogai is the BacklogAI Jira app: `backlogai serve` runs it.
// main only wires; see package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/backlogai/backlogai/server/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
