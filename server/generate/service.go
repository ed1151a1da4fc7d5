// Package generate turns a product context and objective into INVEST-ready
// user stories (research, LLM drafts, checks, one revision pass, scores),
// stores them as drafts for a person to edit, and creates the chosen ones
// in Jira; it also improves and splits existing issues.
package generate

import "github.com/backlogai/backlogai/server/jobs"

// Service is the generation pipeline.
type Service struct{}

// Handlers returns the job handlers of long generation work (none yet).
func (s *Service) Handlers() map[string]jobs.Handler { return nil }
