// Package rankapply puts BacklogAI's ranking into Jira's own backlog
// order with Jira Software's rank API, and undoes it. The chosen issues
// go to the top of the project's open issues, in BacklogAI's order; the
// order before is stored per project (with who and when) so that undo
// puts every moved issue back between its former neighbours.
package rankapply

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
)

// MaxIssues bounds one application (ten rank calls of 50 for the moves,
// plus the reads of Jira's order).
const MaxIssues = 500

// Jira is what applying needs from Jira, acting as the person.
type Jira interface {
	RankOrder(ctx context.Context, projectKey string) ([]string, error)
	RankIssues(ctx context.Context, keys []string, before, after string) error
}

// Preview is the moves an application would make, from → to (1-based
// positions in Jira's order of the project's open issues).
type Preview struct {
	Moves []domain.RankMove `json:"moves"`
	// Changed counts the moves whose position changes.
	Changed int `json:"changed"`
	// Skipped are wanted keys that are not open issues of the project in
	// Jira (done, deleted or moved elsewhere): they are left alone.
	Skipped []string `json:"skipped"`
}

// Plan computes the moves that put want (BacklogAI's order) at the top of
// jiraOrder. It does not call Jira.
func Plan(jiraOrder, want []string) Preview {
	pos := make(map[string]int, len(jiraOrder))
	for i, k := range jiraOrder {
		pos[k] = i + 1
	}
	p := Preview{Moves: []domain.RankMove{}, Skipped: []string{}}
	seen := map[string]bool{}
	for _, k := range want {
		from, ok := pos[k]
		if !ok || seen[k] {
			if !ok {
				p.Skipped = append(p.Skipped, k)
			}
			continue
		}
		seen[k] = true
		m := domain.RankMove{Key: k, From: from, To: len(p.Moves) + 1}
		if m.From != m.To {
			p.Changed++
		}
		p.Moves = append(p.Moves, m)
	}
	return p
}

// Service applies and undoes rankings for one tenant's project.
type Service struct {
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Preview reads Jira's order and plans the moves.
func (s *Service) Preview(ctx context.Context, j Jira, project string, want []string) (Preview, error) {
	if err := checkWant(want); err != nil {
		return Preview{}, err
	}
	order, err := j.RankOrder(ctx, project)
	if err != nil {
		return Preview{}, fmt.Errorf("rankapply: preview: %w", err)
	}
	return Plan(order, want), nil
}

// Apply records Jira's current order, then moves want to the top. The
// record comes first, so that even a partly failed application can be
// undone.
func (s *Service) Apply(ctx context.Context, j Jira, ts *store.TenantStore, project, accountID string, want []string) (Preview, error) {
	if err := checkWant(want); err != nil {
		return Preview{}, err
	}
	order, err := j.RankOrder(ctx, project)
	if err != nil {
		return Preview{}, fmt.Errorf("rankapply: apply: %w", err)
	}
	p := Plan(order, want)
	if p.Changed == 0 {
		return p, nil // already in this order: nothing to move or undo
	}
	rec := domain.RankApplication{Project: project, AccountID: accountID, Moved: p.Moves, PreviousOrder: order, AppliedAt: s.now()}
	if err := ts.SaveRankApplication(ctx, rec); err != nil {
		return Preview{}, fmt.Errorf("rankapply: apply: %w", err)
	}
	target := make([]string, 0, len(order))
	moved := map[string]bool{}
	for _, m := range p.Moves {
		target = append(target, m.Key)
		moved[m.Key] = true
	}
	for _, k := range order {
		if !moved[k] {
			target = append(target, k)
		}
	}
	if err := restore(ctx, j, target, moved); err != nil {
		return Preview{}, fmt.Errorf("rankapply: apply: %w", err)
	}
	return p, nil
}

// Undo puts the issues of the project's last application back where they
// were. Issues ranked by others since keep their new places; the moved
// ones return next to their former neighbours. A second undo, or an undo
// with nothing applied, is domain.ErrConflict / domain.ErrNotFound.
func (s *Service) Undo(ctx context.Context, j Jira, ts *store.TenantStore, project, accountID string) (domain.RankApplication, error) {
	rec, err := ts.RankApplication(ctx, project)
	if err != nil {
		return domain.RankApplication{}, fmt.Errorf("rankapply: undo: %w", err)
	}
	if rec.UndoneAt != nil {
		return rec, fmt.Errorf("rankapply: undo: the last application was already undone: %w", domain.ErrConflict)
	}
	moved := map[string]bool{}
	for _, m := range rec.Moved {
		moved[m.Key] = true
	}
	current, err := j.RankOrder(ctx, project)
	if err != nil {
		return rec, fmt.Errorf("rankapply: undo: %w", err)
	}
	// Only issues still open in Jira can be placed.
	open := make(map[string]bool, len(current))
	for _, k := range current {
		open[k] = true
	}
	target := slices.DeleteFunc(slices.Clone(rec.PreviousOrder), func(k string) bool { return !open[k] })
	if err := restore(ctx, j, target, moved); err != nil {
		return rec, fmt.Errorf("rankapply: undo: %w", err)
	}
	if err := ts.MarkRankUndone(ctx, project, accountID); err != nil {
		return rec, fmt.Errorf("rankapply: undo: %w", err)
	}
	return ts.RankApplication(ctx, project)
}

// restore makes the moved issues take their places in target. Issues not
// moved keep their relative order, so each maximal run of moved issues
// goes right after its predecessor in target (or before its successor
// when the run starts target): one rank call chain per run.
func restore(ctx context.Context, j Jira, target []string, moved map[string]bool) error {
	for i := 0; i < len(target); {
		if !moved[target[i]] {
			i++
			continue
		}
		end := i
		for end < len(target) && moved[target[end]] {
			end++
		}
		run := target[i:end]
		switch {
		case i > 0:
			if err := j.RankIssues(ctx, run, "", target[i-1]); err != nil {
				return err
			}
		case end < len(target):
			if err := j.RankIssues(ctx, run, target[end], ""); err != nil {
				return err
			}
		default:
			// Every open issue moves: ranking the rest after the first
			// leaves exactly this order.
			if len(run) > 1 {
				if err := j.RankIssues(ctx, run[1:], "", run[0]); err != nil {
					return err
				}
			}
		}
		i = end
	}
	return nil
}

func checkWant(want []string) error {
	switch {
	case len(want) == 0:
		return fmt.Errorf("rankapply: keys: no issues to rank: %w", domain.ErrInvalid)
	case len(want) > MaxIssues:
		return fmt.Errorf("rankapply: keys: at most %d issues at once (got %d): %w", MaxIssues, len(want), domain.ErrInvalid)
	}
	return nil
}
