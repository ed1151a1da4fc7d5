package domain

import "time"

// Job states. A job is deleted when it completes, so these are the only
// states a stored job has.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDead    = "dead"
)

// NewJob describes work to enqueue for a tenant.
type NewJob struct {
	Kind string
	// DedupeKey coalesces: while a queued job of the same kind and key
	// exists, enqueueing another is a no-op. Empty means never coalesce.
	DedupeKey   string
	Payload     []byte
	Priority    int // higher runs first within a tenant
	MaxAttempts int // default 8
	RunAt       time.Time
	// Trace is the W3C traceparent of the work that enqueued the job and
	// Origin when its chain began (a webhook's receipt); both telemetry only.
	Trace  string
	Origin time.Time
}

// TenantJob is a job for a given tenant, for batch intake.
type TenantJob struct {
	TenantID int64
	NewJob
}

// Job is a claimed or listed job.
type Job struct {
	ID          int64
	TenantID    int64
	Kind        string
	DedupeKey   string
	Payload     []byte
	Priority    int
	State       string
	Attempts    int
	MaxAttempts int
	RunAt       time.Time
	LastError   string
	// LockedBy is the worker holding the job; handlers pass it to
	// StillHeld before visible effects.
	LockedBy string
	// TakenOver: this claim took the job from a worker whose lease ran out.
	TakenOver bool
	Trace     string
	Origin    time.Time
}
