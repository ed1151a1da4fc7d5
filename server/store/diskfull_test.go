package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/store"
	"github.com/backlogai/backlogai/server/store/storetest"
)

// TestSQLiteDiskFull: when the database file cannot grow, writes fail with
// an error the app reports as unavailable (503), nothing half-written
// remains, and the file is not corrupted.
func TestSQLiteDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	ctx := context.Background()
	// First create and migrate normally, then reopen with a page cap that
	// stands in for a full disk.
	s, err := store.Open(ctx, store.Options{Driver: "sqlite", DSN: path + "?_pragma=journal_mode(WAL)", Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn, err := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: "ck", BaseURL: "https://a.atlassian.net", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, _ := sql.Open("sqlite", path)
	var pages int
	db.QueryRow("PRAGMA page_count").Scan(&pages)
	db.Close()
	full, err := store.Open(ctx, store.Options{Driver: "sqlite", DSN: fmt.Sprintf("%s?_pragma=journal_mode(WAL)&_pragma=max_page_count(%d)", path, pages+8), Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	ts := full.Tenant(tn)
	var writeErr error
	for i := 0; i < 200 && writeErr == nil; i++ {
		batch := make([]store.ResultInput, 50)
		for j := range batch {
			key := fmt.Sprintf("SHOP-%d", i*50+j)
			batch[j] = store.ResultInput{Issue: domain.Issue{Key: key, ID: key, Summary: strings.Repeat("long summary text ", 40), Description: strings.Repeat("x", 2000)}}
		}
		writeErr = ts.SaveResults(ctx, "SHOP", batch)
	}
	if writeErr == nil {
		t.Fatal("the page cap never filled the database")
	}
	if !store.Unavailable(writeErr) {
		t.Errorf("disk-full error not classified as unavailable: %v", writeErr)
	}
	if !strings.Contains(writeErr.Error(), "full") {
		t.Errorf("error does not say the storage is full: %v", writeErr)
	}
	// Reads still work, and the file is intact.
	if _, err := full.TenantByClientKey(ctx, "ck"); err != nil {
		t.Errorf("read after disk full: %v", err)
	}
	db, _ = sql.Open("sqlite", path)
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
}
