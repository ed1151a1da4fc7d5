package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/backlogai/backlogai/server/store"
)

// Source is what the store collector reads at scrape time.
type Source interface {
	QueueStats(ctx context.Context) ([]store.QueueStat, error)
	TenantCounts(ctx context.Context) (map[string]int64, error)
}

// RegisterStore adds the queue and tenant gauges (two grouped queries per
// scrape, bounded by a 2 s timeout) and the connection pool's statistics.
func (m *Metrics) RegisterStore(st *store.Store, log *slog.Logger) error {
	db, err := st.SQLDB()
	if err != nil {
		return err
	}
	if err := m.reg.Register(collectors.NewDBStatsCollector(db, "backlogai")); err != nil {
		return fmt.Errorf("metrics: db stats: %w", err)
	}
	return m.RegisterSource(st, log)
}

// RegisterSource adds the queue and tenant gauges of src.
func (m *Metrics) RegisterSource(src Source, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := m.reg.Register(&storeCollector{src: src, log: log, now: time.Now}); err != nil {
		return fmt.Errorf("metrics: store collector: %w", err)
	}
	return nil
}

var (
	descJobs = prometheus.NewDesc(Namespace+"_jobs", "Jobs in the durable queue, by kind and state (queued, running, dead: dead letters).",
		[]string{"kind", "state"}, nil)
	descOldest = prometheus.NewDesc(Namespace+"_job_oldest_age_seconds", "Age of the oldest job, by kind and state (since it was enqueued).",
		[]string{"kind", "state"}, nil)
	descTenants = prometheus.NewDesc(Namespace+"_tenants", "Installations by lifecycle state.", []string{"state"}, nil)
	descUp      = prometheus.NewDesc(Namespace+"_store_up", "1 when the scrape's database queries succeeded.", nil, nil)
)

type storeCollector struct {
	src Source
	log *slog.Logger
	now func() time.Time
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descJobs
	ch <- descOldest
	ch <- descTenants
	ch <- descUp
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	up := 1.0
	stats, err := c.src.QueueStats(ctx)
	if err != nil {
		c.log.Warn("metrics: queue stats", "err", err)
		up = 0
	}
	now := c.now()
	for _, q := range stats {
		ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(q.Count), q.Kind, q.State)
		if !q.Oldest.IsZero() {
			ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, max(0, now.Sub(q.Oldest).Seconds()), q.Kind, q.State)
		}
	}
	tenants, err := c.src.TenantCounts(ctx)
	if err != nil {
		c.log.Warn("metrics: tenant counts", "err", err)
		up = 0
	}
	for state, n := range tenants {
		ch <- prometheus.MustNewConstMetric(descTenants, prometheus.GaugeValue, float64(n), state)
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
}
