package store_test

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/backlogai/backlogai/migrations"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

type migrationFile struct {
	name  string
	stmts []string
}

// mysqlMigrations reads the MySQL migrations in order, split into
// statements the way the store splits them (a ';' ends a line).
func mysqlMigrations(t *testing.T) []migrationFile {
	t.Helper()
	entries, err := fs.ReadDir(migrations.FS, "mysql")
	if err != nil {
		t.Fatal(err)
	}
	var out []migrationFile
	for _, e := range entries {
		raw, err := fs.ReadFile(migrations.FS, "mysql/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		m := migrationFile{name: e.Name()}
		var cur strings.Builder
		for _, line := range strings.Split(string(raw), "\n") {
			l := strings.TrimSpace(line)
			if l == "" || strings.HasPrefix(l, "--") {
				continue
			}
			cur.WriteString(line + "\n")
			if strings.HasSuffix(l, ";") {
				m.stmts = append(m.stmts, strings.TrimSpace(cur.String()))
				cur.Reset()
			}
		}
		if s := strings.TrimSpace(cur.String()); s != "" {
			m.stmts = append(m.stmts, s)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

var createdTable = regexp.MustCompile(`(?i)^CREATE TABLE IF NOT EXISTS (\w+)`)

// TestMySQLMigrationStatementsAreIdempotent checks the rule of
// migrations/README.md on the text: MySQL commits each DDL statement at
// once, so every schema change must be able to run again.
func TestMySQLMigrationStatementsAreIdempotent(t *testing.T) {
	rules := []struct {
		what  *regexp.Regexp
		needs *regexp.Regexp
		say   string
	}{
		{regexp.MustCompile(`(?is)^CREATE\s+TABLE`), regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS`), "CREATE TABLE IF NOT EXISTS"},
		{regexp.MustCompile(`(?is)^CREATE\s+(UNIQUE\s+)?INDEX`), regexp.MustCompile(`(?is)^CREATE\s+(UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS`), "CREATE INDEX IF NOT EXISTS"},
		{regexp.MustCompile(`(?is)^DROP\s+(TABLE|INDEX)`), regexp.MustCompile(`(?is)^DROP\s+(TABLE|INDEX)\s+IF\s+EXISTS`), "DROP ... IF EXISTS"},
		{regexp.MustCompile(`(?is)\bADD\s+(COLUMN|INDEX|KEY|UNIQUE)`), regexp.MustCompile(`(?is)\bADD\s+(COLUMN|INDEX|KEY|UNIQUE\s+(KEY|INDEX))\s+IF\s+NOT\s+EXISTS`), "ADD ... IF NOT EXISTS"},
		{regexp.MustCompile(`(?is)\bDROP\s+(COLUMN|INDEX|KEY)`), regexp.MustCompile(`(?is)\bDROP\s+(COLUMN|INDEX|KEY)\s+IF\s+EXISTS`), "DROP ... IF EXISTS"},
		{regexp.MustCompile(`(?is)^INSERT\s`), regexp.MustCompile(`(?is)(NOT\s+EXISTS|INSERT\s+IGNORE|ON\s+DUPLICATE\s+KEY)`), "an INSERT guarded by NOT EXISTS, INSERT IGNORE or ON DUPLICATE KEY"},
	}
	for _, m := range mysqlMigrations(t) {
		for i, s := range m.stmts {
			for _, r := range rules {
				if r.what.MatchString(s) && !r.needs.MatchString(s) {
					t.Errorf("%s statement %d is not idempotent: use %s\n%s", m.name, i+1, r.say, firstLine(s))
				}
			}
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestMySQLMigrationCutShortCompletes applies each migration's first half
// by hand, as a start that died mid-migration leaves it (the DDL already
// committed, the version not recorded), then starts the store: the
// migration runs again from its first statement and completes.
func TestMySQLMigrationCutShortCompletes(t *testing.T) {
	files := mysqlMigrations(t)
	for n, cut := range files {
		t.Run(cut.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.MySQLDatabase(t)
			raw, err := sql.Open("mysql", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := raw.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%v\n%s", err, q)
				}
			}
			exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at DATETIME NOT NULL)`)
			for v, m := range files[:n] {
				for _, s := range m.stmts {
					exec(s)
				}
				exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, NOW())`, v+1, m.name)
			}
			half := max(1, len(cut.stmts)/2)
			for _, s := range cut.stmts[:half] {
				exec(s)
			}
			s, err := store.Open(ctx, store.Options{Driver: "mysql", DSN: dsn, Box: storetest.Box(t), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate after %d of %d statements of %s: %v", half, len(cut.stmts), cut.name, err)
			}
			var applied int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
				t.Fatal(err)
			}
			if applied != len(files) {
				t.Errorf("%d migrations recorded, want %d", applied, len(files))
			}
			for _, m := range files {
				for _, st := range m.stmts {
					name := createdTable.FindStringSubmatch(st)
					if name == nil {
						continue
					}
					var found int
					if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`, name[1]).Scan(&found); err != nil {
						t.Fatal(err)
					}
					if found != 1 {
						t.Errorf("table %s (from %s) missing", name[1], m.name)
					}
				}
			}
			// Every statement also runs again on the complete schema.
			for _, m := range files {
				for _, st := range m.stmts {
					if _, err := raw.ExecContext(ctx, st); err != nil {
						t.Errorf("%s again: %v\n%s", m.name, err, firstLine(st))
					}
				}
			}
		})
	}
}
