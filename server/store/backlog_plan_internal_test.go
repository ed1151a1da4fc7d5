package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/secrets"
)

// TestBacklogPlansUseTheIndex: on SQLite, every count and page-id query of
// the ranked list is answered from the covering index issue_results_list,
// never from the table, whose rows carry the issue and analysis JSON in
// overflow pages (the list's cost before migration 0010). A row saved
// without an analysis is not listed.
func TestBacklogPlansUseTheIndex(t *testing.T) {
	ctx := context.Background()
	box, err := secrets.New(bytes.Repeat([]byte{42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "plan.db") + "?_pragma=foreign_keys(1)",
		Box: box, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn, err := s.SaveInstallation(ctx, &domain.Tenant{ClientKey: "plan", BaseURL: "https://plan.atlassian.net", SharedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ts := s.Tenant(tn)
	var in []ResultInput
	for i := 1; i <= 300; i++ {
		key := fmt.Sprintf("SHOP-%d", i)
		a := &domain.Analysis{IssueKey: key, Score: domain.Score{Total: float64(i % 97), Moscow: domain.MoscowShould},
			Check: domain.CheckResult{Quality: i % 100}, Flags: []string{domain.FlagVague}}
		in = append(in, ResultInput{Issue: domain.Issue{Key: key, ID: key, Summary: "Report " + key, Type: domain.TypeStory,
			StatusCat: domain.StatusToDo}, Analysis: a, Hash: "h" + key})
	}
	if err := ts.SaveResults(ctx, "SHOP", in); err != nil {
		t.Fatal(err)
	}
	snapshot := []ResultInput{{Issue: domain.Issue{Key: "SHOP-999", ID: "999", Summary: "Not analysed yet", Type: domain.TypeStory, StatusCat: domain.StatusToDo}}}
	if err := ts.SaveResults(ctx, "SHOP", snapshot); err != nil {
		t.Fatal(err)
	}

	queries := []BacklogQuery{{OpenOnly: true}, {}, {OpenOnly: true, Moscow: "Must"}, {OpenOnly: true, Flag: domain.FlagDuplicate},
		{OpenOnly: true, Sort: "quality", Asc: true}, {OpenOnly: true, Text: "report"}, {OpenOnly: true, Offset: 200},
		{Sort: "key"}, {Sort: "estimate"}, {Sort: "updated", Type: "bug"}, {Subtasks: true}}
	for _, q := range queries {
		count, page := ts.backlogQueries(ctx, "SHOP", q)
		var n int64
		var ids []int64
		for _, stmt := range []*gorm.Statement{
			count.Session(&gorm.Session{DryRun: true}).Count(&n).Statement,
			page.Session(&gorm.Session{DryRun: true}).Pluck("id", &ids).Statement,
		} {
			rows, err := s.db.Raw("EXPLAIN QUERY PLAN "+stmt.SQL.String(), stmt.Vars...).Rows()
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			for _, line := range plan {
				if strings.Contains(line, "issue_results") && !strings.Contains(line, "USING COVERING INDEX issue_results_list") {
					t.Errorf("%+v: %s\nplan %q reads the table", q, stmt.SQL.String(), plan)
				}
			}
		}
		rows, total, err := ts.Backlog(ctx, "SHOP", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Key == "SHOP-999" {
				t.Errorf("%+v: the issue without an analysis is listed", q)
			}
		}
		if q.Flag == "" && q.Type == "" && q.Moscow == "" && total != 300 {
			t.Errorf("%+v: total %d, want the 300 analysed issues", q, total)
		}
	}
}
