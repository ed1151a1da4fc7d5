package backlog

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraclients"
	"github.com/backlogai/backlogai/server/jiraemu"
	"github.com/backlogai/backlogai/server/store/storetest"
)

const testAppKey = "backlogai-test"

// jiraEnv is a Service against the emulated Jira (demo project SHOP) on a
// real SQLite store.
func jiraEnv(t *testing.T) (*Service, *jiraemu.Emulator, *domain.Tenant) {
	t.Helper()
	secret := "s3cr3t-shared-secret-for-tests-0123456789"
	emu := jiraemu.New(jiraemu.Options{AppKey: testAppKey, SharedSecret: secret})
	srv := httptest.NewServer(emu.Handler())
	emu.SetBaseURL(srv.URL)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	st := storetest.Open(t, "sqlite", nil)
	tn, err := st.SaveInstallation(context.Background(), &domain.Tenant{ClientKey: emu.ClientKey(), BaseURL: srv.URL, SharedSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	clients := &jiraclients.Registry{AppKey: testAppKey, HTTP: srv.Client()}
	return &Service{Store: st, AppKey: testAppKey, JiraClients: clients, Logger: slog.New(slog.DiscardHandler)}, emu, tn
}

func issueID(t *testing.T, s *Service, tn *domain.Tenant, key string) string {
	t.Helper()
	c, err := s.JiraClients.App(tn)
	if err != nil {
		t.Fatal(err)
	}
	is, err := c.GetIssue(context.Background(), key, false)
	if err != nil {
		t.Fatal(err)
	}
	return is.ID
}

// TestWriteCreatedHonoursTheWritebackLock: the property of created issues
// is written only once the project's write-back lock is free, with the
// glance label in the same write; a lock that stays busy is a conflict
// and nothing is written.
func TestWriteCreatedHonoursTheWritebackLock(t *testing.T) {
	s, emu, tn := jiraEnv(t)
	ctx := context.Background()
	a := &domain.Analysis{Score: domain.Score{Total: 78.4, Moscow: domain.MoscowShould}}
	id1 := issueID(t, s, tn, "SHOP-1")

	unlock, ok := s.lockWriteback(ctx, tn, "SHOP")
	if !ok {
		t.Fatal("write-back lock not taken")
	}
	done := make(chan error, 1)
	go func() { done <- s.WriteCreated(ctx, tn, "SHOP", []CreatedIssue{{ID: id1, Analysis: a}}) }()
	select {
	case err := <-done:
		t.Fatalf("WriteCreated returned while the lock was held: %v", err)
	case <-time.After(400 * time.Millisecond):
	}
	if raw, ok := emu.IssueProperty("SHOP-1", PropertyKey); ok {
		t.Fatalf("property written while the lock was held: %s", raw)
	}
	unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("WriteCreated did not take the released lock")
	}
	if raw, ok := emu.IssueProperty("SHOP-1", PropertyKey); !ok || string(raw) == "" {
		t.Error("property not written after the lock was released")
	}
	if _, ok := emu.IssueProperty("SHOP-1", "com.atlassian.jira.issue:"+testAppKey+":"+GlanceModuleKey+":status"); !ok {
		t.Error("glance label not written with the property")
	}

	// A write-back that keeps the lock: the created issue waits no longer
	// than createdLockWait, then gives up without writing.
	id2 := issueID(t, s, tn, "SHOP-2")
	unlock, ok = s.lockWriteback(ctx, tn, "SHOP")
	if !ok {
		t.Fatal("write-back lock not taken")
	}
	defer unlock()
	var calls atomic.Int64
	start := time.Now()
	s.Now = func() time.Time { return start.Add(time.Duration(calls.Add(1)) * time.Second) }
	err := s.WriteCreated(ctx, tn, "SHOP", []CreatedIssue{{ID: id2, Analysis: a}})
	if !errors.Is(err, domain.ErrConflict) {
		t.Errorf("busy lock: %v, want ErrConflict", err)
	}
	if raw, ok := emu.IssueProperty("SHOP-2", PropertyKey); ok {
		t.Errorf("property written despite the busy lock: %s", raw)
	}
}
