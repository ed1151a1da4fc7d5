package domain

import "time"

// Scan states.
const (
	ScanRunning   = "running"
	ScanDone      = "done"
	ScanFailed    = "failed"
	ScanCancelled = "cancelled"
)

// Scan is the progress of a project's full scan.
type Scan struct {
	ProjectKey string
	State      string
	Phase      string // fetch, analyse, write
	Total      int
	Done       int
	Written    int
	PageToken  string
	Error      string
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}
