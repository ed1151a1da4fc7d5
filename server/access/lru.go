package access

import (
	"container/list"
	"time"
)

// lru is a size-bounded map whose entries expire; the least recently used
// entry goes first when it is full. Callers hold the Checker's lock.
type lru[K comparable, V any] struct {
	max   int
	order *list.List // front: most recently used
	items map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key     K
	val     V
	expires time.Time
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), items: map[K]*list.Element{}}
}

func (l *lru[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	el, ok := l.items[k]
	if !ok {
		return zero, false
	}
	e := el.Value.(*lruEntry[K, V])
	if !now.Before(e.expires) {
		l.order.Remove(el)
		delete(l.items, k)
		return zero, false
	}
	l.order.MoveToFront(el)
	return e.val, true
}

func (l *lru[K, V]) put(k K, v V, expires time.Time) {
	if el, ok := l.items[k]; ok {
		e := el.Value.(*lruEntry[K, V])
		e.val, e.expires = v, expires
		l.order.MoveToFront(el)
		return
	}
	l.items[k] = l.order.PushFront(&lruEntry[K, V]{key: k, val: v, expires: expires})
	for l.order.Len() > l.max {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.items, last.Value.(*lruEntry[K, V]).key)
	}
}
