package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// versionTTL bounds how long another replica's writes may go unseen: a
// tenant's data version read from the database is trusted this long,
// unless this process writes to the tenant meanwhile.
const versionTTL = time.Second

// DataVersion says whether anything a tenant's pages show may have changed.
// Two equal values mean no write to the tenant, its projects or its issue
// results was seen in between: DB covers every replica (read at most once
// per versionTTL), Local this process's own writes (counted at once).
type DataVersion struct {
	DB    string
	Local uint64
}

// dataVersions tracks tenants' data versions: local write counters kept by
// gorm callbacks, and the last version read from the database.
type dataVersions struct {
	mu      sync.Mutex
	all     uint64           // local writes whose tenant is not known
	local   map[int64]uint64 // local writes per tenant
	pending map[gorm.ConnPool][]int64
	checked map[int64]*versionCheck
}

type versionCheck struct {
	db    string
	local uint64
	at    time.Time
	// busy is closed when a read of the database version in flight ends:
	// concurrent requests wait for it instead of querying again.
	busy chan struct{}
}

func newDataVersions() *dataVersions {
	return &dataVersions{local: map[int64]uint64{}, pending: map[gorm.ConnPool][]int64{}, checked: map[int64]*versionCheck{}}
}

func (v *dataVersions) seqLocked(tenantID int64) uint64 { return v.all + v.local[tenantID] }

// touch counts a local write to a tenant (0: any tenant). Inside a
// transaction it counts again once the transaction ends (settle): a
// reader between the statement and the commit still saw the old data.
func (v *dataVersions) touch(tenantID int64, tx gorm.ConnPool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.bumpLocked(tenantID)
	if tx != nil {
		if len(v.pending) > 1000 {
			// Transactions not run through WithTx (migrations) are never
			// settled: bounded, and nothing is owed to them.
			clear(v.pending)
		}
		v.pending[tx] = append(v.pending[tx], tenantID)
	}
}

func (v *dataVersions) bumpLocked(tenantID int64) {
	if tenantID == 0 {
		v.all++
		return
	}
	v.local[tenantID]++
	if len(v.local) > 100_000 { // bounded; dropping counters must not make an old value current again
		v.local = map[int64]uint64{}
		v.all += 1 << 32
	}
}

// settle counts again the writes of a transaction that has ended.
func (v *dataVersions) settle(tx gorm.ConnPool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, id := range v.pending[tx] {
		v.bumpLocked(id)
	}
	delete(v.pending, tx)
}

// versionedTables are the tables whose rows a tenant's glance depends on.
var versionedTables = []string{"issue_results", "projects", "tenants"}

// registerChangeHooks makes every write to a versioned table count as a
// local change of its tenant.
func registerChangeHooks(db *gorm.DB, v *dataVersions) error {
	hook := func(db *gorm.DB) {
		st := db.Statement
		if st == nil || db.Error != nil && db.RowsAffected == 0 {
			return
		}
		table := st.Table
		if table == "" && st.Schema != nil {
			table = st.Schema.Table
		}
		known := false
		for _, t := range versionedTables {
			if table == t || table == "" && strings.Contains(st.SQL.String(), t) {
				known = true
			}
		}
		if !known {
			return
		}
		var tx gorm.ConnPool
		if _, ok := st.ConnPool.(gorm.TxCommitter); ok {
			tx = st.ConnPool
		}
		ids := tenantsOf(st, table)
		if len(ids) == 0 {
			ids = []int64{0}
		}
		for _, id := range ids {
			v.touch(id, tx)
		}
	}
	cb := db.Callback()
	return errors.Join(
		cb.Create().After("gorm:create").Register("backlogai:changes_create", hook),
		cb.Update().After("gorm:update").Register("backlogai:changes_update", hook),
		cb.Delete().After("gorm:delete").Register("backlogai:changes_delete", hook),
		cb.Raw().After("gorm:raw").Register("backlogai:changes_raw", hook),
	)
}

