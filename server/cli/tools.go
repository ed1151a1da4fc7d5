package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"

	"github.com/backlogai/backlogai/server/eval"
	"github.com/backlogai/backlogai/server/jiraemu"
)

func runEmulator(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return jiraemu.Command(ctx, args, stderr)
}

// runEval measures the analysis engine on a folder laid out like
// ../shared/data and prints tables, or one JSON object with --json.
func runEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "folder with estimation/, invest/ and duplicates/ (e.g. ../shared/data)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("eval: --data DIR is required")
	}
	r, err := eval.Run(*dir)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	r.WriteText(stdout)
	return nil
}
