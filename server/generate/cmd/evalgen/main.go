// Command evalgen measures story generation against a real LLM endpoint:
// the scenario set of server/generate/testdata/scenarios run through the
// pipeline (drafts, checks, one revision pass). `make eval-generate` runs
// it; it needs OPENAI_API_KEY (and optionally OPENAI_BASE_URL and
// OPENAI_MODEL) and exits with status 2 when none is configured.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/llm"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := flag.String("scenarios", "server/generate/testdata/scenarios", "folder of scenario files")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	limit := flag.Int("n", 0, "run only the first n scenarios (0: all)")
	timeout := flag.Duration("timeout", 20*time.Minute, "overall time limit")
	flag.Parse()

	key := strings.TrimSpace(os.Getenv("OPENAI_API_KEY"))
	if key == "" {
		fmt.Fprintln(os.Stderr, "eval-generate: no LLM endpoint configured.\n"+
			"Set OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server, OPENAI_MODEL for the model), e.g.\n"+
			"  OPENAI_API_KEY=sk-... OPENAI_MODEL=gpt-4o-mini make eval-generate\n"+
			"The same scenarios run offline against a local fake server in `go test ./server/generate -run TestScenarios -v`.")
		return 2
	}
	scenarios, err := generate.LoadScenarios(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "eval-generate:", err)
		return 1
	}
	if *limit > 0 && *limit < len(scenarios) {
		scenarios = scenarios[:*limit]
	}
	client, err := llm.New(llm.Config{APIKey: key, BaseURL: os.Getenv("OPENAI_BASE_URL"), Model: os.Getenv("OPENAI_MODEL"),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		fmt.Fprintln(os.Stderr, "eval-generate:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := generate.Evaluate(ctx, client, scenarios)
	if err != nil {
		fmt.Fprintln(os.Stderr, "eval-generate:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, "eval-generate:", err)
			return 1
		}
	} else {
		res.Report(os.Stdout)
	}
	// Every scenario fell back to deterministic drafting: the endpoint
	// did not work, which is a failure of the evaluation, not a result.
	if res.Deterministic == res.Scenarios {
		fmt.Fprintln(os.Stderr, "eval-generate: the LLM endpoint never produced drafts; see the notices with -json")
		return 1
	}
	return 0
}
