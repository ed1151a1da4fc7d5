package store

import (
	"context"
	"fmt"
	"strconv"
)

// sealedColumn is a column holding secrets sealed by the secrets box, with
// the columns its associated data is made from.
type sealedColumn struct {
	table  string
	column string
	// aadCols are selected in order and passed to aad.
	aadCols []string
	aad     func(vals []string) string
}

// sealedColumns lists every encrypted column. A new one must be added
// here so that key rotation re-seals it.
func sealedColumns() []sealedColumn {
	return []sealedColumn{
		{table: "tenants", column: "shared_secret_enc", aadCols: []string{"client_key"},
			aad: func(v []string) string { return aadTenant(v[0]) }},
		{table: "generate_settings", column: "llm_key_enc", aadCols: []string{"tenant_id"},
			aad: func(v []string) string { return "tenant-id:" + v[0] + ":llm" }},
		{table: "generate_settings", column: "research_key_enc", aadCols: []string{"tenant_id"},
			aad: func(v []string) string { return "tenant-id:" + v[0] + ":research" }},
		{table: "project_settings", column: "llm_key_enc", aadCols: []string{"tenant_id", "project_key"},
			aad: func(v []string) string { return scopeAAD(v[0], v[1], "llm") }},
		{table: "project_settings", column: "research_key_enc", aadCols: []string{"tenant_id", "project_key"},
			aad: func(v []string) string { return scopeAAD(v[0], v[1], "research") }},
		{table: "forge_installations", column: "system_token_enc", aadCols: []string{"installation_id"},
			aad: func(v []string) string { return aadForgeToken(v[0]) }},
	}
}

// SettingsAAD is the associated data to seal a tenant's settings secret
// with: purpose "llm" or "research". Binding the ciphertext to its tenant
// and purpose means a key copied into another row does not open.
func SettingsAAD(tenantID int64, purpose string) string {
	return "tenant-id:" + strconv.FormatInt(tenantID, 10) + ":" + purpose
}

// RotateSecrets re-seals every stored secret with the box's current key
// (opening it with the current or a previous key). Run it after deploying
// a new ENCRYPTION_KEY with the old one as ENCRYPTION_KEY_PREVIOUS; then
// the previous key can be dropped. It returns how many secrets it re-sealed.
func (s *Store) RotateSecrets(ctx context.Context) (int, error) {
	n := 0
	for _, sc := range sealedColumns() {
		rows, err := s.db.WithContext(ctx).Table(sc.table).Select(append([]string{"id", sc.column}, sc.aadCols...)).
			Where(sc.column + " <> ''").Rows()
		if err != nil {
			return n, fmt.Errorf("store: rotate %s.%s: %w", sc.table, sc.column, err)
		}
		type item struct {
			id     int64
			sealed string
			aad    string
		}
		var items []item
		for rows.Next() {
			var id int64
			var sealed string
			vals := make([]string, len(sc.aadCols))
			dest := []any{&id, &sealed}
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return n, fmt.Errorf("store: rotate %s: %w", sc.table, err)
			}
			items = append(items, item{id, sealed, sc.aad(vals)})
		}
		rows.Close()
		for _, it := range items {
			resealed, err := s.box.Reseal(it.sealed, it.aad)
			if err != nil {
				return n, fmt.Errorf("store: rotate %s row %d: %w", sc.table, it.id, err)
			}
			// Only if unchanged meanwhile: a concurrent re-install wins.
			res := s.db.WithContext(ctx).Table(sc.table).Where("id = ? AND "+sc.column+" = ?", it.id, it.sealed).Update(sc.column, resealed)
			if res.Error != nil {
				return n, fmt.Errorf("store: rotate %s row %d: %w", sc.table, it.id, res.Error)
			}
			n += int(res.RowsAffected)
		}
	}
	s.tenants = &tenantCache{}
	return n, nil
}

// SealedColumns names the encrypted columns as "table.column".
func SealedColumns() []string {
	var out []string
	for _, sc := range sealedColumns() {
		out = append(out, sc.table+"."+sc.column)
	}
	return out
}

// EncryptedLookingColumns lists "table.column" for every column whose name
// ends in _enc (the naming rule for sealed secrets), for the test that
// keeps SealedColumns complete.
func (s *Store) EncryptedLookingColumns(ctx context.Context) ([]string, error) {
	q := `SELECT m.name || '.' || c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type='table' AND c.name LIKE '%!_enc' ESCAPE '!'`
	if s.driver == "mysql" {
		q = `SELECT CONCAT(table_name, '.', column_name) FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name LIKE '%!_enc' ESCAPE '!'`
	}
	var out []string
	err := s.db.WithContext(ctx).Raw(q).Scan(&out).Error
	return out, err
}
