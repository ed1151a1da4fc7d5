// Package store is the only place that talks to the database (through gorm).
// Global tables (tenants) are reached through Store; everything that belongs
// to a tenant is reached through Store.Tenant(t), a view whose every query is
// scoped to that tenant, so no caller can forget the tenant condition.
//
// Each table's row type and methods live in the file named after the
// table (jobs.go, drafts.go ...); issue_results_backlog.go and
// issue_results_health.go are the backlog list's and the health charts'
// reads of issue_results, stats.go the metrics' counts. States and records other packages share are
// domain types; what stays here is store API: method inputs (ResultInput,
// ScanUpdate ...) and query results (BacklogRow, ProjectRow ...).
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/backlogai/backlogai/migrations"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/secrets"
)

// Store wraps the database handle.
type Store struct {
	db     *gorm.DB
	driver string
	box    *secrets.Box
	log    *slog.Logger
	now    func() time.Time
	// tenants caches lookups by clientKey (shared by transaction copies).
	tenants *tenantCache
	// versions tracks tenants' data versions (shared by transaction copies).
	versions *dataVersions
	// jobCtx, when set, names the trace and origin of jobs enqueued
	// under a context (see StampJobs).
	jobCtx func(context.Context) (string, time.Time)
}

// Options configure Open.
type Options struct {
	Driver string // "sqlite" or "mysql"
	DSN    string
	Box    *secrets.Box
	Logger *slog.Logger
	Now    func() time.Time
}

// Open connects to the database. It does not migrate; call Migrate.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Box == nil {
		return nil, errors.New("store: a secrets box is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var dial gorm.Dialector
	switch o.Driver {
	case "sqlite":
		dsn := o.DSN
		if !strings.Contains(dsn, "_txlock") {
			// Take the write lock at BEGIN so concurrent writers wait on
			// busy_timeout instead of failing on lock upgrade.
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + "_txlock=immediate"
		}
		dial = sqlite.Open(dsn)
	case "mysql":
		// No version probe at open: the database may be down at start.
		dial = mysql.New(mysql.Config{DSN: mysqlDSN(o.DSN), SkipInitializeWithVersion: true})
	default:
		return nil, fmt.Errorf("store: unknown driver %q", o.Driver)
	}
	db, err := gorm.Open(dial, &gorm.Config{
		// The database may be down at start: the app starts anyway,
		// /readyz reports it, and Migrate is retried until it succeeds.
		DisableAutomaticPing:   true,
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         true,
		NowFunc:                func() time.Time { return o.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", o.Driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if o.Driver == "sqlite" {
		// One writer at a time is SQLite's model; a small pool keeps
		// readers concurrent under WAL without piling up lock waits.
		sqlDB.SetMaxOpenConns(4)
	} else {
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(16)
		sqlDB.SetConnMaxLifetime(5 * time.Minute)
	}
	versions := newDataVersions()
	if err := registerChangeHooks(db, versions); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return &Store{db: db, driver: o.Driver, box: o.Box, log: o.Logger, now: o.Now, tenants: &tenantCache{}, versions: versions}, nil
}

// mysqlDSN turns on client-side parameter interpolation unless the DSN
// says otherwise: each statement with arguments is then one round trip
// instead of a prepare, an execute and a close. The connection charset is
// utf8mb4, for which the driver's escaping is safe (it refuses to
// interpolate under multi-byte charsets where it is not).
func mysqlDSN(dsn string) string {
	if strings.Contains(dsn, "interpolateParams=") {
		return dsn
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&interpolateParams=true"
	}
	return dsn + "?interpolateParams=true"
}

// Driver names the database engine.
func (s *Store) Driver() string { return s.driver }

// Close closes the pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// WithTx runs fn in a transaction; fn's Store uses that transaction. A
// transaction aborted by a deadlock or lock timeout runs again, so fn must
// not have effects outside the database.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.withTx(ctx, nil, fn)
}

// WithQueueTx is WithTx for a queue consumer: a transaction that locks the
// rows it takes with SKIP LOCKED. On MySQL it runs at READ COMMITTED, so its
// locking read locks only the rows it returns, not the gap after them,
// where producers insert new rows: at REPEATABLE READ every insert into
// the queue would wait for the consumer's commit.
func (s *Store) WithQueueTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.driver != "mysql" {
		return s.withTx(ctx, nil, fn)
	}
	return s.withTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, fn)
}

func (s *Store) withTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Store) error) error {
	return retry(ctx, func() error {
		var pool gorm.ConnPool
		defer func() { s.versions.settle(pool) }()
		var o []*sql.TxOptions
		if opts != nil {
			o = append(o, opts)
		}
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			pool = tx.Statement.ConnPool
			c := *s
			c.db = tx
			return fn(&c)
		}, o...)
	})
}

// Ready checks that the database answers and every migration is applied.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	want, err := s.migrationFiles()
	if err != nil {
		return err
	}
	var n int64
	if err := s.db.WithContext(ctx).Table("schema_migrations").Count(&n).Error; err != nil {
		return fmt.Errorf("store: ready: %w", err)
	}
	if int(n) < len(want) {
		return fmt.Errorf("store: ready: %d of %d migrations applied", n, len(want))
	}
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func (s *Store) migrationFiles() ([]migration, error) {
	entries, err := fs.ReadDir(migrations.FS, s.driver)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("store: migration %q is not named NNNN_name.sql", name)
		}
		raw, err := fs.ReadFile(migrations.FS, s.driver+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(raw)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := range out {
		if out[i].version != i+1 {
			return nil, fmt.Errorf("store: migration versions must be 1..n without gaps; found %d at position %d", out[i].version, i+1)
		}
	}
	return out, nil
}

// Migrate applies pending migrations, each in a transaction with its
// version record. On MySQL, DDL commits implicitly, so a named lock keeps
// replicas that start together from migrating at the same time.
func (s *Store) Migrate(ctx context.Context) error {
	files, err := s.migrationFiles()
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	if s.driver == "mysql" {
		conn, err := s.rawConn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('backlogai_migrate', 60)").Scan(&got); err != nil || got.Int64 != 1 {
			return fmt.Errorf("store: migrate: could not take the migration lock: %v", err)
		}
		// Closing the connection releases the lock too, should this fail.
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('backlogai_migrate')")
		}()
	}
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at DATETIME NOT NULL)`
	if err := db.Exec(create).Error; err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := map[int]bool{}
	var versions []int
	if err := db.Table("schema_migrations").Pluck("version", &versions).Error; err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, v := range versions {
		applied[v] = true
	}
	for _, m := range files {
		if applied[m.version] {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			for _, stmt := range splitStatements(m.sql) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("%s: %w", m.name, err)
				}
			}
			return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name, s.now().UTC()).Error
		})
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		s.log.Info("migration applied", "version", m.version, "name", m.name)
	}
	return nil
}

func (s *Store) rawConn(ctx context.Context) (*sql.Conn, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	return sqlDB.Conn(ctx)
}

// splitStatements splits a migration file on semicolons at line ends.
// Migrations hold no procedural code, so this is enough.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") || t == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

// notFound maps gorm's record-not-found to domain.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, domain.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// WithBox returns a Store on the same database using another secrets box
// (key rotation, and tests).
func (s *Store) WithBox(b *secrets.Box) *Store {
	c := *s
	c.box = b
	c.tenants = &tenantCache{}
	return &c
}

func raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}
