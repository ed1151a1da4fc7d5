package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"

	"github.com/backlogai/backlogai/server/domain"
)

const spanKey = "backlogai:span"

// Trace makes every statement a client span of tp ("db query", "db
// create"…) carrying the SQL with its placeholders, never the values.
// Statements outside a traced request or job are not recorded. Call it
// once, before the store is used concurrently. A small set of
// callbacks rather than gorm's otel plugin, whose module pulls in dozens of
// unrelated dependencies.
func (s *Store) Trace(tp trace.TracerProvider) error {
	tracer := tp.Tracer("github.com/backlogai/backlogai/server/store")
	system := s.driver
	if system == "mysql" {
		system = "mariadb" // the engine the app is run and tested on
	}
	before := func(op string) func(*gorm.DB) {
		return func(db *gorm.DB) {
			// Only within a traced request or job: the queue's polls would
			// otherwise make a root trace each, several a second.
			if db.Statement == nil || db.Statement.Context == nil || !trace.SpanContextFromContext(db.Statement.Context).IsValid() {
				return
			}
			_, span := tracer.Start(db.Statement.Context, "db "+op, trace.WithSpanKind(trace.SpanKindClient))
			db.InstanceSet(spanKey, span)
		}
	}
	after := func(db *gorm.DB) {
		v, ok := db.InstanceGet(spanKey)
		if !ok {
			return
		}
		span, ok := v.(trace.Span)
		if !ok {
			return
		}
		span.SetAttributes(attribute.String("db.system", system), attribute.String("db.statement", db.Statement.SQL.String()),
			attribute.String("db.sql.table", db.Statement.Table), attribute.Int64("db.rows_affected", db.RowsAffected))
		if db.Error != nil && !errors.Is(db.Error, gorm.ErrRecordNotFound) {
			span.RecordError(db.Error)
			span.SetStatus(codes.Error, "database error")
		}
		span.End()
	}
	cb := s.db.Callback()
	errs := []error{
		cb.Create().Before("gorm:create").Register("backlogai:before_create", before("create")),
		cb.Create().After("gorm:create").Register("backlogai:after_create", after),
		cb.Query().Before("gorm:query").Register("backlogai:before_query", before("query")),
		cb.Query().After("gorm:query").Register("backlogai:after_query", after),
		cb.Update().Before("gorm:update").Register("backlogai:before_update", before("update")),
		cb.Update().After("gorm:update").Register("backlogai:after_update", after),
		cb.Delete().Before("gorm:delete").Register("backlogai:before_delete", before("delete")),
		cb.Delete().After("gorm:delete").Register("backlogai:after_delete", after),
		cb.Row().Before("gorm:row").Register("backlogai:before_row", before("row")),
		cb.Row().After("gorm:row").Register("backlogai:after_row", after),
		cb.Raw().Before("gorm:raw").Register("backlogai:before_raw", before("raw")),
		cb.Raw().After("gorm:raw").Register("backlogai:after_raw", after),
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: trace: %w", err)
	}
	return nil
}

// StampJobs makes Enqueue fill a job's Trace and Origin, when the caller
// left them empty, from the context it is called with (tracing.JobContext:
// the span and webhook time of the request or job that enqueues). Call it
// once, before the store is used concurrently.
func (s *Store) StampJobs(f func(context.Context) (trace string, origin time.Time)) { s.jobCtx = f }

// stamp fills j's telemetry from ctx.
func (s *Store) stamp(ctx context.Context, j *domain.NewJob) {
	if s.jobCtx == nil || (j.Trace != "" && !j.Origin.IsZero()) {
		return
	}
	trace, origin := s.jobCtx(ctx)
	if j.Trace == "" {
		j.Trace = trace
	}
	if j.Origin.IsZero() {
		j.Origin = origin
	}
}
