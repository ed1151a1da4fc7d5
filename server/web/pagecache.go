package web

import (
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/store"
)

// pageRecheck bounds how long a cached glance is served on the tenant's
// data version alone before its own stored version is read again: a
// safety net should replicas' clocks disagree so much that another
// replica's save does not move the tenant's latest save time.
const pageRecheck = 30 * time.Second

// pageCache holds rendered glance pages keyed by tenant, issue and Jira
// URL. A page is served from memory while its tenant's data version
// (store.DataVersion: local writes at once, other replicas' within a
// second) is the one it was checked at; otherwise the issue's own stored
// version (its property hash and save time) decides whether it is still
// current, and the page is rendered again only when that changed.
type pageCache struct {
	mu    sync.Mutex
	max   int
	pages map[string]*cachedPage
}

type cachedPage struct {
	page []byte
	// issue is the stored analysis's version the page was rendered from.
	issue string
	// data is the tenant's data version when the page was last known
	// current, at time at; checked says data was read without error.
	data    store.DataVersion
	checked bool
	at      time.Time
}

// fresh returns the page if it is current without asking the database.
func (p *pageCache) fresh(key string, dv store.DataVersion, now time.Time) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pages[key]
	if !ok || !e.checked || e.data != dv || now.Before(e.at) || now.Sub(e.at) >= pageRecheck {
		return nil, false
	}
	return e.page, true
}

// revalidate returns the page if it was rendered from issue version ver,
// and records that it is current at data version dv.
func (p *pageCache) revalidate(key, ver string, dv store.DataVersion, checked bool, now time.Time) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pages[key]
	if !ok || e.issue != ver {
		return nil, false
	}
	e.data, e.checked, e.at = dv, checked, now
	return e.page, true
}

func (p *pageCache) put(key string, e *cachedPage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pages == nil || len(p.pages) >= p.max {
		// Dropping everything is crude but bounded and cheap; the hot
		// pages come back on their next view.
		p.pages = make(map[string]*cachedPage, 256)
	}
	p.pages[key] = e
}
