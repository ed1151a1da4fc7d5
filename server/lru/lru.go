// Package lru is a generic size-bounded cache: when it is full, the least
// recently used entry goes. Entries may also expire.
package lru

import (
	"container/list"
	"time"
)

// Cache maps keys to values, holding at most Max entries. It is not safe
// for concurrent use: callers guard it with their own lock, which usually
// protects more than the cache.
type Cache[K comparable, V any] struct {
	max   int
	order *list.List // front: most recently used
	items map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key     K
	val     V
	expires time.Time // zero: never
}

// New returns a cache of at most size entries (at least one).
func New[K comparable, V any](size int) *Cache[K, V] {
	return &Cache[K, V]{max: max(size, 1), order: list.New(), items: map[K]*list.Element{}}
}

// Get returns k's value and marks it used. An entry that expired at or
// before now is dropped and reported missing; now does not matter for
// entries put without an expiry.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	var zero V
	el, ok := c.items[k]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[K, V])
	if !e.expires.IsZero() && !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, k)
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.val, true
}

// Put sets k's value, valid until expires (the zero time: until evicted),
// marks it used and evicts the least recently used entries over the bound.
func (c *Cache[K, V]) Put(k K, v V, expires time.Time) {
	if el, ok := c.items[k]; ok {
		e := el.Value.(*entry[K, V])
		e.val, e.expires = v, expires
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(&entry[K, V]{key: k, val: v, expires: expires})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry[K, V]).key)
	}
}

// Remove drops k, if present.
func (c *Cache[K, V]) Remove(k K) {
	if el, ok := c.items[k]; ok {
		c.order.Remove(el)
		delete(c.items, k)
	}
}

// Len is the number of entries held, expired ones not yet dropped included.
func (c *Cache[K, V]) Len() int { return c.order.Len() }
