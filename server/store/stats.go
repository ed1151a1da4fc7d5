package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// QueueStat is the queue's size and age for one job kind and state.
type QueueStat struct {
	Kind  string
	State string
	Count int64
	// Oldest is when the oldest of these jobs was enqueued.
	Oldest time.Time
}

// QueueStats summarises the queue across tenants by kind and state: one
// grouped query over the jobs table, cheap enough for every metrics scrape.
func (s *Store) QueueStats(ctx context.Context) ([]QueueStat, error) {
	rows, err := s.db.WithContext(ctx).Raw("SELECT kind, state, COUNT(*), MIN(created_at) FROM jobs GROUP BY kind, state").Rows()
	if err != nil {
		return nil, fmt.Errorf("store: queue stats: %w", err)
	}
	defer rows.Close()
	var out []QueueStat
	for rows.Next() {
		var q QueueStat
		var oldest any
		if err := rows.Scan(&q.Kind, &q.State, &q.Count, &oldest); err != nil {
			return nil, fmt.Errorf("store: queue stats: %w", err)
		}
		q.Oldest = anyTime(oldest)
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue stats: %w", err)
	}
	return out, nil
}

// anyTime reads an aggregate of a DATETIME column: MySQL returns a time,
// SQLite the text it stored (MIN loses the column's declared type).
func anyTime(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case []byte:
		return parseStoredTime(string(t))
	case string:
		return parseStoredTime(t)
	}
	return time.Time{}
}

func parseStoredTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// TenantCounts counts installations by lifecycle state.
func (s *Store) TenantCounts(ctx context.Context) (map[string]int64, error) {
	type row struct {
		State string
		N     int64
	}
	var rows []row
	if err := s.db.WithContext(ctx).Table("tenants").Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: tenant counts: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// SQLDB is the connection pool, for its statistics (sql.DBStats).
func (s *Store) SQLDB() (*sql.DB, error) {
	db, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return db, nil
}
