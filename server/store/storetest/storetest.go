// Package storetest opens real, migrated, throwaway databases for tests:
// a SQLite file in a temp folder, and a fresh database on the MySQL/MariaDB
// server named by MYSQL_TEST_DSN. With CI=true a missing or unreachable
// MySQL fails the test instead of skipping it.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/backlogai/backlogai/server/secrets"
	"github.com/backlogai/backlogai/server/store"
)

// Key is the fixed encryption key used by test stores.
var Key = bytes.Repeat([]byte{42}, 32)

// Box returns a secrets box over Key.
func Box(t testing.TB) *secrets.Box {
	b, err := secrets.New(Key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Drivers lists the engines every store test runs on.
var Drivers = []string{"sqlite", "mysql"}

// Open returns a migrated store on the named driver. now may be nil.
func Open(t testing.TB, driver string, now func() time.Time) *store.Store {
	t.Helper()
	var o store.Options
	switch driver {
	case "sqlite":
		o = store.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "test.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"}
	case "mysql":
		o = store.Options{Driver: "mysql", DSN: MySQLDatabase(t)}
	default:
		t.Fatalf("unknown driver %q", driver)
	}
	o.Box = Box(t)
	o.Logger = slog.New(slog.DiscardHandler)
	o.Now = now
	s, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// MySQLDatabase creates an empty database on the MYSQL_TEST_DSN server,
// drops it when the test ends, and returns a DSN for it.
func MySQLDatabase(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("MYSQL_TEST_DSN")
	ci := os.Getenv("CI") == "true"
	if dsn == "" {
		if ci {
			t.Fatal("CI=true but MYSQL_TEST_DSN is not set (e.g. root:@tcp(127.0.0.1:3306)/test)")
		}
		t.Skip("MYSQL_TEST_DSN not set; skipping the MySQL run")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("MYSQL_TEST_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		if ci {
			t.Fatalf("MySQL at MYSQL_TEST_DSN unreachable: %v", err)
		}
		t.Skipf("MySQL unreachable: %v", err)
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	name := "bt_" + strings.ToLower(hex.EncodeToString(suffix))
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	cfg.DBName = name
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.MultiStatements = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Collation = "utf8mb4_bin"
	return cfg.FormatDSN()
}
