package cli

import (
	"context"
	"errors"
	"io"
)

func runEmulator(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("jira-emulator: not built yet")
}

func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("sandbox: not built yet")
}

func runEval(args []string, stdout, stderr io.Writer) error {
	return errors.New("eval: not built yet")
}
