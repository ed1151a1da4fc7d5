package lru_test

import (
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/lru"
)

func TestCache(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	type step struct {
		op      string // put, get, remove
		key     string
		val     int
		expires time.Time
		now     time.Time
		want    int // for get: the value, -1 when missing
		wantLen int
	}
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"evicts the least recently used", 2, []step{
			{op: "put", key: "a", val: 1, wantLen: 1},
			{op: "put", key: "b", val: 2, wantLen: 2},
			{op: "get", key: "a", want: 1, wantLen: 2}, // a is now the most recent
			{op: "put", key: "c", val: 3, wantLen: 2},  // evicts b
			{op: "get", key: "b", want: -1, wantLen: 2},
			{op: "get", key: "a", want: 1, wantLen: 2},
			{op: "get", key: "c", want: 3, wantLen: 2},
		}},
		{"put of a held key updates it without evicting", 2, []step{
			{op: "put", key: "a", val: 1, wantLen: 1},
			{op: "put", key: "b", val: 2, wantLen: 2},
			{op: "put", key: "a", val: 10, wantLen: 2},
			{op: "put", key: "c", val: 3, wantLen: 2}, // evicts b, not a
			{op: "get", key: "a", want: 10, wantLen: 2},
			{op: "get", key: "b", want: -1, wantLen: 2},
		}},
		{"expired entries are dropped on get", 3, []step{
			{op: "put", key: "a", val: 1, expires: t0.Add(time.Minute), wantLen: 1},
			{op: "get", key: "a", now: t0.Add(59 * time.Second), want: 1, wantLen: 1},
			{op: "get", key: "a", now: t0.Add(time.Minute), want: -1, wantLen: 0},
		}},
		{"zero expiry never expires", 3, []step{
			{op: "put", key: "a", val: 1, wantLen: 1},
			{op: "get", key: "a", now: t0.Add(1000 * time.Hour), want: 1, wantLen: 1},
		}},
		{"remove", 3, []step{
			{op: "put", key: "a", val: 1, wantLen: 1},
			{op: "remove", key: "a", wantLen: 0},
			{op: "remove", key: "zz", wantLen: 0},
			{op: "get", key: "a", want: -1, wantLen: 0},
		}},
		{"a bound below one holds one", 0, []step{
			{op: "put", key: "a", val: 1, wantLen: 1},
			{op: "put", key: "b", val: 2, wantLen: 1},
			{op: "get", key: "b", want: 2, wantLen: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := lru.New[string, int](tt.max)
			for i, s := range tt.steps {
				switch s.op {
				case "put":
					c.Put(s.key, s.val, s.expires)
				case "remove":
					c.Remove(s.key)
				case "get":
					v, ok := c.Get(s.key, s.now)
					got := -1
					if ok {
						got = v
					}
					if got != s.want {
						t.Errorf("step %d: Get(%q) = %d, want %d", i, s.key, got, s.want)
					}
				}
				if c.Len() != s.wantLen {
					t.Errorf("step %d (%s %q): Len = %d, want %d", i, s.op, s.key, c.Len(), s.wantLen)
				}
			}
		})
	}
}
