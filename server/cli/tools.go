package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/secrets"
	"github.com/backlogai/backlogai/server/store"

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

// runRotateKey re-seals every stored secret with ENCRYPTION_KEY, opening
// them with ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS. Rotation: generate a
// key, deploy it as ENCRYPTION_KEY with the old one as
// ENCRYPTION_KEY_PREVIOUS, run this once, then drop the previous key.
func runRotateKey(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if len(cfg.PreviousKeys) == 0 {
		return errors.New("rotate-key: set ENCRYPTION_KEY_PREVIOUS to the key being replaced (ENCRYPTION_KEY is the new one)")
	}
	box, err := secrets.New(cfg.EncryptionKey, cfg.PreviousKeys...)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Options{Driver: cfg.Driver, DSN: cfg.DSN, Box: box, Logger: newLogger(stderr, cfg.LogLevel)})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	n, err := st.RotateSecrets(ctx)
	if err != nil {
		return fmt.Errorf("rotate-key: %w (secrets re-sealed before the failure stay readable with the new key)", err)
	}
	fmt.Fprintf(stdout, "re-sealed %d secrets with the new key; ENCRYPTION_KEY_PREVIOUS can now be removed\n", n)
	return nil
}
