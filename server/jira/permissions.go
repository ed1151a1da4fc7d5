package jira

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/backlogai/backlogai/server/domain"
)

// PermissionAdministerProjects is the project permission of project
// admins.
const PermissionAdministerProjects = "ADMINISTER_PROJECTS"

// PermissionAdminister is the global permission of Jira (site)
// administrators.
const PermissionAdminister = "ADMINISTER"

type permissionsCheck struct {
	AccountID          string                `json:"accountId,omitempty"`
	GlobalPermissions  []string              `json:"globalPermissions,omitempty"`
	ProjectPermissions []projectPermissionIn `json:"projectPermissions,omitempty"`
}

type projectPermissionIn struct {
	Permissions []string `json:"permissions"`
	Projects    []int64  `json:"projects,omitempty"`
}

type permissionGrants struct {
	GlobalPermissions  []string `json:"globalPermissions"`
	ProjectPermissions []struct {
		Permission string  `json:"permission"`
		Projects   []int64 `json:"projects"`
	} `json:"projectPermissions"`
}

// HasProjectPermission reports whether the account holds permission (such
// as ADMINISTER_PROJECTS) on the project with the numeric id projectID,
// with POST /rest/api/3/permissions/check. Jira administrators
// (ADMINISTER) hold every project permission. Connect apps may ask this
// for any user from the app server.
func (c *Client) HasProjectPermission(ctx context.Context, accountID, projectID, permission string) (bool, error) {
	id, err := strconv.ParseInt(projectID, 10, 64)
	if err != nil || accountID == "" || permission == "" {
		return false, fmt.Errorf("jira: permissions check: account, numeric project id and permission are required: %w", domain.ErrInvalid)
	}
	req := permissionsCheck{
		AccountID:          accountID,
		GlobalPermissions:  []string{"ADMINISTER"},
		ProjectPermissions: []projectPermissionIn{{Permissions: []string{permission}, Projects: []int64{id}}},
	}
	var resp permissionGrants
	if err := c.do(ctx, "POST", "rest/api/3/permissions/check", &req, &resp); err != nil {
		return false, fmt.Errorf("jira: permissions check: %w", err)
	}
	if slices.Contains(resp.GlobalPermissions, "ADMINISTER") {
		return true, nil
	}
	for _, g := range resp.ProjectPermissions {
		if g.Permission == permission && slices.Contains(g.Projects, id) {
			return true, nil
		}
	}
	return false, nil
}

// HasGlobalPermission reports whether the account holds a global
// permission (such as ADMINISTER, the Jira administrators) on the site,
// with POST /rest/api/3/permissions/check.
func (c *Client) HasGlobalPermission(ctx context.Context, accountID, permission string) (bool, error) {
	if accountID == "" || permission == "" {
		return false, fmt.Errorf("jira: permissions check: account and permission are required: %w", domain.ErrInvalid)
	}
	req := permissionsCheck{AccountID: accountID, GlobalPermissions: []string{permission}}
	var resp permissionGrants
	if err := c.do(ctx, "POST", "rest/api/3/permissions/check", &req, &resp); err != nil {
		return false, fmt.Errorf("jira: permissions check: %w", err)
	}
	return slices.Contains(resp.GlobalPermissions, permission), nil
}
