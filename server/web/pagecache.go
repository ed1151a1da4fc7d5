package web

import "sync"

// pageCache holds rendered glance pages keyed by tenant, issue and the
// version of the stored analysis (its hash and save time). A page is
// rendered again only when the analysis behind it changes; serving a
// cached one costs one small query instead of reading, decoding and
// rendering the whole analysis.
type pageCache struct {
	mu    sync.Mutex
	max   int
	pages map[string][]byte
}

func (p *pageCache) get(key string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.pages[key]
	return b, ok
}

func (p *pageCache) put(key string, page []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pages == nil || len(p.pages) >= p.max {
		// Dropping everything is crude but bounded and cheap; the hot
		// pages come back on their next view.
		p.pages = make(map[string][]byte, 256)
	}
	p.pages[key] = page
}
