package domain

import (
	"errors"
	"time"
)

// TenantState is the lifecycle state of an installation.
type TenantState string

const (
	TenantInstalled   TenantState = "installed"
	TenantEnabled     TenantState = "enabled"
	TenantDisabled    TenantState = "disabled"
	TenantUninstalled TenantState = "uninstalled"
)

// Tenant is one Jira site that installed the app, identified by its Connect
// clientKey. SharedSecret is plaintext in memory only; the store encrypts it.
type Tenant struct {
	ID             int64
	ClientKey      string
	BaseURL        string // for API calls
	DisplayURL     string // for links shown to people
	ProductType    string
	Description    string
	OAuthClientID  string
	InstallationID string
	SharedSecret   string
	State          TenantState
	InstalledAt    time.Time
	UpdatedAt      time.Time
	UninstalledAt  *time.Time
	PurgeAfter     *time.Time
}

// Active reports whether the tenant may be served.
func (t *Tenant) Active() bool {
	return t.State == TenantInstalled || t.State == TenantEnabled
}

// Errors shared across adapters. Adapters wrap them with %w so callers can
// test with errors.Is and the web layer can map them to status codes.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrInvalid      = errors.New("invalid input")
	ErrUnavailable  = errors.New("unavailable")
	ErrRateLimited  = errors.New("rate limited")
	ErrBudget       = errors.New("budget exhausted")
)

// DisplayURLOrBase is the URL for links shown to people.
func (t *Tenant) DisplayURLOrBase() string {
	if t.DisplayURL != "" {
		return t.DisplayURL
	}
	return t.BaseURL
}
