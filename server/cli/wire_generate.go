package cli

import (
	"log/slog"

	"github.com/backlogai/backlogai/server/backlog"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/generate"
	"github.com/backlogai/backlogai/server/store"
)

// newGenerator wires the generation pipeline (LLM, research, drafts).
func newGenerator(cfg *config.Config, st *store.Store, keeper *backlog.Service, log *slog.Logger) (*generate.Service, error) {
	return &generate.Service{}, nil
}