// tenantsOf finds the tenants a statement writes: the TenantID (ID for
// tenants) of the rows created, or a "tenant_id = ?" condition as
// TenantStore adds to every query. None found means unknown.
func tenantsOf(st *gorm.Statement, table string) []int64 {
	col := "tenant_id"
	if table == "tenants" {
		col = "id"
	}
	if w, ok := st.Clauses["WHERE"]; ok {
		if where, ok := w.Expression.(clause.Where); ok {
			for _, e := range where.Exprs {
				if x, ok := e.(clause.Expr); ok && len(x.Vars) == 1 && strings.TrimSpace(x.SQL) == col+" = ?" {
					if id, ok := x.Vars[0].(int64); ok {
						return []int64{id}
					}
				}
			}
		}
	}
	if st.Schema == nil || !st.ReflectValue.IsValid() {
		return nil
	}
	f := st.Schema.LookUpField(col)
	if f == nil {
		return nil
	}
	var ids []int64
	add := func(rv reflect.Value) bool {
		val, zero := f.ValueOf(st.Context, rv)
		id, ok := val.(int64)
		if zero || !ok {
			return false
		}
		ids = append(ids, id)
		return true
	}
	switch rv := reflect.Indirect(st.ReflectValue); rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			if !add(reflect.Indirect(rv.Index(i))) {
				return nil
			}
		}
	case reflect.Struct:
		if !add(rv) {
			return nil
		}
	}
	return ids
}

// DataVersion returns the tenant's data version. It reads the database at
// most once per versionTTL per tenant, and again after a local write.
func (ts *TenantStore) DataVersion(ctx context.Context) (DataVersion, error) {
	v := ts.s.versions
	for {
		now := ts.s.now()
		v.mu.Lock()
		seq := v.seqLocked(ts.tenantID)
		c := v.checked[ts.tenantID]
		if c != nil && c.busy == nil && c.local == seq && !now.Before(c.at) && now.Sub(c.at) < versionTTL {
			v.mu.Unlock()
			return DataVersion{DB: c.db, Local: seq}, nil
		}
		if c != nil && c.busy != nil {
			wait := c.busy
			v.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return DataVersion{}, fmt.Errorf("store: data version: %w", ctx.Err())
			}
		}
		busy := make(chan struct{})
		prev := ""
		if c != nil {
			prev = c.db
		}
		v.checked[ts.tenantID] = &versionCheck{busy: busy}
		v.mu.Unlock()

		db, clientKey, err := ts.readDataVersion(ctx)
		v.mu.Lock()
		if err != nil {
			delete(v.checked, ts.tenantID)
		} else {
			// seq as read before the query: a write during it forces
			// another read.
			v.checked[ts.tenantID] = &versionCheck{db: db, local: seq, at: now}
		}
		close(busy)
		v.mu.Unlock()
		if err != nil {
			return DataVersion{}, err
		}
		if prev != "" && prev != db && clientKey != "" {
			// The tenant row may be what changed (another replica's
			// lifecycle write): its cached copy goes too.
			ts.s.tenants.forget(clientKey)
		}
		return DataVersion{DB: db, Local: seq}, nil
	}
}

// readDataVersion is one cheap query: the tenant's state and update time,
// and per project its state, update time and latest saved result (an
// index lookup on issue_results_changed).
func (ts *TenantStore) readDataVersion(ctx context.Context) (string, string, error) {
	rows, err := ts.s.db.WithContext(ctx).Raw(`SELECT t.client_key, t.state, t.updated_at, p.project_key, p.active, p.updated_at,
		(SELECT MAX(r.analysed_at) FROM issue_results r WHERE r.tenant_id = p.tenant_id AND r.project_key = p.project_key)
		FROM tenants t LEFT JOIN projects p ON p.tenant_id = t.id WHERE t.id = ? ORDER BY p.project_key`, ts.tenantID).Rows()
	if err != nil {
		return "", "", fmt.Errorf("store: data version: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	var clientKey string
	for rows.Next() {
		var f [7]sql.NullString
		if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]); err != nil {
			return "", "", fmt.Errorf("store: data version: %w", err)
		}
		clientKey = f[0].String
		for _, s := range f[1:] {
			b.WriteString(s.String)
			b.WriteByte('|')
		}
		b.WriteByte(';')
	}
	if err := rows.Err(); err != nil {
		return "", "", fmt.Errorf("store: data version: %w", err)
	}
	if b.Len() == 0 {
		return "", "", fmt.Errorf("store: data version: tenant %d: %w", ts.tenantID, domain.ErrNotFound)
	}
	return b.String(), clientKey, nil
}
