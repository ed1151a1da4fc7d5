package domain

import "time"

// RankMove is one issue's move in Jira's rank order (1-based positions).
type RankMove struct {
	Key  string `json:"key"`
	From int    `json:"from"`
	To   int    `json:"to"`
}

// RankApplication is the last time a person applied BacklogAI's ranking
// to a project's Jira order: enough to show it and to undo it.
type RankApplication struct {
	Project       string
	AccountID     string
	Moved         []RankMove
	PreviousOrder []string // Jira's order of the project's open issues before
	AppliedAt     time.Time
	UndoneAt      *time.Time
	UndoneBy      string
}

// SavedView is a named set of Backlog tab filters and sort of one person.
type SavedView struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Query     string    `json:"query"` // the backlog list's query string (sort, dir, moscow, flag, type, q, all, subtasks)
	UpdatedAt time.Time `json:"updatedAt"`
}
