package domain

import "time"

// ForgeInstallation is one installation of the Forge app on a site. It
// points at the tenant whose data it uses: a site that moved from Connect
// keeps its tenant.
type ForgeInstallation struct {
	InstallationID string
	TenantID       int64
	AppID          string
	CloudID        string
	SiteURL        string
	// APIBaseURL is where Jira calls go with Forge tokens.
	APIBaseURL string
	// SystemToken is the latest app system token Forge sent ("" if none);
	// it lets background work call Jira between invocations.
	SystemToken        string
	SystemTokenExpires time.Time
	State              TenantState
	InstalledAt        time.Time
	UpdatedAt          time.Time
}
