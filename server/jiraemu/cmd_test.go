package jiraemu

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestCommandServesUntilCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Command(ctx, []string{"-addr", addr, "-synthetic", "120", "-shared-secret", testSecret}, &logs)
	}()

	var info struct {
		BaseURL   string   `json:"baseUrl"`
		Projects  []string `json:"projects"`
		Issues    int      `json:"issues"`
		Installed bool     `json:"installed"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/_emulator/info")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&info)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not come up: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if info.BaseURL != "http://"+addr || len(info.Projects) != 2 || info.Issues < 420 || !info.Installed {
		t.Errorf("info = %+v", info)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Command returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Command did not stop")
	}
	if err := Command(context.Background(), []string{"-nope"}, &logs); err == nil {
		t.Error("unknown flag accepted")
	}
}
