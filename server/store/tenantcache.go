package store

import (
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/domain"
)

// tenantCacheTTL bounds how long another replica may serve a tenant's
// previous state (secret, enabled) after a lifecycle change: every
// Jira-signed request looks its tenant up, and a query plus a decryption
// per request is the largest fixed cost of webhook intake.
const tenantCacheTTL = 2 * time.Second

type tenantCache struct {
	mu      sync.Mutex
	entries map[string]tenantEntry
}

type tenantEntry struct {
	t  domain.Tenant
	at time.Time
}

func (c *tenantCache) get(key string, now time.Time) (*domain.Tenant, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) > tenantCacheTTL || now.Before(e.at) {
		return nil, false
	}
	t := e.t
	return &t, true
}

func (c *tenantCache) put(t *domain.Tenant, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]tenantEntry{}
	}
	if len(c.entries) > 10000 {
		c.entries = map[string]tenantEntry{}
	}
	c.entries[t.ClientKey] = tenantEntry{t: *t, at: now}
}

func (c *tenantCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
