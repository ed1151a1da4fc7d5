package jira

import (
	"context"
	"errors"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jiraemu"
)

// TestHasGlobalPermission asks Jira (the emulator, its requests checked
// against Atlassian's OpenAPI) whether accounts are site administrators.
func TestHasGlobalPermission(t *testing.T) {
	env := newEmuEnv(t, []*jiraemu.Fixture{appFixture()}, Options{}, true)
	env.emu.SetProjectAdmins("*", "557058:site-admin")
	env.emu.SetProjectAdmins(appFixture().Project.Key, "557058:project-admin")
	ctx := context.Background()
	for _, tc := range []struct {
		account string
		want    bool
	}{
		{"557058:site-admin", true},
		{"557058:project-admin", false},
		{"557058:nobody", false},
	} {
		got, err := env.client.HasGlobalPermission(ctx, tc.account, PermissionAdminister)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.account, got, err, tc.want)
		}
	}
	if _, err := env.client.HasGlobalPermission(ctx, "", PermissionAdminister); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("no account: %v", err)
	}
}
